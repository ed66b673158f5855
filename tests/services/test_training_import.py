"""Roster import from messy field files; export of roster and attendance; paper PDFs; CLI."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pytest

from pzh_core.domain.person import Person
from pzh_core.domain.training import TrainingClass
from pzh_core.tabular import TableError
from pzh_station.services.people import PeopleService
from pzh_station.services.roster_import import RosterImporter
from pzh_station.services.training import TrainingService
from pzh_station.services.training_export import TrainingExport

DATA = Path(__file__).resolve().parents[1] / "data"
TODAY = dt.date(2026, 6, 30)


def _counts(services):
    q = services.store.query
    return (
        q("SELECT count(*) AS n FROM people")[0]["n"],
        q("SELECT count(*) AS n FROM enrollments")[0]["n"],
        q("SELECT count(*) AS n FROM changes")[0]["n"],
    )


def test_messy_xlsx_gets_a_per_row_report_and_nothing_is_written(services):
    before = _counts(services)
    imp = RosterImporter(services)
    result = imp.read_import(DATA / "roster_messy.xlsx", today=TODAY)
    by_line = {r.line: r for r in result.rows}
    assert result.mapped["name"] == "姓 名"  # header found on row 3, under a merged title
    zhang = by_line[4]
    assert (zhang.person.name, zhang.person.phone, zhang.person.birth_year) == (
        "张三",
        "13800001111",
        1962,
    )
    li = by_line[5]
    assert li.person.phone == "13900002222"  # full-width digits and spaces
    assert li.person.village == "大田村"  # filled from the merged cell
    assert by_line[6].person.phone == "13700003333"  # number stored as 13700003333.0
    assert by_line[7].action == "repeat" and by_line[7].repeat_of == 4
    assert by_line[8].person.ethnicity == "彝族" and by_line[8].action == "new"
    assert by_line[9].person.gender == "男" and "电话号码" in by_line[9].problems[0]
    assert "为空" in by_line[10].problems[0]
    assert len(by_line[11].problems) == 2  # gender 未知 and year 19ab
    assert "第11行" in by_line[11].describe()
    assert len(result.bad) == 3
    assert "有问题 3 行" in result.summary()
    # Not confirmed with skip_bad: nothing written at all.
    t = TrainingService(services)
    cid = t.save_class(TrainingClass(name="广场舞提高班", art_form="dance"))
    before = _counts(services)
    imp.write_import(result, class_id=cid)
    assert result.written == 0 and _counts(services) == before
    # Confirmed to skip the bad rows: the good ones, once each.
    imp.write_import(result, class_id=cid, skip_bad=True, today=TODAY)
    assert result.written == 4 and result.created_people == 4
    assert sorted(p["name"] for p in t.roster(cid)) == sorted(["张三", "李四", "王五", "阿依莫"])


def test_import_reuses_people_already_in_the_registry(services):
    people = PeopleService(services)
    zhang = people.save(Person(name="张三", phone="13800001111"))
    wang = people.save(Person(name="王五", birth_year=1958, village="大田村"))
    imp = RosterImporter(services)
    result = imp.read_import(DATA / "roster_clean.xlsx", today=TODAY)
    assert [r.action for r in result.rows] == ["existing", "new", "existing"]
    assert result.rows[0].person_id == zhang and result.rows[2].person_id == wang
    imp.write_import(result, class_name="合唱班", today=TODAY)
    assert people.count() == 3
    t = TrainingService(services)
    cls = t.find_class("合唱班")
    assert cls is not None and cls.art_form == "other"  # made on the fly
    assert {p["id"] for p in t.roster(cls.id)} >= {zhang, wang}
    # Importing the same file again enrols nobody twice.
    again = imp.write_import(
        imp.read_import(DATA / "roster_clean.xlsx", today=TODAY), class_id=cls.id
    )
    assert again.written == 0 and len(t.roster(cls.id)) == 3


def test_gb18030_csv_with_ages_and_a_title_row(services):
    result = RosterImporter(services).read_import(DATA / "roster_gbk.csv", today=TODAY)
    assert [(r.person.name, r.person.birth_year, r.action) for r in result.rows] == [
        ("刘一", 1966, "new"),
        ("陈二", 1971, "new"),
        ("刘一", 1966, "repeat"),
    ]


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("roster_not_a_spreadsheet.xlsx", "改了扩展名"),
        ("roster_old_excel.xlsx", "另存为"),
    ],
)
def test_files_that_are_not_what_they_say(services, name, words):
    with pytest.raises(TableError) as exc:
        RosterImporter(services).read_import(DATA / name)
    assert words in exc.value.message


def test_oversized_file_is_refused_before_reading(services, tmp_path):
    big = tmp_path / "roster_huge.xlsx"
    with big.open("wb") as fh:  # 50 MB, sparse: made here, never committed
        fh.write(b"PK\x03\x04")
        fh.truncate(50 * 1024 * 1024)
    with pytest.raises(TableError) as exc:
        RosterImporter(services).read_import(big)
    assert "文件太大" in exc.value.message


def test_file_without_a_name_column(services, tmp_path):
    f = tmp_path / "x.csv"
    f.write_text("电话,地址\n13800001111,大田村\n", encoding="utf-8")
    with pytest.raises(TableError) as exc:
        RosterImporter(services).read_import(f)
    assert "姓名" in exc.value.message


def _class_with_marks(services):
    t = TrainingService(services)
    people = PeopleService(services)
    cid = t.save_class(
        TrainingClass(name="书法班", art_form="calligraphy", teacher="陈老师", venue="文化站")
    )
    a = people.save(Person(name="张三", phone="13800001111"))
    b = people.save(Person(name="李四"))
    t.enroll(cid, a)
    t.enroll(cid, b, walk_in=True)
    s1 = t.add_session(cid, "2026-03-03", "19:30", "21:00")
    s2 = t.add_session(cid, "2026-03-05", "19:30", "21:00")
    t.mark(s1, a, "present")
    t.mark(s1, b, "late")
    t.mark(s2, a, "absent")
    return t, cid, s1


def test_attendance_export_one_sheet_per_class_sessions_as_columns(services, tmp_path):
    t, cid, _ = _class_with_marks(services)
    other = t.save_class(TrainingClass(name="书法班", art_form="calligraphy"))  # same name
    out = tmp_path / "签到.xlsx"
    n = TrainingExport(services).export_attendance(out, [cid, other], today=TODAY)
    assert n == 2
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["书法班", "书法班-2"]
    rows = list(wb["书法班"].iter_rows(values_only=True))
    assert rows[0][:5] == ("序号", "姓名", "联系电话", "3/3 19:30", "3/5 19:30")
    # same enrolment day: names in pinyin order (李 li before 张 zhang)
    assert rows[2] == (
        2,
        "张三",
        "13800001111",
        "出席",
        "缺席",
        1,
        2,
        0.5,
        "否",
    )  # a rate: 0.5 as 50%
    assert rows[1][1] == "李四" and rows[1][3:5] == ("迟到", None)
    assert rows[-1][1] == "出勤人数" and rows[-1][3:5] == (2, 0)


def test_roster_export_and_pdfs(services, tmp_path):
    t, cid, s1 = _class_with_marks(services)
    ex = TrainingExport(services)
    assert ex.export_roster(tmp_path / "r.csv", cid, fmt="csv") == 2
    text = (tmp_path / "r.csv").read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("序号,姓名,性别")
    assert "插班" in text
    for path in (
        ex.write_sign_in_sheet(tmp_path / "签到表.pdf", s1),
        ex.write_roster_sheet(tmp_path / "花名册.pdf", cid),
    ):
        data = path.read_bytes()
        assert data.startswith(b"%PDF") and len(data) > 1000


def test_cli_import_export_roundtrip(cli, tmp_path):
    cli("init", "--station", "测试站", "--county", "仁和区", check=True)
    src = tmp_path / "花名册 messy.xlsx"
    shutil.copy(DATA / "roster_messy.xlsx", src)
    proc = cli("import", "roster", "--class", "广场舞提高班", str(src))
    assert proc.returncode == 1 and "第9行" in proc.stdout and "未导入任何记录" in proc.stderr
    proc = cli("import", "roster", "--class", "广场舞提高班", str(src), "--skip-bad", check=True)
    assert "已新建培训班" in proc.stdout and "已报名 4 人" in proc.stdout
    out = tmp_path / "out.csv"
    cli(
        "export", "roster", "--class", "广场舞提高班", "--format", "csv", "-o", str(out), check=True
    )
    assert out.read_text(encoding="utf-8-sig").count("\n") == 5
    out = tmp_path / "att.xlsx"
    proc = cli("export", "attendance", "--class", "广场舞提高班", "-o", str(out), check=True)
    assert openpyxl.load_workbook(out).sheetnames == ["广场舞提高班"]
    proc = cli(
        "export",
        "completers",
        "--class",
        "广场舞提高班",
        "-o",
        str(tmp_path / "c.csv"),
        "--format",
        "csv",
        check=True,
    )
    assert "已导出 0 名结业学员" in proc.stdout  # no session held yet
    proc = cli("export", "attendance", "--class", "没有这个班", "-o", str(out))
    assert proc.returncode == 2 and "没有名为" in proc.stderr
    proc = cli("import", "roster", "--class", "x", str(DATA / "roster_old_excel.xlsx"))
    assert proc.returncode == 2 and "另存为" in proc.stderr


def test_demo_data_fills_a_year_of_classes(cli, tmp_path):
    cli("init", "--station", "测试站", "--county", "仁和区", check=True)
    proc = cli("demo-data", check=True)
    assert "培训班 8 条" in proc.stdout
    out = tmp_path / "all.xlsx"
    cli("export", "attendance", "--all", "-o", str(out), check=True)
    wb = openpyxl.load_workbook(out)
    assert len(wb.sheetnames) == 8
    marks = [v for row in wb.worksheets[0].iter_rows(min_row=2, values_only=True) for v in row]
    assert "出席" in marks and "缺席" in marks
