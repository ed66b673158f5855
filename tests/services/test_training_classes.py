"""Training classes: validation, sessions (weekly schedule, add, move, cancel), roster, marks,
rates and completion."""

from __future__ import annotations

import datetime as dt

import pytest

from pzh_core.domain import training as d
from pzh_core.domain.errors import ValidationError
from pzh_core.domain.person import Person
from pzh_core.domain.training import TrainingClass
from pzh_core.schema import det_id
from pzh_station.services.people import PeopleService
from pzh_station.services.training import ClassFilter, TrainingService

TODAY = dt.date(2026, 6, 30)


def test_weekly_schedule_tue_thu_for_8_weeks_skipping_a_holiday():
    dates = d.weekly_dates(dt.date(2026, 3, 2), [1, 3], weeks=8, skip=[dt.date(2026, 4, 7)])
    assert len(dates) == 15
    assert dates[0] == dt.date(2026, 3, 3) and dates[-1] == dt.date(2026, 4, 23)
    assert all(x.weekday() in (1, 3) for x in dates)
    assert dt.date(2026, 4, 7) not in dates
    assert d.weekly_dates(dt.date(2026, 3, 2), [5], until=dt.date(2026, 3, 21)) == [
        dt.date(2026, 3, 7),
        dt.date(2026, 3, 14),
        dt.date(2026, 3, 21),
    ]


def test_completion_threshold_rounds_up():
    assert d.needed(8, 0.8) == 7  # 6.4 → 7
    assert d.needed(10, 0.8) == 8
    assert d.completed(8, 10, 0.8) and not d.completed(7, 10, 0.8)
    assert not d.completed(0, 0, 0.8)


def test_class_validation_messages(services):
    t = TrainingService(services)
    with pytest.raises(ValidationError) as exc:
        t.save_class(
            TrainingClass(
                name="",
                art_form="nope",
                start_date="2026-05-01",
                end_date="2026-04-01",
                capacity=-1,
                completion_share=1.5,
            )
        )
    assert set(exc.value.errors) == {"name", "art_form", "end_date", "capacity", "completion_share"}
    assert t.class_rows() == []


def test_class_list_filter_by_text_status_and_year_names_in_pinyin_order(services):
    t = TrainingService(services)
    for name, teacher, start, status in (
        ("何家书法班", "何老师", "2026-03-01", "running"),
        ("冯家舞蹈班", "王老师", "2026-03-01", "running"),
        ("丁家合唱班", "何老师", "2025-09-01", "finished"),
    ):
        t.save_class(
            TrainingClass(
                name=name, art_form="dance", teacher=teacher, start_date=start, status=status
            )
        )
    names = lambda f: [c["name"] for c in t.class_rows(f)]  # noqa: E731
    # newest first; the same start date in pinyin order (冯 feng before 何 he), not code points
    assert names(None) == ["冯家舞蹈班", "何家书法班", "丁家合唱班"]
    assert names(ClassFilter(text="何老师")) == ["何家书法班", "丁家合唱班"]
    assert names(ClassFilter(status="finished")) == ["丁家合唱班"]
    assert names(ClassFilter(year="2025")) == ["丁家合唱班"]
    assert names(ClassFilter(text="班", year="2026", status="running")) == [
        "冯家舞蹈班",
        "何家书法班",
    ]


def _setup(services, capacity=2):
    t = TrainingService(services)
    people = PeopleService(services)
    cid = t.save_class(
        TrainingClass(
            name="舞蹈班",
            art_form="dance",
            teacher="王老师",
            capacity=capacity,
            start_date="2026-03-01",
            end_date="2026-04-30",
        )
    )
    ids = [people.save(Person(name=n)) for n in ("张三", "李四", "王五")]
    return t, cid, ids


def test_sessions_generate_add_move_cancel(services):
    t, cid, _ = _setup(services)
    dates = d.weekly_dates(dt.date(2026, 3, 2), [1, 3], weeks=2)
    made = t.add_sessions(cid, dates, "19:30", "21:00")
    assert len(made) == 4
    assert t.add_sessions(cid, dates, "19:30", "21:00") == []  # generating twice does not double
    extra = t.add_session(cid, "2026-03-14", "09:00", "11:00")
    with pytest.raises(ValidationError) as exc:
        t.add_session(cid, "2026-03-14", "09:00")
    assert "已有课次" in exc.value.errors["date"]
    with pytest.raises(ValidationError):
        t.add_session(cid, "2026-02-30", "09:00")
    t.move_session(extra, "2026-03-15", "14:00", "16:00")
    t.cancel_session(made[0], reason="停电")
    rows = {s["id"]: s for s in t.sessions(cid)}
    assert (rows[extra]["date"], rows[extra]["start_time"]) == ("2026-03-15", "14:00")
    assert rows[made[0]]["cancelled"] is True and rows[made[0]]["notes"] == "停电"
    assert [s["date"] for s in t.sessions(cid)] == [
        "2026-03-03",
        "2026-03-05",
        "2026-03-10",
        "2026-03-12",
        "2026-03-15",
    ]
    listed = t.class_rows()
    assert listed[0]["sessions"] == 4  # the cancelled one does not count


def test_roster_enroll_drop_reenroll_with_capacity_warning(services):
    t, cid, (a, b, c) = _setup(services, capacity=2)
    assert t.enroll(cid, a, today=TODAY).warning == ""
    r = t.enroll(cid, b, today=TODAY)
    assert "已达到人数上限" in r.warning and r.enrolled == 2
    r = t.enroll(cid, c, today=TODAY)
    assert "超出人数上限" in r.warning and r.enrolled == 3  # warned, not refused
    assert t.enroll(cid, a).already
    t.drop(cid, b)
    roster = t.roster(cid)
    assert [(p["name"], p["active"]) for p in roster] == [  # same day: pinyin order
        ("王五", True),
        ("张三", True),
        ("李四", False),
    ]
    t.enroll(cid, b)
    assert all(p["active"] for p in t.roster(cid))
    row = services.store.get("enrollments", det_id("enrollment", cid, b))
    assert row["enrolled_on"] == TODAY.isoformat()  # re-enrolment keeps the first date


def test_marks_grid_totals_rates_and_completion(services):
    t, cid, (a, b, c) = _setup(services, capacity=0)
    for p in (a, b, c):
        t.enroll(cid, p)
    s = t.add_sessions(
        cid, ["2026-03-03", "2026-03-05", "2026-03-10", "2026-03-12", "2026-03-17"], "19:30"
    )
    future = t.add_session(cid, "2026-12-01", "19:30")
    assert t.mark_all_present(s[0]) == 3
    t.mark(s[1], a, "present")
    t.mark(s[1], b, "late")
    t.mark(s[1], c, "excused")
    assert t.mark_all_present(s[1]) == 0  # set marks are kept
    for sid in s[2:]:
        t.mark(sid, a, "present")
        t.mark(sid, b, "absent")
    t.mark(s[4], b, "")  # cleared
    t.cancel_session(s[4])
    t.mark(future, a, "present")
    assert services.store.get("attendance", det_id("attendance", s[1], b))["mark"] == "late"
    g = t.grid(cid, today=TODAY)
    assert len(g.held_sessions()) == 4  # cancelled and future sessions do not count
    assert g.attended(a) == 4 and g.attended(b) == 2 and g.attended(c) == 1
    assert g.row_rate(a) == 1.0 and g.row_rate(b) == 0.5
    assert g.column_attended(s[1]) == 2 and round(g.column_rate(s[1]), 3) == 0.667
    assert g.column_rate(s[4]) is None
    assert g.row_counts(b) == {"present": 1, "late": 1, "excused": 0, "absent": 2}
    assert [p["name"] for p in t.completers(cid, today=TODAY)] == ["张三"]
    cls = t.get_class(cid)
    cls.completion_share = 0.5
    t.save_class(cls)
    assert {p["name"] for p in t.completers(cid, today=TODAY)} == {"张三", "李四"}


def test_dropped_person_with_marks_stays_in_grid(services):
    t, cid, (a, b, _) = _setup(services)
    t.enroll(cid, a)
    t.enroll(cid, b)
    sid = t.add_session(cid, "2026-03-03")
    t.mark(sid, b, "present")
    t.drop(cid, b)
    g = t.grid(cid, today=TODAY)
    assert [p["name"] for p in g.people] == ["张三", "李四"]
    t.drop(cid, a)
    assert [p["name"] for p in t.grid(cid, today=TODAY).people] == ["李四"]


def test_walk_in_is_enrolled_and_marked_in_one_go(services):
    t, cid, (a, *_) = _setup(services)
    sid = t.add_session(cid, "2026-03-03")
    t.add_walk_in(sid, a)
    roster = t.roster(cid)
    assert roster[0]["walk_in"] and roster[0]["active"]
    assert t.grid(cid, today=TODAY).mark(a, sid) == "present"


def test_two_laptops_marking_the_same_person_make_one_row(services):
    t, cid, (a, *_) = _setup(services)
    sid = t.add_session(cid, "2026-03-03")
    t.mark(sid, a, "present")
    t.mark(sid, a, "late")
    n = services.store.query("SELECT count(*) AS n FROM attendance")[0]["n"]
    assert n == 1


def test_two_offline_laptops_converge_on_one_enrollment_and_one_mark(tmp_path, services):
    """Laptop B starts as a copy of A (same people, class and session), both go offline, both
    enrol and mark the same person; after exchanging change logs both hold the same single rows."""
    import shutil
    import time

    from pzh_station.services.context import open_services

    t, cid, (a, *_) = _setup(services)
    sid = t.add_session(cid, "2026-03-03", "19:30")
    services.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    copy = tmp_path / "laptop-b"
    shutil.copytree(services.data_dir, copy)
    b = open_services(copy, operator="王芳")
    try:
        with b.store.transaction():  # a second device: own id and clock
            b.store.conn.execute("UPDATE meta SET value = 'device-b' WHERE key = 'device_id'")
        b.store.clock.device = "device-b"
        seq_a = services.store.query("SELECT max(seq) AS m FROM changes")[0]["m"]
        seq_b = b.store.query("SELECT max(seq) AS m FROM changes")[0]["m"]
        t.enroll(cid, a)
        t.mark(sid, a, "late")
        tb = TrainingService(b)
        tb.enroll(cid, a)
        time.sleep(0.01)  # a later wall-clock millisecond, so B's mark is the last writer
        tb.mark(sid, a, "present")
        for src, dst, after in ((services.store, b.store, seq_a), (b.store, services.store, seq_b)):
            with dst.transaction():
                for ch in src.pending_changes(after):
                    dst.apply_remote(
                        ch["tbl"], ch["row_id"], src.station_id, ch["fields"], ch["stamp"]
                    )
        for store in (services.store, b.store):
            rows = store.query("SELECT id, mark FROM attendance WHERE deleted = 0")
            assert rows == [{"id": det_id("attendance", sid, a), "mark": "present"}]
            assert (
                store.query("SELECT count(*) AS n FROM enrollments WHERE person_id = ?", (a,))[0][
                    "n"
                ]
                == 1
            )
    finally:
        b.close()
