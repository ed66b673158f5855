"""Data paths with Chinese characters and spaces (station PCs whose Windows user name is Chinese):
the store, automatic and manual backups, restore, settings, install-time presets and the
self-test all work there. Runs on Linux; the frozen variant is in tests/test_bundle_frozen.py."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from pzh_station import paths, selftest
from pzh_station.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
WEIRD = "攀枝花 文化站 数据（测试）"  # Chinese, spaces and full-width brackets


def _run(
    args: list[str], env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pzh_station", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, "PYTHONUTF8": "1", "PYTHONPATH": str(ROOT), **(env or {})},
        cwd=cwd,
        timeout=120,
    )


def test_data_dir_from_environment_with_chinese_path(tmp_path):
    home = tmp_path / WEIRD / "用户 张三"
    env = {"PZH_STATION_DATA_DIR": str(home)}
    res = _run(["init", "--station", "仁和镇 文化站", "--county", "仁和区"], env)
    assert res.returncode == 0, res.stderr
    assert (home / paths.DB_NAME).is_file()
    assert _run(["demo-data"], env).returncode == 0
    res = _run(["backup"], env)
    assert res.returncode == 0, res.stderr
    made = Path(res.stdout.strip().splitlines()[-1])
    assert made.parent == home / "backups" and made.is_file()
    res = _run(["check"], env)
    assert res.returncode == 0 and "检查通过" in res.stdout


def test_backup_to_and_restore_from_chinese_paths(tmp_path):
    home = tmp_path / WEIRD
    args = ["--data-dir", str(home)]
    assert _run([*args, "init", "--station", "站", "--county", "东区"]).returncode == 0
    assert _run([*args, "demo-data"]).returncode == 0
    target = tmp_path / "U盘 备份" / "文化站 备份 2024.sqlite3"
    target.parent.mkdir()
    res = _run([*args, "backup", "-o", str(target)])
    assert res.returncode == 0, res.stderr
    db = sqlite3.connect(home / paths.DB_NAME)
    before = db.execute("SELECT count(*) FROM activities WHERE deleted = 0").fetchone()[0]
    db.execute("DELETE FROM activities")
    db.commit()
    db.close()
    res = _run([*args, "restore", str(target)])
    assert res.returncode == 0, res.stderr
    db = sqlite3.connect(home / paths.DB_NAME)
    assert (
        db.execute("SELECT count(*) FROM activities WHERE deleted = 0").fetchone()[0] == before > 0
    )
    db.close()
    safety = list((home / "backups").glob("pre-restore-*"))
    assert safety, "restore keeps the replaced file in backups/"


def test_settings_and_preset_in_chinese_paths(tmp_path, monkeypatch):
    program_data = tmp_path / "程序 数据"
    (program_data / "pzh-station").mkdir(parents=True)
    # Exactly what the NSIS installer writes (WriteINIStr): no BOM, CRLF, no spaces around "=".
    (program_data / "pzh-station" / "preset.ini").write_bytes(
        b"[pzh-station]\r\nserver_url=https://city.example/pzh\r\nenrollment_code=ABC-123\r\n"
    )
    monkeypatch.delenv("PZH_STATION_PRESET", raising=False)
    monkeypatch.setenv("PROGRAMDATA", str(program_data))
    home = tmp_path / WEIRD
    settings = Settings(home)
    assert settings.get("server_url") == "https://city.example/pzh"
    assert settings.get("enrollment_code") == "ABC-123"
    settings.set("operator", "李 明")
    settings.set("server_url", "https://站点.example/")
    again = Settings(home)
    assert again.get("operator") == "李 明"
    assert again.get("server_url") == "https://站点.example/"  # the station's own value wins
    assert again.get("enrollment_code") == "ABC-123"


def test_preset_named_by_environment_in_chinese_path_with_bom(tmp_path, monkeypatch):
    preset = tmp_path / "县 信息中心" / "预设 文件.ini"
    preset.parent.mkdir()
    # Notepad on Chinese Windows saves UTF-8 with a BOM.
    preset.write_text(
        "[pzh-station]\nserver_url = https://city.example/\nca_bundle = C:\\证书\\city.pem\n",
        encoding="utf-8-sig",
    )
    monkeypatch.setenv("PZH_STATION_PRESET", str(preset))
    s = Settings(tmp_path / WEIRD)
    assert s.get("server_url") == "https://city.example/"
    assert s.get("ca_bundle") == "C:\\证书\\city.pem"


def test_self_test_from_source_with_chinese_temp_dir(tmp_path):
    temp = tmp_path / "临时 文件夹 张三"
    temp.mkdir()
    env = {"TMPDIR": str(temp), "TEMP": str(temp), "TMP": str(temp), "QT_QPA_PLATFORM": "offscreen"}
    res = _run(["--self-test"], env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "自检通过" in res.stdout
    for step in (
        "resources",
        "write+read",
        "settings",
        "backup",
        "xlsx+pdf",
        "tls",
        "icon",
        "main window",
    ):
        assert step in res.stdout
    assert not list(temp.iterdir()), "the self-test leaves nothing behind in the temp dir"


def test_self_test_uses_a_chinese_temp_name_and_reports_a_failure(monkeypatch, capsys):
    from pzh_station.services.activities import ActivityService

    real_get = ActivityService.get

    def wrong_get(self, aid):  # noqa: ANN001 - the read-back returns something else
        act = real_get(self, aid)
        act.title = "别的"
        return act

    monkeypatch.setattr(ActivityService, "get", wrong_get)
    assert selftest.run() == 1
    err = capsys.readouterr().err
    assert "自检失败" in err and "after: resources, store" in err
    assert "read back differs" in err
    assert selftest.TEMP_PREFIX.strip() and any(
        "\u4e00" <= c <= "\u9fff" for c in selftest.TEMP_PREFIX
    )
    assert " " in selftest.TEMP_PREFIX
