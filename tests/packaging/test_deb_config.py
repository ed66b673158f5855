"""Fast checks of the Linux packaging (no PyInstaller build): the .deb's layout around a stand-in
bundle, the glibc scanner on this machine's own programs, the /etc preset."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "installers"))

import deb  # noqa: E402
import glibc_scan  # noqa: E402
import product  # noqa: E402

import pzh_station  # noqa: E402

needs_dpkg = pytest.mark.skipif(
    not (shutil.which("dpkg-deb") and shutil.which("objdump")),
    reason="needs dpkg-deb and objdump (Debian: dpkg, binutils)",
)


def stand_in_bundle(tmp: Path) -> Path:
    bundle = tmp / "bundle"
    (bundle / "_internal").mkdir(parents=True)
    for name in (product.APP_EXE, product.CLI_EXE):
        exe = bundle / name
        exe.write_text("#!/bin/sh\necho stand-in\n")
        exe.chmod(0o700)  # the package must make it 0755 whatever the build's umask
    (bundle / "_internal" / "data.txt").write_text("x")
    return bundle


def contents(package: Path) -> dict[str, str]:
    """path → mode string (``-rwxr-xr-x``) of every entry in the package."""
    out = subprocess.run(
        ["dpkg-deb", "-c", str(package)], capture_output=True, text=True, check=True
    ).stdout
    rows = {}
    for line in out.splitlines():
        parts = line.split()
        name = parts[5].removeprefix(".")
        rows[name.rstrip("/") or "/"] = parts[0]
    return rows


def extract(package: Path, dest: Path) -> Path:
    subprocess.run(["dpkg-deb", "-x", str(package), str(dest)], check=True)
    return dest


@needs_dpkg
def test_deb_layout_desktop_entry_icon_and_preset(tmp_path):
    package = deb.build_deb(
        stand_in_bundle(tmp_path),
        tmp_path / "out",
        preset={"server_url": "https://city.example/pzh", "enrollment_code": "码 123"},
    )
    assert package.name.startswith(f"{deb.APPID}_{pzh_station.__version__}_")
    field = lambda name: subprocess.run(  # noqa: E731
        ["dpkg-deb", "-f", str(package), name], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert field("Package") == deb.APPID
    assert field("Version") == pzh_station.__version__
    assert "libc6 (>= 2.31)" in field("Depends")
    files = contents(package)
    top = f"/opt/apps/{deb.APPID}"
    assert files[f"{top}/files/{product.APP_EXE}"] == "-rwxr-xr-x"
    assert files[f"{top}/files/_internal/data.txt"] == "-rw-r--r--"
    entry_path = f"{top}/entries/applications/{deb.APPID}.desktop"
    icon_path = f"{top}/entries/icons/hicolor/256x256/apps/{deb.APPID}.png"
    assert entry_path in files and icon_path in files and f"{top}/info" in files
    # other desktops find them under /usr/share (symlinks into /opt/apps)
    assert files[f"/usr/share/applications/{deb.APPID}.desktop"].startswith("l")
    assert not [p for p in files if p.startswith(("/home", "/var", "/etc"))]  # no data, no conf

    root = extract(package, tmp_path / "x")
    entry = (root / entry_path.lstrip("/")).read_text(encoding="utf-8")
    assert "Name[zh_CN]=文化站工作台" in entry
    assert f"Exec=/opt/apps/{deb.APPID}/files/{product.APP_EXE}" in entry
    assert f"Icon={deb.APPID}" in entry and "Terminal=false" in entry
    png = (root / icon_path.lstrip("/")).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    info = json.loads((root / top.lstrip("/") / "info").read_text(encoding="utf-8"))
    assert info["appid"] == deb.APPID and info["name"] == "文化站工作台"
    assert not any(info["permissions"].values())
    preset = (root / top.lstrip("/") / "files" / "preset.ini").read_text(encoding="utf-8")
    assert "server_url = https://city.example/pzh" in preset and "码 123" in preset
    assert "ca_bundle" not in preset
    if shutil.which("desktop-file-validate"):
        res = subprocess.run(
            ["desktop-file-validate", str(root / entry_path.lstrip("/"))],
            capture_output=True,
            text=True,
        )
        assert res.returncode == 0, res.stdout + res.stderr


@needs_dpkg
def test_uos_store_package_has_nothing_outside_opt_apps_and_no_scripts(tmp_path):
    package = deb.build_deb(stand_in_bundle(tmp_path), tmp_path / "out", store=True)
    files = contents(package)
    assert all(p == "/" or p == "/opt" or p.startswith("/opt/apps") for p in files), files
    assert not [p for p in files if p.endswith("preset.ini")]  # no preset given
    control = subprocess.run(
        ["dpkg-deb", "--ctrl-tarfile", str(package)], capture_output=True, check=True
    ).stdout
    import io
    import tarfile

    names = {Path(m.name).name for m in tarfile.open(fileobj=io.BytesIO(control))}
    assert not names & {"preinst", "postinst", "prerm", "postrm"}


@needs_dpkg
def test_glibc_scan_finds_what_the_loader_checks(tmp_path):
    folder = tmp_path / "b"
    (folder / "lib").mkdir(parents=True)
    shutil.copy2(Path(sys.executable).resolve(), folder / "prog")
    ls = Path(shutil.which("ls") or "/bin/ls").resolve()
    shutil.copy2(ls, folder / "lib" / "ls-copy")
    (folder / "lib" / "notes.txt").write_text("GLIBC_9.99 in a text file is not a requirement")
    found = glibc_scan.scan(folder)
    assert set(found) <= {folder / "prog", folder / "lib" / "ls-copy"}
    assert folder / "lib" / "ls-copy" in found
    # objdump -T lists the versioned symbols the binary imports: the highest must match
    dyn = subprocess.run(["objdump", "-T", str(ls)], capture_output=True, text=True).stdout
    versions = [
        glibc_scan.parse(m.group(0)[len("GLIBC_") :]) for m in glibc_scan._REF.finditer(dyn)
    ]
    assert found[folder / "lib" / "ls-copy"] == max(versions)
    highest = glibc_scan.highest(found)
    assert highest <= glibc_scan.host_glibc()
    below = ".".join(str(n) for n in highest[:1]) + "." + str(highest[1] - 1)
    assert glibc_scan.main([str(folder), "--max", below]) == 1
    assert glibc_scan.main([str(folder), "--max", glibc_scan.dotted(highest)]) == 0


def test_preset_in_etc_is_read_on_linux(tmp_path, monkeypatch):
    from pzh_station.settings import Settings

    etc = tmp_path / "etc"
    (etc / "pzh-station").mkdir(parents=True)
    (etc / "pzh-station" / "preset.ini").write_text(
        "[pzh-station]\nserver_url = https://etc.example/\nenrollment_code = ETC-1\n",
        encoding="utf-8",
    )
    monkeypatch.delenv("PZH_STATION_PRESET", raising=False)
    monkeypatch.delenv("PROGRAMDATA", raising=False)
    monkeypatch.setenv("PZH_STATION_ETC", str(etc))
    data = tmp_path / "data"
    data.mkdir()
    settings = Settings(data)
    if sys.platform == "win32":
        assert settings.get("enrollment_code") is None
    else:
        assert settings.get("enrollment_code") == "ETC-1"
        assert settings.get("server_url") == "https://etc.example/"


def test_old_root_passes_the_build_options_on():
    import oldroot

    argv = ["--deb", "--old-root", "--out", "/x", "--server", "https://s/", "--old-root-dir=/r"]
    assert oldroot.passthrough(argv) == ["--deb", "--server", "https://s/"]
