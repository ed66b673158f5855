"""The CLI as a subprocess on real data dirs: init, demo-data, import/export, check,
backup/restore."""

from __future__ import annotations

import sqlite3

from pzh_station import __version__


def test_version(cli):
    out = cli("--version", check=True)
    assert __version__ in out.stdout


def test_init_demo_export_import_roundtrip(cli, data_dir, tmp_path):
    cli(
        "init",
        "--station",
        "大田镇综合文化站",
        "--county",
        "仁和区",
        "--population",
        "23000",
        check=True,
    )
    cli("demo-data", check=True)
    out = tmp_path / "活动.xlsx"
    cli("export", "activities", "--format", "xlsx", "-o", str(out), check=True)
    assert out.exists()
    n = (
        sqlite3.connect(data_dir / "station.sqlite3")
        .execute("SELECT count(*) FROM activities WHERE deleted = 0")
        .fetchone()[0]
    )
    assert n == 180
    res = cli("import", "activities", str(out), check=True)
    assert "已导入 180 条活动" in res.stdout
    assert cli("check").returncode == 0


def test_init_rejects_unknown_county(cli):
    res = cli("init", "--station", "某站", "--county", "朝阳区")
    assert res.returncode == 2 and "所属县" in res.stderr


def test_import_is_all_or_nothing_unless_skip_bad(cli, data_dir, tmp_path):
    cli("init", "--station", "站", "--county", "东区", check=True)
    bad = tmp_path / "台账.csv"
    bad.write_text(
        "说明：2025年活动台账\n"
        "活动名称,日期,活动类型,参与人次,服务对象\n"
        "读书会,2025/3/1,阅读推广,３０,老年人、未成年人\n"  # full-width digits
        ",2025-03-02,讲座,10,\n"  # no title
        "戏曲进乡村,2025年3月5日,文艺演出,-5,\n"  # negative attendance
        "书法展,2025-13-01,展览,20,\n",  # bad date
        encoding="utf-8",
    )
    res = cli("import", "activities", str(bad))
    assert res.returncode == 1
    assert "第4行" in res.stdout and "第5行" in res.stdout and "第6行" in res.stdout
    db = sqlite3.connect(data_dir / "station.sqlite3")
    assert db.execute("SELECT count(*) FROM activities").fetchone()[0] == 0
    res = cli("import", "activities", str(bad), "--skip-bad", check=True)
    rows = db.execute("SELECT title, attendance, target_groups FROM activities").fetchall()
    assert rows == [("读书会", 30, '["elderly", "minors"]')]


def test_import_refuses_renamed_and_old_files(cli, tmp_path):
    cli("init", "--station", "站", "--county", "东区", check=True)
    fake = tmp_path / "x.xlsx"
    fake.write_bytes(b"PK\x03\x04garbage")
    res = cli("import", "activities", str(fake))
    assert res.returncode == 2 and ".xlsx" in res.stderr
    xls = tmp_path / "old.xlsx"
    xls.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    res = cli("import", "activities", str(xls))
    assert res.returncode == 2 and ".xls" in res.stderr


def test_backup_and_restore(cli, data_dir, tmp_path):
    cli("init", "--station", "站", "--county", "东区", check=True)
    cli("demo-data", check=True)
    target = tmp_path / "备份 1.sqlite3"
    cli("backup", "-o", str(target), check=True)
    db = sqlite3.connect(data_dir / "station.sqlite3")
    db.execute("UPDATE activities SET title = '被改坏'")
    db.commit()
    db.close()
    res = cli("restore", str(target), check=True)
    assert "已从备份恢复" in res.stdout
    db = sqlite3.connect(data_dir / "station.sqlite3")
    assert db.execute("SELECT count(*) FROM activities WHERE title = '被改坏'").fetchone()[0] == 0


def test_check_reports_corrupt_file(cli, data_dir):
    (data_dir / "station.sqlite3").write_bytes(b"not a database at all" * 100)
    res = cli("check")
    assert res.returncode == 1 and "不是本软件的数据文件" in res.stdout
