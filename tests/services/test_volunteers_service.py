"""Volunteer use-cases on a real SQLite file: archive, record → verify / reject → correct,
bulk entry, checks, totals and stars, certificate, import/export and the CLI."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from pypdf import PdfReader

from pzh_core.domain.activity import Activity
from pzh_core.domain.errors import ValidationError
from pzh_core.domain.person import Person
from pzh_core.domain.volunteer import ServiceRecord, Volunteer
from pzh_core.schema import det_id
from pzh_station.services.activities import ActivityService
from pzh_station.services.volunteers import VolunteerService
from pzh_station.store.volunteers import RecordFilter, VolunteerFilter

TODAY = dt.date.today()
D = (TODAY - dt.timedelta(days=10)).isoformat()


def add_volunteer(
    svc: VolunteerService, name: str, *, phone: str = "", join: str = "2020-01-01", number: str = ""
) -> str:
    return svc.save(
        Volunteer(join_date=join, skills=["guiding"], team="讲解队", number=number),
        Person(name=name, gender="女", phone=phone),
    )


def test_volunteer_is_a_person_with_a_deterministic_id(services):
    svc = VolunteerService(services)
    vid = add_volunteer(svc, "张秀英", phone="13800001111")
    vol, person = svc.get_with_person(vid)
    assert vid == det_id("volunteer", vol.person_id)
    assert person.name == "张秀英" and person.phone == "13800001111"
    assert vol.number.startswith("ZY2020-") and vol.created_by == "李明"
    # The same person cannot be added twice.
    with pytest.raises(ValidationError) as err:
        svc.save(Volunteer(join_date="2020-01-01", person_id=vol.person_id))
    assert "已在志愿者档案" in err.value.errors["name"]
    # A bad field: nothing written (no person, no volunteer).
    before = services.store.query("SELECT count(*) n FROM people")[0]["n"]
    with pytest.raises(ValidationError) as err:
        svc.save(Volunteer(join_date="2099-01-01"), Person(name="李四"))
    assert "join_date" in err.value.errors
    assert services.store.query("SELECT count(*) n FROM people")[0]["n"] == before
    rows = svc.rows(VolunteerFilter(text="张秀"))
    assert [r["name"] for r in rows] == ["张秀英"] and rows[0]["total"] == 0


def test_record_verify_reject_and_correct_with_history(services):
    svc = VolunteerService(services)
    vid = add_volunteer(svc, "王小红")
    saved = svc.save_record(
        ServiceRecord(volunteer_id=vid, date=D, hours=3, description="展览讲解")
    )
    rec = svc.get_record(saved.id)
    assert rec.status == "recorded" and rec.recorded_by == "李明" and rec.hours == 3.0
    assert svc.totals(vid).all_time == 0  # recorded hours do not count yet

    # The recorder may not verify their own record: the station has two staff.
    with pytest.raises(ValidationError) as err:
        svc.verify(saved.id)
    assert "不能审核自己" in err.value.errors["verified_by"]
    svc.verify(saved.id, verifier="王芳", today=TODAY)
    rec = svc.get_record(saved.id)
    assert (rec.status, rec.verified_by, rec.verified_on) == ("verified", "王芳", TODAY.isoformat())
    assert svc.totals(vid).all_time == 3

    # A verified record cannot be edited or deleted directly …
    rec.hours = 5
    with pytest.raises(ValidationError):
        svc.save_record(rec)
    with pytest.raises(ValidationError):
        svc.delete_record(saved.id)
    # … only through a correction that keeps what it said before.
    cid = svc.request_correction(
        saved.id, {"hours": 4.5}, "志愿者本人申请：漏记布展时间", requested_by="李明"
    )
    assert svc.get_record(saved.id).hours == 3.0  # unchanged until approved
    with pytest.raises(ValidationError):
        svc.request_correction(saved.id, {"hours": 4}, "再次申请")  # one open request at a time
    with pytest.raises(ValidationError):
        svc.decide_correction(cid, approve=True, decided_by="李明")  # requester cannot approve
    svc.decide_correction(cid, approve=True, decided_by="王芳", today=TODAY)
    rec = svc.get_record(saved.id)
    assert rec.hours == 4.5 and rec.status == "verified"
    assert svc.totals(vid).all_time == 4.5
    history = svc.corrections(saved.id)
    assert len(history) == 1
    assert history[0]["before"]["hours"] == 3.0 and history[0]["proposed"] == {"hours": 4.5}
    assert history[0]["status"] == "approved" and history[0]["decided_by"] == "王芳"

    # A refused correction changes nothing and needs a reason.
    cid2 = svc.request_correction(
        saved.id, {"description": "展览讲解及布展"}, "补充说明", requested_by="李明"
    )
    with pytest.raises(ValidationError):
        svc.decide_correction(cid2, approve=False, decided_by="王芳")
    svc.decide_correction(cid2, approve=False, decided_by="王芳", note="与活动记录不符")
    assert svc.get_record(saved.id).description == "展览讲解"
    assert [c["status"] for c in svc.corrections(saved.id)] == ["approved", "rejected"]

    # Reject with a reason; fixing a rejected record sends it back for verification.
    other = svc.save_record(
        ServiceRecord(volunteer_id=vid, date=D, hours=2, description="引导观众")
    ).id
    with pytest.raises(ValidationError):
        svc.reject(other, "  ", verifier="王芳")
    svc.reject(other, "当天无此活动", verifier="王芳")
    r = svc.get_record(other)
    assert r.status == "rejected" and r.reject_reason == "当天无此活动"
    r.description = "引导观众（补充）"
    svc.save_record(r)
    r = svc.get_record(other)
    assert r.status == "recorded" and r.reject_reason == ""


def test_one_staff_station_may_verify_own_records(services):
    from pzh_station.services.station import StationService

    station = StationService(services)
    p = station.profile()
    p.staff = ["李明"]
    station.save_profile(p)
    svc = VolunteerService(services)
    vid = add_volunteer(svc, "赵六")
    rid = svc.save_record(ServiceRecord(volunteer_id=vid, date=D, hours=1, description="值班")).id
    svc.verify(rid)
    assert svc.get_record(rid).verified_by == "李明"


def test_day_limits_future_and_join_date(services):
    svc = VolunteerService(services)
    vid = add_volunteer(svc, "钱七", join="2024-03-01")
    first = svc.save_record(ServiceRecord(volunteer_id=vid, date=D, hours=10, description="演出"))
    assert first.warnings == {}
    second = svc.save_record(
        ServiceRecord(volunteer_id=vid, date=D, hours=4, description="演出后整理")
    )
    assert "12" in second.warnings["hours"]  # 14 h that day: allowed, with a warning
    with pytest.raises(ValidationError) as err:
        svc.save_record(ServiceRecord(volunteer_id=vid, date=D, hours=10.5, description="通宵"))
    assert "24" in err.value.errors["hours"]
    # Editing a record does not count itself twice: 10 → 10 is fine.
    rec = svc.get_record(first.id)
    rec.description = "文艺演出"
    svc.save_record(rec)
    # A rejected record frees its hours for the day.
    svc.reject(first.id, "重复登记", verifier="王芳")
    assert svc.save_record(ServiceRecord(volunteer_id=vid, date=D, hours=10, description="演出")).id
    with pytest.raises(ValidationError) as err:
        svc.save_record(
            ServiceRecord(
                volunteer_id=vid,
                date=(TODAY + dt.timedelta(days=1)).isoformat(),
                hours=1,
                description="x",
            )
        )
    assert "晚于今天" in err.value.errors["date"]
    with pytest.raises(ValidationError) as err:
        svc.save_record(
            ServiceRecord(volunteer_id=vid, date="2024-02-29", hours=1, description="x")
        )
    assert "加入日期" in err.value.errors["date"]
    with pytest.raises(ValidationError) as err:
        svc.save_record(ServiceRecord(volunteer_id=vid, date=D, hours=1.2, description="x"))
    assert "0.5" in err.value.errors["hours"]
    assert svc.record_count(RecordFilter(volunteer_id=vid)) == 3


def _activity(services, title="百姓大舞台文艺汇演") -> str:
    return ActivityService(services).save(
        Activity(title=title, date=D, kind="performance", start_time="19:00", end_time="21:30")
    )


def test_bulk_entry_for_one_activity_all_or_nothing(services):
    svc = VolunteerService(services)
    a = add_volunteer(svc, "甲")
    b = add_volunteer(svc, "乙")
    late = add_volunteer(svc, "丙", join=TODAY.isoformat())  # joined after the activity
    act = _activity(services)
    result = svc.bulk_record(act, [(a, 2.5), (b, 2.5), (late, 2.5)])
    assert result.written == 0 and set(result.problems) == {late}
    assert svc.record_count() == 0  # nothing half-written
    result = svc.bulk_record(act, [(a, 2.5), (b, 3)])
    assert result.written == 2 and not result.problems
    rows = svc.records(RecordFilter(activity_id=act))
    assert sorted(
        (r["name"], r["hours"], r["date"], r["description"], r["activity_title"]) for r in rows
    ) == [
        ("乙", 3.0, D, "百姓大舞台文艺汇演", "百姓大舞台文艺汇演"),
        ("甲", 2.5, D, "百姓大舞台文艺汇演", "百姓大舞台文艺汇演"),
    ]
    again = svc.bulk_record(act, [(a, 1)])
    assert "已登记" in again.problems[a] and again.written == 0


def test_totals_by_month_year_and_new_levels(services):
    svc = VolunteerService(services)
    vid = add_volunteer(svc, "孙八", join="2020-01-01")
    year = TODAY.year
    # 98 verified hours last year, 2.5 this year (→ crosses 100), plus an unverified record.
    store = services.store
    with store.transaction():
        for i in range(49):
            rid = svc.save_record(
                ServiceRecord(
                    volunteer_id=vid,
                    date=f"{year - 1}-03-{1 + i % 28:02d}",
                    hours=2,
                    description="服务",
                )
            ).id
            svc.verify(rid, verifier="王芳")
    rid = svc.save_record(
        ServiceRecord(volunteer_id=vid, date=f"{year}-01-05", hours=2.5, description="服务")
    ).id
    level = svc.new_levels(year)
    assert level == []  # not verified yet
    svc.verify(rid, verifier="王芳")
    svc.save_record(
        ServiceRecord(volunteer_id=vid, date=f"{year}-01-06", hours=8, description="未审核")
    )
    t = svc.totals(vid)
    assert t.all_time == 100.5 and t.by_year == {year - 1: 98.0, year: 2.5}
    assert t.by_month[f"{year - 1}-03"] == 98.0 and t.stars == 1 and t.star_label == "一星级志愿者"
    level = svc.new_levels(year)
    assert [(r["name"], r["stars"], r["hours_before"], r["hours"]) for r in level] == [
        ("孙八", 1, 98.0, 100.5)
    ]
    assert svc.new_levels(year - 1) == []
    row = svc.rows(year=year)[0]
    assert (row["total"], row["year_total"], row["stars"]) == (100.5, 2.5, 1)
    summary = svc.hours_summary(year)[0]
    assert summary["months"][0] == 2.5 and sum(summary["months"]) == 2.5


def test_certificate_lists_verified_records_only(services, tmp_path):
    """The certificate's records (and the register's hours) are the verified ones; the full
    PDF check is tests/services/test_certificates.py."""
    from pzh_station.services.volunteers import CertificateRequest

    svc = VolunteerService(services)
    vid = svc.save(
        Volunteer(
            join_date="2020-01-01",
            number="ZY-007",
            id_type="resident_id",
            id_number="11010519491231002X",
        ),
        Person(name="周九", gender="女"),
    )
    ok = svc.save_record(
        ServiceRecord(volunteer_id=vid, date=D, hours=3.5, description="非遗展览讲解")
    ).id
    svc.verify(ok, verifier="王芳")
    svc.save_record(ServiceRecord(volunteer_id=vid, date=D, hours=2, description="尚未审核的服务"))
    req = CertificateRequest(volunteer_id=vid, head="张站长", phone="08128880000")
    data = svc.certificate_data(req, today=TODAY)
    assert data.station == "测试镇综合文化站" and data.name == "周九" and data.number == "ZY-007"
    assert data.records == [(D, "非遗展览讲解", 3.5, "王芳")] and data.total == 3.5
    number, out = svc.write_certificate(req, tmp_path / "证明.pdf", today=TODAY)
    reader = PdfReader(str(out))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4
    text = "".join(p.extract_text() for p in reader.pages).replace(" ", "")
    for expected in (
        "志愿服务证明",
        "周九",
        "ZY-007",
        "测试镇综合文化站",
        "非遗展览讲解",
        "3.5",
        "盖章",
        "王芳",
        number,
    ):
        assert expected in text, expected
    assert "尚未审核的服务" not in text
    assert [(r["number"], r["hours"], r["records"]) for r in svc.register(vid)] == [
        (number, 3.5, 1)
    ]


def test_import_and_export_archive_and_hours(services, tmp_path):
    svc = VolunteerService(services)
    src = tmp_path / "志愿者.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["文化志愿者花名册"])
    ws.append(["编号", "姓名", "性别", "电话", "加入日期", "技能", "团队", "状态"])
    ws.append(["V001", "刘一", "男", 13900000001, "2023/5/4", "文艺表演、讲解", "文艺队", "在册"])
    ws.append(["V002", "陈二", "女", "", "2023年6月1日", "摄影摄像", "", ""])
    ws.append(["V003", "", "女", "", "2023-06-01", "飞行", "", "休假"])
    wb.save(src)
    result = svc.read_import(src)
    assert result.total == 3 and result.bad_lines == {5}
    assert svc.write_import(result).written == 0  # all or nothing
    svc.write_import(result, skip_bad=True)
    rows = {r["number"]: r for r in svc.rows()}
    assert set(rows) == {"V001", "V002"}
    assert (
        rows["V001"]["skills"] == ["performing", "guiding"]
        and rows["V001"]["phone"] == "13900000001"
    )
    # Re-importing updates by number instead of duplicating.
    again = svc.read_import(src)
    svc.write_import(again, skip_bad=True)
    assert svc.count() == 2
    # A later file with fewer columns does not wipe what the archive knows.
    slim = tmp_path / "补充.csv"
    slim.write_text("编号,姓名,获奖情况\nV001,刘一,2025年优秀志愿者\n", encoding="utf-8")
    svc.write_import(svc.read_import(slim))
    v001 = svc.get(rows["V001"]["id"])
    assert (v001.join_date, v001.skills, v001.team, v001.awards) == (
        "2023-05-04",
        ["performing", "guiding"],
        "文艺队",
        "2025年优秀志愿者",
    )
    assert svc.people.get(v001.person_id).phone == "13900000001"

    vid = rows["V001"]["id"]
    rid = svc.save_record(ServiceRecord(volunteer_id=vid, date=D, hours=2, description="演出")).id
    svc.verify(rid, verifier="王芳")
    out = tmp_path / "档案.xlsx"
    assert svc.export(out) == 2
    sheet = openpyxl.load_workbook(out).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][:2] == ["志愿者编号", "姓名"]
    assert ["V002", "陈二"] == values[1][:2]  # 陈 chen before 刘 liu: pinyin order
    assert ["V001", "刘一"] == values[2][:2] and values[2][-2] == 2
    hours = tmp_path / "时长.xlsx"
    assert svc.export_hours(hours, year=int(D[:4])) == 1
    wb = openpyxl.load_workbook(hours)
    assert wb.sheetnames[0] == "服务记录"
    rec = [c.value for c in wb.worksheets[0][2]]
    assert rec[:4] == [D, "V001", "刘一", 2] and "已审核" in rec


def test_cli_import_and_exports(cli, tmp_path):
    cli("init", "--station", "测试站", "--county", "仁和区", "--staff", "李明,王芳", check=True)
    src = tmp_path / "v.csv"
    src.write_text("姓名,电话,加入日期,技能\n黄一,13700000000,2024-01-01,讲解\n", encoding="utf-8")
    proc = cli("import", "volunteers", str(src))
    assert proc.returncode == 0, proc.stderr
    assert "已导入 1" in proc.stdout
    out = tmp_path / "out.csv"
    proc = cli("export", "volunteers", "--format", "csv", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "黄一" in out.read_text(encoding="utf-8-sig")
    out2 = tmp_path / "hours.xlsx"
    proc = cli("export", "volunteer-hours", "--format", "xlsx", "--year", "2025", "-o", str(out2))
    assert proc.returncode == 0, proc.stderr
    assert openpyxl.load_workbook(out2).sheetnames == ["服务记录", "2025年时长汇总"]
    bad = tmp_path / "bad.csv"
    bad.write_text("姓名,加入日期\n,2024-01-01\n", encoding="utf-8")
    proc = cli("import", "volunteers", str(bad))
    assert proc.returncode != 0 and "第2行" in proc.stdout


def test_demo_data_fills_a_year_of_volunteers(services):
    import random

    from pzh_station.services import demo_activities, demo_volunteers

    demo_activities.fill(services, random.Random(1), count=30)
    made = demo_volunteers.fill(services, random.Random(1))
    svc = VolunteerService(services)
    assert made["volunteers"] == svc.count() == 40
    states = {r["status"] for r in svc.records(limit=None)}
    assert states == {"recorded", "verified", "rejected"}
    assert any(r["activity_id"] for r in svc.records(limit=None))
    assert made["service_corrections"] == 1 and len(svc.pending_corrections()) == 0
    assert any(r["stars"] >= 1 for r in svc.rows())
    # Every verified record was verified by someone other than its recorder (two staff).
    assert not services.store.query(
        "SELECT 1 FROM service_records WHERE status = 'verified' AND verified_by = recorded_by"
    )


def test_cli_demo_data_and_certificate(cli, tmp_path):
    cli("init", "--station", "测试站", "--county", "仁和区", "--staff", "李明,王芳", check=True)
    proc = cli("demo-data", check=True)
    assert "志愿者 40 条" in proc.stdout
    out = tmp_path / "v.xlsx"
    cli("export", "volunteers", "-o", str(out), check=True)
    number = openpyxl.load_workbook(out).active["A2"].value
    pdf = tmp_path / "证明.pdf"
    refused = cli("export", "volunteer-certificate", number, "-o", str(pdf))
    assert refused.returncode == 2 and "请填写单位负责人" in refused.stderr and not pdf.exists()
    proc = cli(
        "export",
        "volunteer-certificate",
        number,
        "-o",
        str(pdf),
        "--head",
        "张站长",
        "--handler",
        "李明",
        "--phone",
        "08128880000",
        check=True,
    )
    text = "".join(p.extract_text() for p in PdfReader(str(pdf)).pages).replace(" ", "")
    assert number in text and "测试站" in text and "ZYZM" in proc.stdout
    assert cli("export", "volunteer-certificate", "没有这个人").returncode == 2


def test_volunteer_commands_have_help_and_are_documented():
    from pathlib import Path

    from pzh_station.cli.main import build_parser

    parser = build_parser()
    docs = (Path(__file__).resolve().parents[2] / "docs" / "volunteers.md").read_text(
        encoding="utf-8"
    )
    sub = next(a for a in parser._actions if a.dest == "command")
    for group, name in (
        ("import", "volunteers"),
        ("export", "volunteers"),
        ("export", "volunteer-hours"),
        ("export", "volunteer-certificate"),
    ):
        gp = sub.choices[group]
        cmd = next(a for a in gp._actions if a.dest == f"{group}_what").choices[name]
        assert f"pzh-station {group} {name}" in docs
        for action in cmd._actions:
            if action.dest not in ("help",):
                assert action.help, (group, name, action.dest)
