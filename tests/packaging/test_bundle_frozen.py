"""SLOW: build the one-folder bundle with PyInstaller (installers/build.py, as IT would) and run
the frozen program: ``--self-test``, ``--version`` and real CLI commands — in place, and again after
copying the bundle into a folder whose path holds Chinese characters and spaces."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import pzh_station

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "installers"))

import product  # noqa: E402
import testsupport  # noqa: E402

# Time budget: the PyInstaller build takes 2-4 min on a quiet 2-core machine, each test seconds;
# a loaded machine can take far longer, hence the timeout above the default 600 s.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]
EXE = ".exe" if sys.platform == "win32" else ""


def frozen(
    bundle: Path, *args: str, cli: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    exe = bundle / ((product.CLI_EXE if cli else product.APP_EXE) + EXE)
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PZH_STATION"))}
    return subprocess.run(
        [str(exe), *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        env={**clean, "QT_QPA_PLATFORM": "offscreen", **(env or {})},
        cwd=bundle.parent,
        timeout=300,
    )


@pytest.fixture(scope="module")
def bundle() -> Path:
    return testsupport.bundle()


def test_bundle_layout(bundle):
    assert (bundle / (product.APP_EXE + EXE)).is_file()
    assert (bundle / (product.CLI_EXE + EXE)).is_file()
    internal = bundle / "_internal"
    assert (internal / "resources" / "refdata" / "counties.json").is_file()
    assert (internal / "resources" / "icons" / "pzh-station.ico").is_file()
    assert (internal / "certifi" / "cacert.pem").is_file()
    assert (internal / "docs" / "station-staff.md").is_file()  # 帮助 → 使用说明, offline
    names = {p.name for p in internal.rglob("*")}
    assert not {
        n for n in names if "Qt6Quick" in n or "Qt6Qml" in n or "Qt6Pdf" in n or "WebEngine" in n
    }
    translations = {p.name for p in internal.rglob("*.qm")}
    assert translations and all("zh_CN" in t for t in translations), translations
    dropped = (testsupport.OUT / "build" / "pzh-station" / "qt-dropped.txt").read_text(
        encoding="utf-8"
    )
    assert "platformthemes" in dropped or "translations" in dropped
    # The hooks in installers/hooks/ keep dropped plugins out of the analysis, so neither they
    # nor the libraries only they need (GTK for the gtk3 theme) reach the bundle.
    assert not {n for n in names if "qgtk3" in n or n.startswith("libgtk-3")}


def test_frozen_self_test_and_cli(bundle, tmp_path):
    res = frozen(bundle, "--self-test")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "frozen" in res.stdout and "自检通过" in res.stdout
    for step in ("xlsx+pdf", "tls", "icon", "main window"):
        assert step in res.stdout
    res = frozen(bundle, "--self-test", cli=False)  # the windowed program too
    assert res.returncode == 0, res.stdout + res.stderr
    res = frozen(bundle, "--version")
    assert res.stdout.strip() == f"pzh-station {pzh_station.__version__}"
    data = tmp_path / "用户 王芳" / "数据"
    assert (
        frozen(
            bundle,
            "--data-dir",
            str(data),
            "init",
            "--station",
            "测试 文化站",
            "--county",
            "米易县",
        ).returncode
        == 0
    )
    res = frozen(bundle, "--data-dir", str(data), "backup")
    assert res.returncode == 0, res.stderr
    assert Path(res.stdout.strip().splitlines()[-1]).parent == data / "backups"


def test_frozen_self_test_from_a_chinese_folder(bundle, tmp_path):
    target = tmp_path / "程序 文件夹" / "文化站 工作台"
    shutil.copytree(bundle, target, symlinks=True)
    temp = tmp_path / "临时 目录"
    temp.mkdir()
    res = frozen(
        target, "--self-test", env={"TMPDIR": str(temp), "TEMP": str(temp), "TMP": str(temp)}
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert "自检通过" in res.stdout
    res = frozen(
        target,
        "--data-dir",
        str(tmp_path / "数据 二"),
        "init",
        "--station",
        "站",
        "--county",
        "东区",
    )
    assert res.returncode == 0, res.stderr
