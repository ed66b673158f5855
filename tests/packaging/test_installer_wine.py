"""SLOW: compile the NSIS installer around the Linux bundle with makensis and, where wine is
installed (CI installs Debian's wine: tools/bootstrap.py APT_FULL), run it the way county IT does:
silent per-machine install with presets from an .ini beside the installer and the command line,
upgrade in place, silent uninstall; a per-user install; refusal on old Windows. Checks files,
shortcuts, registry, the preset as the app reads it, and that user data survives."""

from __future__ import annotations

import configparser
import hashlib
import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "installers"))

import product  # noqa: E402
import testsupport  # noqa: E402

# Time budget: makensis (LZMA over the ~180 MB bundle) 1-3 min and the wine runs about 2 min on a
# quiet 2-core machine; a loaded one took over 10 min to compile, hence the timeout.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(1800),
    pytest.mark.skipif(
        not shutil.which("makensis"), reason="makensis not installed (Debian package nsis)"
    ),
]
needs_wine = pytest.mark.skipif(
    not (shutil.which("wine") and shutil.which("wineserver")),
    reason="wine not installed: the silent install/upgrade/uninstall checks need it (Debian"
    " packages wine, wine64)",
)
SM = "文化站工作台"


@pytest.fixture(scope="module")
def setup_exe() -> Path:
    return testsupport.installer()


def test_installer_is_a_64_bit_windows_program(setup_exe):
    data = setup_exe.read_bytes()
    pe = struct.unpack("<I", data[0x3C:0x40])[0]
    assert data[:2] == b"MZ" and data[pe : pe + 4] == b"PE\0\0"
    assert struct.unpack("<H", data[pe + 4 : pe + 6])[0] == 0x8664  # machine: x64
    assert len(data) > 10_000_000  # the bundle is inside


class Wine:
    """A throw-away wine prefix posing as Windows 10."""

    def __init__(self, prefix: Path) -> None:
        self.prefix = prefix
        self.env = {
            **os.environ,
            "WINEPREFIX": str(prefix),
            "WINEDEBUG": "-all",
            "WINEDLLOVERRIDES": "mscoree,mshtml=",
            # a UTF-8 locale every system has: wine needs one for the Chinese shortcut names
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
        }
        self.env.pop("DISPLAY", None)
        self.env.pop("WAYLAND_DISPLAY", None)
        self.run_raw(["wineboot", "-i"])
        self.set_version("win10")

    def run_raw(self, cmd: list[str]) -> int:
        proc = subprocess.run(cmd, env=self.env, capture_output=True, timeout=300)
        subprocess.run(["wineserver", "-w"], env=self.env, timeout=300)
        return proc.returncode

    def set_version(self, version: str) -> None:
        self.run_raw(["winecfg", "-v", version])

    def batch(self, folder: Path, line: str) -> int:
        """Run one command line through cmd.exe (as a deployment script would) and return its
        exit code."""
        bat = folder / "deploy.bat"
        bat.write_bytes(f"@echo off\r\n{line}\r\nexit /b %errorlevel%\r\n".encode("ascii"))
        return self.run_raw(["wine", "cmd", "/c", self.win(bat)])

    @staticmethod
    def win(path: Path) -> str:
        return "Z:" + str(path).replace("/", "\\")

    @property
    def c(self) -> Path:
        return self.prefix / "drive_c"

    @property
    def user_home(self) -> Path:
        homes = [p for p in (self.c / "users").iterdir() if p.name not in ("Public", "Default")]
        assert len(homes) == 1, homes
        return homes[0]

    def registry(self, hive: str) -> str:
        return (self.prefix / hive).read_text(encoding="utf-8", errors="replace")


def _reg_key(text: str, key: str) -> dict[str, str] | None:
    """Values of one key of a wine .reg file (``\\x....`` escapes decoded), or None when absent."""
    head = "[" + key.replace("\\", "\\\\") + "]"
    start = text.find(head)
    if start < 0:
        return None
    body = text[start + len(head) :].split("\n\n", 1)[0]
    values = {}
    for name, raw in re.findall(r'^"([^"]+)"=(.*)$', body, re.M):
        if raw.startswith('"'):
            raw = raw[1:-1]
            raw = re.sub(r"\\x([0-9a-fA-F]{1,4})", lambda m: chr(int(m.group(1), 16)), raw)
            raw = raw.replace('\\"', '"').replace("\\\\", "\\")
        values[name] = raw
    return values


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _preset(path: Path) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path, encoding="utf-8-sig")
    return dict(parser.items("pzh-station"))


def _make_user_data(data: Path) -> None:
    env = {**os.environ, "PYTHONUTF8": "1", "PYTHONPATH": str(ROOT)}
    for args in (
        ["init", "--station", "格里坪镇综合文化站", "--county", "西区"],
        ["demo-data"],
        ["backup"],
    ):
        subprocess.run(
            [sys.executable, "-m", "pzh_station", "--data-dir", str(data), *args],
            check=True,
            capture_output=True,
            env=env,
            cwd=ROOT,
            timeout=120,
        )
    from pzh_station.settings import Settings

    Settings(data).set("server_url", "https://station-own.example/")


@needs_wine
def test_silent_per_machine_install_upgrade_uninstall(setup_exe, tmp_path):
    wine = Wine(tmp_path / "wineprefix")
    deploy = tmp_path / "deploy share"
    deploy.mkdir()
    shutil.copy2(setup_exe, deploy / "setup.exe")
    (deploy / "preset.ini").write_text(
        "[pzh-station]\nserver_url=https://ini.example/pzh\nenrollment_code=FROM-INI\n",
        encoding="ascii",
    )
    setup = wine.win(deploy / "setup.exe")

    # Install: the .ini gives the server, the command line overrides the code (quoted, with a
    # space).
    assert wine.batch(deploy, f'"{setup}" /S /ENROLL="CMD CODE-7"') == 0
    inst = wine.c / "Program Files" / product.APP_ID
    for name in (product.APP_EXE, product.CLI_EXE, "uninstall.exe"):
        assert (inst / name).is_file(), name
    assert (inst / "_internal" / "resources" / "refdata" / "counties.json").is_file()
    start_menu = wine.c / "ProgramData" / "Microsoft" / "Windows" / "Start Menu" / "Programs" / SM
    assert (start_menu / f"{SM}.lnk").is_file() and (start_menu / f"卸载{SM}.lnk").is_file()
    desktop = wine.c / "users" / "Public" / "Desktop" / f"{SM}.lnk"
    assert desktop.is_file()
    preset_file = wine.c / "ProgramData" / "pzh-station" / "preset.ini"
    assert _preset(preset_file) == {
        "server_url": "https://ini.example/pzh",
        "enrollment_code": "CMD CODE-7",
    }
    key = _reg_key(
        wine.registry("system.reg"),
        r"Software\Microsoft\Windows\CurrentVersion\Uninstall\PzhStation",
    )
    assert key is not None
    assert key["DisplayName"] == SM and key["DisplayVersion"] == product.version()
    assert key["QuietUninstallString"] == '"C:\\Program Files\\PzhStation\\uninstall.exe" /S'
    assert key["InstallLocation"] == "C:\\Program Files\\PzhStation"

    # The app reads the preset from %PROGRAMDATA% where settings.json has no value.
    from pzh_station.settings import Settings

    data = wine.user_home / "AppData" / "Local" / "pzh-station"
    _make_user_data(data)
    old_env = os.environ.get("PROGRAMDATA")
    os.environ["PROGRAMDATA"] = str(wine.c / "ProgramData")
    os.environ.pop("PZH_STATION_PRESET", None)
    try:
        settings = Settings(data)
        assert settings.get("enrollment_code") == "CMD CODE-7"
        assert settings.get("server_url") == "https://station-own.example/"
    finally:
        if old_env is None:
            os.environ.pop("PROGRAMDATA", None)
        else:
            os.environ["PROGRAMDATA"] = old_env
    before = {p.relative_to(data): _digest(p) for p in data.rglob("*") if p.is_file()}
    assert any(p.parts[0] == "backups" for p in before)

    # Upgrade in place: stale program files go, presets already set stay, data untouched.
    (inst / "_internal" / "stale-from-old-version.txt").write_text("old")
    (deploy / "preset.ini").unlink()
    assert wine.batch(deploy, f'"{setup}" /S /SERVER=https://new.example/pzh /ENROLL="NEW"') == 0
    assert (inst / product.APP_EXE).is_file()
    assert not (inst / "_internal" / "stale-from-old-version.txt").exists()
    assert _preset(preset_file) == {
        "server_url": "https://ini.example/pzh",
        "enrollment_code": "CMD CODE-7",
    }
    assert {p.relative_to(data): _digest(p) for p in data.rglob("*") if p.is_file()} == before
    # IT can replace presets on purpose (an unquoted URL holding slashes is read whole).
    assert wine.batch(deploy, f'"{setup}" /S /FORCEPRESET /SERVER=https://new.example/pzh') == 0
    assert _preset(preset_file)["server_url"] == "https://new.example/pzh"

    # Silent uninstall (the QuietUninstallString): program, shortcuts and registry go; data stays.
    assert wine.batch(deploy, '"C:\\Program Files\\PzhStation\\uninstall.exe" /S') == 0
    assert not (inst / product.APP_EXE).exists() and not (inst / "_internal").exists()
    assert not (start_menu / f"{SM}.lnk").exists() and not desktop.exists()
    assert (
        _reg_key(
            wine.registry("system.reg"),
            r"Software\Microsoft\Windows\CurrentVersion\Uninstall\PzhStation",
        )
        is None
    )
    assert {p.relative_to(data): _digest(p) for p in data.rglob("*") if p.is_file()} == before
    assert preset_file.is_file()


@needs_wine
def test_per_user_install_and_uninstall_that_deletes_data(setup_exe, tmp_path):
    wine = Wine(tmp_path / "wineprefix")
    folder = tmp_path / "deploy"
    folder.mkdir()
    setup = wine.win(setup_exe)
    assert (
        wine.batch(folder, f'"{setup}" /S /CURRENTUSER /NODESKTOP /SERVER="https://city.example/"')
        == 0
    )
    local = wine.user_home / "AppData" / "Local"
    inst = local / "Programs" / product.APP_ID
    assert (inst / product.APP_EXE).is_file()
    assert not (wine.c / "Program Files" / product.APP_ID).exists()
    assert _preset(inst / "preset.ini") == {
        "server_url": "https://city.example/"
    }  # beside the program
    start_menu = (
        wine.user_home
        / "AppData"
        / "Roaming"
        / "Microsoft"
        / "Windows"
        / "Start Menu"
        / "Programs"
        / SM
    )
    assert (start_menu / f"{SM}.lnk").is_file()
    assert not list(wine.c.glob(f"users/*/Desktop/{SM}.lnk"))
    key = _reg_key(
        wine.registry("user.reg"), r"Software\Microsoft\Windows\CurrentVersion\Uninstall\PzhStation"
    )
    assert key is not None and key["QuietUninstallString"].endswith('uninstall.exe" /S')
    data = local / "pzh-station"
    _make_user_data(data)
    uninstaller = wine.win(inst / "uninstall.exe").replace(
        "Z:" + str(wine.c).replace("/", "\\"), "C:"
    )
    assert wine.batch(folder, f'"{uninstaller}" /S /DELETEDATA') == 0
    assert not (inst / product.APP_EXE).exists()
    assert not data.exists(), "/DELETEDATA removes the user's data dir"
    assert not (start_menu / f"{SM}.lnk").exists()


@needs_wine
def test_refuses_old_windows_and_honours_d_and_upgrades_in_that_folder(setup_exe, tmp_path):
    wine = Wine(tmp_path / "wineprefix")
    wine.set_version("win7")
    folder = tmp_path / "deploy"
    folder.mkdir()
    assert wine.batch(folder, f'"{wine.win(setup_exe)}" /S') == 4
    assert not (wine.c / "Program Files" / product.APP_ID).exists()
    wine.set_version("win10")
    assert (
        wine.batch(folder, f'"{wine.win(setup_exe)}" /S /NODESKTOP /D=C:\\Station Apps\\Pzh') == 0
    )
    inst = wine.c / "Station Apps" / "Pzh"
    assert (inst / product.APP_EXE).is_file()
    key = _reg_key(
        wine.registry("system.reg"),
        r"Software\Microsoft\Windows\CurrentVersion\Uninstall\PzhStation",
    )
    assert key["InstallLocation"] == "C:\\Station Apps\\Pzh"
    # Without /D the next run finds that copy and upgrades it there.
    (inst / "_internal" / "stale.txt").write_text("old")
    assert wine.batch(folder, f'"{wine.win(setup_exe)}" /S /NODESKTOP') == 0
    assert (inst / product.APP_EXE).is_file() and not (inst / "_internal" / "stale.txt").exists()
    assert not (wine.c / "Program Files" / product.APP_ID).exists()
