"""Volunteer service certificates that meet the rules, the ID number kept masked, and erasure on
request (issue 13, §5) — on a real SQLite file; the PDF's text read back with pypdf."""

from __future__ import annotations

import csv
import datetime as dt
import json

import openpyxl
import pytest
from pypdf import PdfReader

from pzh_core.domain.certificate import (
    id_number_error,
    masked_id_number,
    next_certificate_number,
    pc_prefix,
    resident_id,
)
from pzh_core.domain.errors import ValidationError
from pzh_core.domain.person import Person
from pzh_core.domain.volunteer import ServiceRecord, Volunteer
from pzh_station.services.volunteers import CertificateRequest, VolunteerService
from pzh_station.store import changelog

TODAY = dt.date.today()
ID = "11010519491231002X"  # the GB 11643 example number (valid check character)
MASKED = "1101**********002X"


def volunteer_with_hours(svc: VolunteerService) -> str:
    vid = svc.save(
        Volunteer(
            join_date="2021-03-01", number="ZY2021-0001", id_type="resident_id", id_number=ID
        ),
        Person(name="刘晓梅", gender="女", phone="13912345678", birth_year=1975),
    )
    for days, hours, what in ((40, 3, "非遗展览讲解"), (20, 2.5, "广场舞辅导"), (5, 4, "图书整理")):
        day = (TODAY - dt.timedelta(days=days)).isoformat()
        rec = svc.save_record(
            ServiceRecord(volunteer_id=vid, date=day, hours=hours, description=what)
        )
        svc.verify(rec.id, verifier="王芳")
    return vid


def pdf_text(path) -> str:
    return "".join(p.extract_text() for p in PdfReader(str(path)).pages).replace(" ", "")


def test_id_number_rules_and_mask():
    assert id_number_error("resident_id", ID) is None
    assert "校验位" in id_number_error("resident_id", ID[:-1] + "1")
    assert "18位" in id_number_error("resident_id", "5104111990")
    assert "出生日期" in id_number_error(
        "resident_id", resident_id("510411", dt.date(2090, 1, 1), 1)
    )
    assert id_number_error("passport", "E12345678") is None
    assert id_number_error("", "") is None and id_number_error("", "E1234567")
    assert masked_id_number("510411199001011234") == "5104**********1234"
    assert masked_id_number(ID) == MASKED


def test_register_numbers_per_pc():
    prefix = pc_prefix("3fa9c1d2e3f4")
    assert prefix == "3FA9C1"
    used = [
        "ZYZM2026-3FA9C1-0001",
        "ZYZM2026-3FA9C1-0007",
        "ZYZM2026-AAAAAA-0099",
        "ZYZM2025-3FA9C1-0042",
    ]
    assert next_certificate_number(used, year=2026, prefix=prefix) == "ZYZM2026-3FA9C1-0008"
    assert next_certificate_number([], year=2027, prefix=prefix) == "ZYZM2027-3FA9C1-0001"
    # the number the city server gave the PC in its station; a provisional prefix never has J
    assert pc_prefix("3fa9c1d2e3f4", 3) == "J03" and pc_prefix("", 12) == "J12"
    used += ["ZYZM2026-J03-0004", "ZYZM2026-J030-0009", ""]
    assert next_certificate_number(used, year=2026, prefix="J03") == "ZYZM2026-J03-0005"


def test_certificate_carries_every_item_the_rules_ask(services, tmp_path):
    svc = VolunteerService(services)
    vid = volunteer_with_hours(svc)
    req = svc.certificate_defaults(vid)
    assert (
        req.handler == "李明" and req.unit == "测试镇综合文化站" and req.period_from == "2021-03-01"
    )
    req.head, req.phone = "张建国", "0812-2880123"
    number, out = svc.write_certificate(req, tmp_path / "证明.pdf")
    prefix = pc_prefix(services.store.device_id)
    assert number == f"ZYZM{TODAY.year}-{prefix}-0001"
    text = pdf_text(out)
    for item in (
        "志愿服务证明",
        number,  # the register's number
        "刘晓梅",
        "居民身份证",
        ID,  # in full: the one place it is printed
        "ZY2021-0001",
        "非遗展览讲解",  # service content
        "9.5小时",  # verified hours
        "2021年3月1日至",  # the period
        "测试镇综合文化站",  # issuing unit
        "单位负责人：张建国",
        "经办人：李明",
        "联系电话：08122880123",
        f"{TODAY.year}年{TODAY.month}月{TODAY.day}日",  # issue date
        "盖章",
        "（试行）",
    ):
        assert item in text, item
    # The register holds it (synced), and the next certificate takes the next number.
    assert [(r["number"], r["hours"], r["head"]) for r in svc.register(vid)] == [
        (number, 9.5, "张建国")
    ]
    second, _ = svc.write_certificate(svc.certificate_defaults(vid), tmp_path / "2.pdf")
    assert second == f"ZYZM{TODAY.year}-{prefix}-0002"  # head and phone came from the last one


def test_certificate_refused_at_the_fields_and_writes_nothing(services, tmp_path):
    svc = VolunteerService(services)
    vid = volunteer_with_hours(svc)
    bad = CertificateRequest(volunteer_id=vid, period_from="2026-05-01", period_to="2025-01-01")
    with pytest.raises(ValidationError) as err:
        svc.write_certificate(bad, tmp_path / "x.pdf")
    assert set(err.value.errors) >= {"head", "phone", "period_to"}
    assert not (tmp_path / "x.pdf").exists() and svc.register() == []
    # No ID recorded: the certificate cannot be issued.
    other = svc.save(Volunteer(join_date="2022-01-01"), Person(name="赵六"))
    with pytest.raises(ValidationError) as err:
        svc.write_certificate(
            CertificateRequest(volunteer_id=other, head="张建国", phone="08122880123"),
            tmp_path / "y.pdf",
        )
    assert "证件" in err.value.errors["id_number"]
    # A bad ID number is refused at its field when the volunteer is saved.
    vol, person = svc.get_with_person(other)
    vol.id_type, vol.id_number = "resident_id", ID[:-1] + "1"
    with pytest.raises(ValidationError) as err:
        svc.save(vol, person)
    assert "校验位" in err.value.errors["id_number"]


def test_id_number_masked_and_never_exported(services, tmp_path):
    svc = VolunteerService(services)
    vid = volunteer_with_hours(svc)
    assert svc.masked_id(vid) == f"居民身份证 {MASKED}"
    for row in svc.rows():
        assert ID not in json.dumps(row, ensure_ascii=False)
    svc.export(tmp_path / "a.xlsx")
    svc.export(tmp_path / "a.csv", fmt="csv")
    svc.export_hours(tmp_path / "h.xlsx", fmt="xlsx")
    svc.export_hours(tmp_path / "h.csv", fmt="csv")
    for name in ("a.xlsx", "h.xlsx"):
        wb = openpyxl.load_workbook(tmp_path / name)
        cells = [str(c) for ws in wb for row in ws.iter_rows(values_only=True) for c in row]
        assert not any(ID in c or ID[:-1] in c for c in cells), name
    for name in ("a.csv", "h.csv"):
        with open(tmp_path / name, encoding="utf-8-sig") as fh:
            assert ID not in "".join(",".join(r) for r in csv.reader(fh)), name


def test_erasure_keeps_hours_and_leaves_no_trace_in_the_log(services, tmp_path):
    svc = VolunteerService(services)
    vid = volunteer_with_hours(svc)
    vol, person = svc.get_with_person(vid)
    before = (svc.totals(vid).all_time, svc.rows()[0]["total"], len(svc.register()))
    svc.erase_person(person.id)
    vol, person = svc.get_with_person(vid)
    assert (person.name, person.phone, person.birth_year) == ("已注销", "", 0)
    assert (vol.id_type, vol.id_number) == ("", "")
    assert (svc.totals(vid).all_time, svc.rows()[0]["total"], len(svc.register())) == before
    assert svc.rows()[0]["name"] == "已注销" and vol.number == "ZY2021-0001"
    log = json.dumps([e["fields"] for e in changelog.entries(services.store)], ensure_ascii=False)
    for personal in ("刘晓梅", "13912345678", ID, "1975"):
        assert personal not in log, personal
    # Nobody can type the data back, nor certify an erased person.
    person.name = "刘晓梅"
    with pytest.raises(ValidationError) as err:
        svc.people.save(person)
    assert "已按本人申请注销" in err.value.errors["name"]
    vol.id_type, vol.id_number = "resident_id", ID  # nor the ID number (one rule: erasure.py)
    with pytest.raises(ValidationError) as err:
        svc.save(vol)
    assert "已按本人申请注销" in err.value.errors["id_number"]
    assert svc.get(vid).id_number == ""
    person.name, person.village = "已注销", "大田村"  # what is not personal data stays editable
    svc.people.save(person)
    assert svc.people.get(person.id).village == "大田村"
    req = CertificateRequest(volunteer_id=vid, head="张建国", phone="08122880123")
    with pytest.raises(ValidationError):
        svc.write_certificate(req, tmp_path / "z.pdf")
    # Nor merged with a duplicate entry that still holds her data.
    twin = svc.people.save(Person(name="刘晓梅", phone="13912345678"))
    with pytest.raises(ValidationError) as err:
        svc.people.merge(person.id, twin)
    assert "注销" in err.value.errors["merge"]
    assert svc.people.get(person.id).phone == ""


def test_cli_certificate_and_erasure(cli, tmp_path):
    cli("init", "--station", "测试站", "--county", "仁和区", "--staff", "李明,王芳", check=True)
    cli("demo-data", check=True)
    out = tmp_path / "v.xlsx"
    cli("export", "volunteers", "-o", str(out), check=True)
    number = openpyxl.load_workbook(out).active["A2"].value
    pdf = tmp_path / "c.pdf"
    args = ("--head", "张建国", "--handler", "李明", "--phone", "08122880123", "-o", str(pdf))
    proc = cli("export", "volunteer-certificate", number, *args, check=True)
    assert "ZYZM" in proc.stdout and "居民身份证" in pdf_text(pdf)
    issued = proc.stdout.split()[1].split("：")[0]
    listed = cli("volunteer-certificates", check=True).stdout
    assert issued in listed and number in listed and "共 1 份证明" in listed
    assert cli("erase-person", number).returncode == 2  # asks for --yes
    cli("erase-person", number, "--yes", check=True)
    cli("export", "volunteers", "-o", str(out), check=True)
    row = next(
        r for r in openpyxl.load_workbook(out).active.iter_rows(values_only=True) if r[0] == number
    )
    assert row[1] == "已注销"
    # A trainee (not a volunteer), by phone: the registry row is erased, the roster keeps her.
    from pzh_station.store import Store

    store = Store(cli.data_dir / "station.sqlite3")
    trainee = store.query(
        "SELECT p.id, p.phone, count(*) AS n FROM people p JOIN enrollments e"
        " ON e.person_id = p.id AND e.deleted = 0 WHERE p.phone <> '' AND NOT EXISTS"
        " (SELECT 1 FROM volunteers v WHERE v.person_id = p.id) GROUP BY p.id LIMIT 1"
    )[0]
    store.close()
    assert "已注销此人" in cli("erase-person", trainee["phone"], "--yes", check=True).stdout
    store = Store(cli.data_dir / "station.sqlite3")
    after = store.query(
        "SELECT p.name, p.phone, count(*) AS n FROM people p JOIN enrollments e"
        " ON e.person_id = p.id AND e.deleted = 0 WHERE p.id = ?",
        (trainee["id"],),
    )[0]
    store.close()
    assert (after["name"], after["phone"], after["n"]) == ("已注销", "", trainee["n"])
    assert cli("erase-person", "没有这个人", "--yes").returncode == 2
