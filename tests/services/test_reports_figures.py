"""The figures, computed by hand from a small dataset, against every output: the indicator
functions, the summary JSON of the CLI (a subprocess), the annual report's cells, and (in
test_reports_ui.py) the overview page."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest

from pzh_core import indicators as ind
from pzh_core.domain.art_team import ArtTeam
from pzh_core.period import Period
from pzh_core.schema import det_id
from pzh_station.services.annual_facts import AnnualFactsService
from pzh_station.services.reports import ReportService
from pzh_station.services.station import StationProfile, StationService
from pzh_station.services.teams import TeamService

YEAR = 2025
AS_OF = dt.date(2026, 3, 15)  # 2025 is over; the 2026-01-10 session below is held

# Figures of 2025, added up by hand from build_dataset (see the comments there).
EXPECTED_2025 = {
    "activities": 5,  # A1 A2 A3 A4 A7 (A5 deleted, A6 is 2024, A8 is 2026)
    "person_visits": 210,  # 100 + 50 + 30 + 20 + 10
    "visits_per_resident": 210 / 20_000,
    # A1 elderly, A3 minors, A7 left_behind (A2 "ethnic" is not special)
    "special_group_activities": 3,
    "special_group_visits": 140,
    "mobile_activities": 2,  # A2 A7
    "online_activities": 1,  # A3
    "art_activities": 1,  # A1 performance (A7 reading is not 文艺活动 by the default definition)
    "art_activity_visits": 100,
    "exhibitions": 1,
    "exhibition_visits": 30,
    "lectures": 1,  # A2 (A5 deleted)
    "lecture_visits": 50,
    # C1 (starts 2025-03), C2 (starts 2025-11, runs into 2026) and the one-off 培训 A4 (C3 deleted)
    "training_classes": 3,
    "training_sessions": 5,  # C1: S1 S2 S4 (S3 cancelled, S5 deleted); C2: T1 T2
    "trainee_visits": 9,  # S1: 3, S2: 2, S4: 2, T1: 1, T2: 1
    # attended ÷ (held sessions × roster): C1 7 of 3 × 4 (P4 dropped, but has marks); C2 2 of 2 × 1
    "attendance_rate": 9 / 14,
    # C1 (share 0.6 of 3 held → 2 needed): P1 3, P2 2, P4 2 (dropped, attended); C2 ends in 2026
    "completers": 3,
    "volunteers_active": 2,  # V1, V2 (V3 left, V4 joined 2026, V5 deleted)
    "volunteers_serving": 3,  # V1 V2 V3 have verified hours in 2025
    "volunteer_hours_verified": 13.5,  # V1 10 + V2 1.5 + V3 2
    "new_star_levels": 1,  # V1: 95 h before 2025, 105 h by its end → 1 star
    "amateur_teams": 4,
    "full_time_staff": 3,
    "population": 20_000,
}


def _act(store, title, date, kind, delivery, attendance, groups, *, deleted=False):
    aid = store.write(
        "activities",
        None,
        {
            "title": title,
            "date": date,
            "kind": kind,
            "delivery": delivery,
            "attendance": attendance,
            "target_groups": groups,
            "place": "文化站",
        },
    )
    if deleted:
        store.delete("activities", aid)
    return aid


def build_dataset(services) -> dict[str, str]:
    """A small station year by hand. :returns: some ids by name."""
    StationService(services).save_profile(
        StationProfile(
            name="测试镇综合文化站",
            county="仁和区",
            population=20_000,
            amateur_teams=4,
            full_time_staff=3,
            staff=["李明", "王芳"],
        )
    )
    # 常住人口, staff and teams come from the annual facts and the team registry (issue 13)
    AnnualFactsService(services).save(
        YEAR,
        {"population": "20000", "population_source": "测试数据", "staff_total": "3"},
        confirm=True,
        today=AS_OF,
    )
    for n in range(4):
        TeamService(services).save(
            ArtTeam(name=f"团队{n}", art_form="dance", founded="2020-01-01"), today=AS_OF
        )
    s = services.store
    ids: dict[str, str] = {}
    with s.transaction():
        ids["A1"] = _act(
            s, "重阳文艺演出", "2025-01-10", "performance", "station", 100, ["elderly"]
        )
        ids["A2"] = _act(s, "彝族文化讲座", "2025-01-31", "lecture", "mobile", 50, ["ethnic"])
        ids["A3"] = _act(
            s, "少儿书画展", "2025-02-01", "exhibition", "online", 30, ["minors", "general"]
        )
        ids["A4"] = _act(s, "广场舞培训", "2025-03-05", "training", "station", 20, [])
        ids["A5"] = _act(
            s, "删掉的讲座", "2025-03-06", "lecture", "station", 40, ["disabled"], deleted=True
        )
        ids["A6"] = _act(s, "去年的演出", "2024-12-31", "performance", "station", 999, [])
        ids["A7"] = _act(
            s, "留守儿童读书会", "2025-12-31", "reading", "mobile", 10, ["left_behind"]
        )
        ids["A8"] = _act(s, "新年演出", "2026-01-01", "performance", "station", 500, [])

        people = {}
        for p in ("P1", "P2", "P3", "P4"):
            people[p] = s.write(
                "people",
                None,
                {"name": {"P1": "张一", "P2": "李二", "P3": "王三", "P4": "赵四"}[p]},
            )
        c1 = s.write(
            "classes", None, {"name": "声乐班", "completion_share": 0.6, "status": "finished"}
        )
        c2 = s.write("classes", None, {"name": "舞蹈班", "status": "running"})  # share 0 → 0.8
        c3 = s.write("classes", None, {"name": "删掉的班"})
        ids.update(C1=c1, C2=c2, C3=c3)
        for p in ("P1", "P2", "P3", "P4"):
            s.write(
                "enrollments",
                det_id("enrollment", c1, people[p]),
                {"class_id": c1, "person_id": people[p], "active": p != "P4"},
            )

        def session(cls, date, *, cancelled=False, deleted=False):
            sid = s.write("sessions", None, {"class_id": cls, "date": date, "cancelled": cancelled})
            if deleted:
                s.delete("sessions", sid)
            return sid

        def mark(sess, cls, p, m, *, deleted=False):
            aid = det_id("attendance", sess, people[p])
            s.write(
                "attendance",
                aid,
                {"session_id": sess, "class_id": cls, "person_id": people[p], "mark": m},
            )
            if deleted:
                s.delete("attendance", aid)

        s1 = session(c1, "2025-03-01")
        s2 = session(c1, "2025-03-08")
        s3 = session(c1, "2025-03-15", cancelled=True)
        s4 = session(c1, "2025-03-22")
        s5 = session(c1, "2025-03-29", deleted=True)
        for p, m in (("P1", "present"), ("P2", "late"), ("P3", "absent"), ("P4", "present")):
            mark(s1, c1, p, m)
        for p, m in (("P1", "present"), ("P2", "present"), ("P3", "excused")):
            mark(s2, c1, p, m)
        mark(s2, c1, "P4", "present", deleted=True)
        for p, m in (("P1", "late"), ("P2", "absent"), ("P3", ""), ("P4", "present")):
            mark(s4, c1, p, m)
        mark(s3, c1, "P1", "present")  # cancelled session: does not count
        mark(s5, c1, "P1", "present")  # deleted session: does not count
        s.write(
            "enrollments",
            det_id("enrollment", c2, people["P1"]),
            {"class_id": c2, "person_id": people["P1"], "active": True},
        )
        t1 = session(c2, "2025-11-01")
        t2 = session(c2, "2025-12-01")
        t3 = session(c2, "2026-01-10")
        for t in (t1, t2, t3):
            mark(t, c2, "P1", "present")
        d1 = session(c3, "2025-05-01")
        mark(d1, c3, "P1", "present")
        s.delete("classes", c3)

        def volunteer(p, status, join, *, deleted=False):
            vid = det_id("volunteer", people[p])
            s.write(
                "volunteers",
                vid,
                {"person_id": people[p], "status": status, "join_date": join, "number": p},
            )
            if deleted:
                s.delete("volunteers", vid)
            return vid

        v1 = volunteer("P1", "active", "2020-01-01")
        v2 = volunteer("P2", "active", "2025-06-01")
        v3 = volunteer("P3", "left", "2019-01-01")
        volunteer("P4", "active", "2026-02-01")
        s.write("people", None, {"name": "钱五"})
        p5 = s.write("people", None, {"name": "孙六"})
        people["P5"] = p5
        v5 = volunteer("P5", "active", "2020-01-01", deleted=True)

        def service(v, p, date, hours, status, *, deleted=False):
            rid = s.write(
                "service_records",
                None,
                {
                    "volunteer_id": v,
                    "person_id": people[p],
                    "date": date,
                    "hours": hours,
                    "status": status,
                    "description": "服务",
                },
            )
            if deleted:
                s.delete("service_records", rid)

        service(v1, "P1", "2024-06-01", 95, "verified")
        service(v1, "P1", "2025-03-01", 10, "verified")
        service(v1, "P1", "2025-04-01", 3, "recorded")
        service(v1, "P1", "2025-05-01", 4, "rejected")
        service(v1, "P1", "2025-06-01", 2.5, "verified", deleted=True)
        service(v2, "P2", "2025-07-01", 1.5, "verified")
        service(v3, "P3", "2025-08-01", 2, "verified")
        service(v5, "P5", "2025-09-01", 5, "verified")
    return ids


@pytest.fixture
def dataset(services):
    ids = build_dataset(services)
    return services, ids


def test_every_indicator_matches_the_hand_count(dataset):
    services, _ = dataset
    got = ind.compute(services.store.conn, [services.store.station_id], Period(YEAR, None, AS_OF))
    for key, expected in EXPECTED_2025.items():
        assert got[key] == pytest.approx(expected), key


def test_records_behind_each_figure_add_up_to_it(dataset):
    services, _ = dataset
    conn, stations, period = (
        services.store.conn,
        [services.store.station_id],
        Period(YEAR, None, AS_OF),
    )
    for key, indicator in ind.INDICATORS.items():
        if indicator.kind in ("ratio", "target") or key in (
            "amateur_teams",
            "full_time_staff",
            "population",
            "training_classes",
            "volunteers_active",
            "volunteers_serving",
        ):
            continue
        recs = ind.records(conn, key, stations, period)
        assert sum(r.amount for r in recs) == pytest.approx(
            indicator.value(conn, stations, period)
        ), key
    # counts of distinct things: one record each
    for key in ("training_classes", "volunteers_active", "volunteers_serving"):
        assert len(ind.records(conn, key, stations, period)) == EXPECTED_2025[key], key
    cells = ind.records(conn, "attendance_rate", stations, period)
    assert (sum(r.amount for r in cells), len(cells)) == (9, 14)
    titles = {r.title for r in ind.records(conn, "activities", stations, period)}
    assert "删掉的讲座" not in titles and "去年的演出" not in titles and "新年演出" not in titles
    completers = {r.title for r in ind.records(conn, "completers", stations, period)}
    assert completers == {"声乐班：张一", "声乐班：李二", "声乐班：赵四"}


def test_month_and_previous_year_and_other_stations(dataset):
    services, ids = dataset
    conn, sid = services.store.conn, services.store.station_id
    jan = ind.compute(
        conn, [sid], Period(YEAR, 1, AS_OF), ["activities", "person_visits", "mobile_activities"]
    )
    assert jan == {"activities": 2, "person_visits": 150, "mobile_activities": 1}
    last = ind.compute(
        conn,
        [sid],
        Period(2024, None, AS_OF),
        ["activities", "person_visits", "volunteer_hours_verified"],
    )
    assert last == {"activities": 1, "person_visits": 999, "volunteer_hours_verified": 95}
    # C2's last held session is in 2026, so its completer (P1, 3 of 3) counts there.
    assert ind.completers(conn, [sid], Period(2026, None, AS_OF)) == 1
    months = ind.monthly(conn, [sid], YEAR, ["activities", "person_visits"], as_of=AS_OF)
    assert [m["activities"] for m in months] == [2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    assert sum(m["person_visits"] for m in months) == EXPECTED_2025["person_visits"]
    # Another station's rows never count; a station with no rows gives zeros.
    assert ind.activities(conn, ["another-station"], Period(YEAR, None, AS_OF)) == 0
    assert ind.activities(
        conn, [sid, "another-station"], Period(YEAR, None, AS_OF), by_station=True
    ) == {sid: 5, "another-station": 0}


def test_as_of_cuts_the_period_and_prorates_the_target(dataset):
    services, _ = dataset
    conn, sid = services.store.conn, services.store.station_id
    mid = Period(YEAR, None, dt.date(2025, 3, 8))  # day 67 of 365
    assert ind.activities(conn, [sid], mid) == 4  # A7 (Dec 31) not yet
    assert ind.training_sessions(conn, [sid], mid) == 2  # S1, S2
    assert ind.activities_target(conn, [sid], mid) == pytest.approx(14.6 * 67 / 365)
    assert ind.visits_target(conn, [sid], mid) == pytest.approx(1.25 * 20_000 * 67 / 365)
    assert ind.activities_target(conn, [sid], Period(YEAR, None, AS_OF)) == pytest.approx(14.6)


def test_checklist_done_and_due(dataset):
    services, _ = dataset
    items = {
        i["code"]: i
        for i in ind.checklist(
            services.store.conn, [services.store.station_id], Period(YEAR, None, AS_OF)
        )
    }
    assert items["lectures_trainings"] == {
        "code": "lectures_trainings",
        "label": "公益讲座和培训",
        "min": 12,
        "count": 2,
        "done": False,
        "due": 10,
    }
    assert items["special_groups"]["count"] == 3 and items["special_groups"]["done"] is True


def test_star_level_and_completer_rules():
    # the rules are the training and volunteer areas' own; the reports read a stored share of 0
    # as 0.8
    assert ind.is_completer(8, 10, 0) and not ind.is_completer(7, 10, 0)
    assert ind.is_completer(3, 5, 0.6) and not ind.is_completer(0, 0, 0.6)


def test_summary_json_from_the_cli_matches(dataset, cli):
    services, _ = dataset
    services.close()  # the CLI opens the file itself
    proc = cli(
        "report", "summary", "--year", str(YEAR), "--json", "--as-of", AS_OF.isoformat(), check=True
    )
    data = json.loads(proc.stdout)
    for key in (
        "activities",
        "person_visits",
        "visits_per_resident",
        "special_group_activities",
        "mobile_activities",
        "training_classes",
        "training_sessions",
        "trainee_visits",
        "completers",
        "volunteers_active",
        "volunteer_hours_verified",
    ):
        assert key in data
    for key, expected in EXPECTED_2025.items():
        assert data[key] == pytest.approx(expected), key


def _annual_cells(path: Path) -> tuple[dict[str, object], list[tuple]]:
    wb = openpyxl.load_workbook(path)
    main, detail = wb.worksheets
    assert main.title == f"{YEAR}年文化站年报"
    values = {
        row[1]: row[3] for row in main.iter_rows(min_row=2, values_only=True) if row and row[1]
    }
    return values, list(detail.iter_rows(min_row=2, values_only=True))


ANNUAL_LABELS = {
    "组织文艺活动次数": "art_activities",
    "组织文艺活动参加人次": "art_activity_visits",
    "举办训练班班次": "training_classes",
    "培训签到人次": "trainee_visits",
    "训练班结业人次": "completers",
    "举办展览个数": "exhibitions",
    "展览参观人次": "exhibition_visits",
    "组织公益性讲座次数": "lectures",
    "公益性讲座参加人次": "lecture_visits",
    "业余文艺团队": "amateur_teams",
    "文化志愿者人数": "volunteers_active",
    "文化志愿者服务时长": "volunteer_hours_verified",
    "年末从业人员": "full_time_staff",
    "活动台账活动场次": "activities",
    "活动台账参与人次": "person_visits",
    "面向特殊群体的活动场次": "special_group_activities",
    "流动服务场次": "mobile_activities",
    "培训课次": "training_sessions",
}


def test_annual_report_cells_match(dataset, cli, tmp_path):
    services, _ = dataset
    services.close()
    out = tmp_path / "年报 2025.xlsx"
    cli(
        "report",
        "annual",
        "--year",
        str(YEAR),
        "-o",
        str(out),
        "--as-of",
        AS_OF.isoformat(),
        check=True,
    )
    values, detail = _annual_cells(out)
    for label, key in ANNUAL_LABELS.items():
        assert values[label] == pytest.approx(EXPECTED_2025[key]), label
    assert values["人均参与次数"] == pytest.approx(EXPECTED_2025["visits_per_resident"])
    assert values["培训出勤率"] == pytest.approx(9 / 14)  # a fraction shown as a percentage
    assert values["填报单位"] == "测试镇综合文化站"

    # The second sheet lists each record behind the figures once, with what it adds to each.
    def counted(label):  # {(title, record id): amount}
        out = {}
        for row in detail:
            for part in (row[4] or "").split("；"):
                name, _, amount = part.rpartition(" ")
                if name == label:
                    out[(row[2], row[5])] = float(amount)
        return out

    def titles(label):
        return {title: amount for (title, _), amount in counted(label).items()}

    assert len(detail) == len({(r[0], r[5]) for r in detail})  # no record twice
    assert set(titles("活动台账活动场次")) == {
        "重阳文艺演出",
        "彝族文化讲座",
        "少儿书画展",
        "广场舞培训",
        "留守儿童读书会",
    }
    assert sum(counted("活动台账参与人次").values()) == 210
    assert titles("组织文艺活动参加人次") == {"重阳文艺演出": 100}
    for label, key in ANNUAL_LABELS.items():
        if key not in ("amateur_teams", "full_time_staff"):
            assert sum(counted(label).values()) == pytest.approx(EXPECTED_2025[key]), label
    assert set(titles("训练班结业人次")) == {"声乐班：张一", "声乐班：李二", "声乐班：赵四"}
    assert titles("文化志愿者服务时长") == {"张一": 10, "李二": 1.5, "王三": 2}


def test_monthly_report_xlsx_and_pdf(dataset, cli, tmp_path):
    services, _ = dataset
    services.close()
    xlsx, pdf_file = tmp_path / "月报.xlsx", tmp_path / "月报.pdf"
    cli(
        "report",
        "monthly",
        "--month",
        "2025-03",
        "-o",
        str(xlsx),
        "--as-of",
        AS_OF.isoformat(),
        check=True,
    )
    cli(
        "report",
        "monthly",
        "--month",
        "2025-03",
        "-o",
        str(pdf_file),
        "--as-of",
        AS_OF.isoformat(),
        check=True,
    )
    wb = openpyxl.load_workbook(xlsx)
    # numbers are numbers; a rate is a fraction with a percentage format, its unit not repeated
    sheet = wb["月报"]
    figures = {r[0].value: r[1] for r in sheet.iter_rows(min_row=2)}
    units = {r[0]: r[2] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert (
        figures["活动场次"].value,
        figures["培训课次"].value,
        figures["培训签到人次"].value,
    ) == (
        1,
        3,
        7,
    )
    assert figures["培训签到人次"].number_format == "#,##0"
    assert figures["培训出勤率"].value == pytest.approx(7 / 12)  # 7 of 3 sessions × 4 participants
    assert figures["培训出勤率"].number_format == "0.0%" and not units["培训出勤率"]
    acts = list(wb["活动"].iter_rows(min_row=2, values_only=True))
    assert [a[2] for a in acts] == ["广场舞培训"]
    classes = list(wb["培训"].iter_rows(min_row=2, values_only=True))
    assert len(classes) == 1 and classes[0][0] == "声乐班" and classes[0][2:4] == (3, 7)
    assert classes[0][4] == pytest.approx(7 / 12)
    assert wb["培训"]["E2"].number_format == "0.0%"
    assert pdf_file.read_bytes().startswith(b"%PDF")
    bad = cli("report", "monthly", "--month", "2025-13", "-o", str(xlsx))
    assert bad.returncode == 2 and "YYYY-MM" in bad.stderr
    bad = cli("report", "monthly", "--month", "2025-03", "-o", str(tmp_path / "x.doc"))
    assert bad.returncode == 2 and ".pdf" in bad.stderr


def test_report_without_station_says_so(cli):
    proc = cli("report", "summary", "--year", "2025", "--json")
    assert proc.returncode == 2 and "文化站" in proc.stderr


def test_report_service_overview_has_last_year_and_months(dataset):
    services, _ = dataset
    data = ReportService(services).overview(YEAR, as_of=AS_OF)
    assert data["current"]["activities"] == 5 and data["previous"]["activities"] == 1
    assert [m["activities"] for m in data["monthly"]][:3] == [2, 1, 1]
    assert data["monthly_previous"][11]["person_visits"] == 999


def test_many_stations_as_on_the_city_server(dataset):
    """The server runs the same functions over replicas holding many stations' rows."""
    services, _ = dataset
    store = services.store
    a, b = store.station_id, "station-b"
    with store.transaction():
        store.apply_remote(
            "stations",
            b,
            b,
            {"name": "乙站", "county": "东区"},
            store.clock.now(),
        )
        store.apply_remote(
            "annual_facts",
            "b-facts",
            b,
            {"year": YEAR, "population": 1_000, "population_source": "测试"},
            store.clock.now(),
        )
        for i, (date, kind, delivery, att, groups) in enumerate(
            (
                ("2025-02-03", "lecture", "station", 30, ["elderly"]),
                ("2025-05-06", "performance", "mobile", 70, []),
                ("2025-05-07", "performance", "station", 5, []),
            )
        ):
            store.apply_remote(
                "activities",
                f"b-act-{i}",
                b,
                {
                    "title": f"乙站活动{i}",
                    "date": date,
                    "kind": kind,
                    "delivery": delivery,
                    "attendance": att,
                    "target_groups": groups,
                },
                store.clock.now(),
            )
        store.apply_remote("activities", "b-act-2", b, {"deleted": True}, store.clock.now())
        store.apply_remote("classes", "b-class", b, {"name": "乙站书法班"}, store.clock.now())
        store.apply_remote("people", "b-p", b, {"name": "乙站学员"}, store.clock.now())
        store.apply_remote(
            "enrollments",
            "b-e",
            b,
            {"class_id": "b-class", "person_id": "b-p", "active": True},
            store.clock.now(),
        )
        for j, day in enumerate(("2025-04-01", "2025-04-08")):
            store.apply_remote(
                "sessions", f"b-s{j}", b, {"class_id": "b-class", "date": day}, store.clock.now()
            )
            store.apply_remote(
                "attendance",
                f"b-t{j}",
                b,
                {
                    "session_id": f"b-s{j}",
                    "class_id": "b-class",
                    "person_id": "b-p",
                    "mark": "present" if j == 0 else "absent",
                },
                store.clock.now(),
            )
        store.apply_remote(
            "volunteers",
            "b-v",
            b,
            {"person_id": "b-p", "status": "active", "join_date": "2024-01-01"},
            store.clock.now(),
        )
        store.apply_remote(
            "service_records",
            "b-r",
            b,
            {
                "volunteer_id": "b-v",
                "person_id": "b-p",
                "date": "2025-06-01",
                "hours": 4,
                "status": "verified",
            },
            store.clock.now(),
        )
    period = Period(YEAR, None, AS_OF)
    keys = [
        "activities",
        "person_visits",
        "visits_per_resident",
        "special_group_activities",
        "mobile_activities",
        "training_classes",
        "training_sessions",
        "trainee_visits",
        "attendance_rate",
        "completers",
        "volunteers_active",
        "volunteer_hours_verified",
        "population",
        "activities_target",
    ]
    per = ind.compute(store.conn, [a, b], period, keys, by_station=True)
    assert {k: per[k][b] for k in keys} == {
        "activities": 2,
        "person_visits": 100,
        "visits_per_resident": 0.1,
        "special_group_activities": 1,
        "mobile_activities": 1,
        "training_classes": 1,
        "training_sessions": 2,
        "trainee_visits": 1,
        "attendance_rate": 0.5,
        "completers": 0,
        "volunteers_active": 1,
        "volunteer_hours_verified": 4,
        "population": 1_000,
        "activities_target": pytest.approx(14.6),
    }
    assert {k: per[k][a] for k in keys} == pytest.approx(
        {k: EXPECTED_2025.get(k, 14.6) for k in keys}
    )
    both = ind.compute(store.conn, [a, b], period, keys)
    assert both["activities"] == 7 and both["person_visits"] == 310
    assert both["visits_per_resident"] == pytest.approx(310 / 21_000)
    assert both["attendance_rate"] == pytest.approx((9 + 1) / (14 + 2))
    assert both["activities_target"] == pytest.approx(2 * 14.6)
    # one station alone is never mixed with the other
    assert ind.compute(store.conn, [b], period, ["activities"]) == {"activities": 2}
