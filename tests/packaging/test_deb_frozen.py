"""SLOW (Linux): the glibc scan of the bundle CI builds, and its .deb installed into a clean root.

Time budget: about 1–2 min on top of the frozen-bundle build (which ``testsupport.bundle()`` makes
once per session for test_bundle_frozen.py too): gzip-packing the .deb ~30 s, installing it ~10 s,
three runs of the frozen program ~20 s.

With ``PZH_OLD_ROOT_OUT`` (the ``--out`` folder of ``installers/build --deb --old-root``) the scan
also runs on that bundle, and with ``PZH_CLEAN_ROOT`` (a fresh ``debootstrap --variant=minbase
--include=libgl1,libegl1,libfontconfig1 bullseye`` root, which it modifies) its .deb is installed
there and run with chroot: the release check, by hand (root needed), not in CI.

The glibc scan is **strict** (fails above 2.31) for a bundle built by ``installers/build --deb
--old-root`` (``build-info.json`` says ``old_root``) or on a machine whose own glibc is 2.31 or
older. A bundle built on a newer machine (CI and this one run Debian 12, glibc 2.36) is reported
as an expected failure that names the version it needs: the old-root build is what makes the
release, and it is not run in CI (docs/linux-desktops.md).
"""

from __future__ import annotations

import json
import os
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
import testsupport  # noqa: E402

from tests import server_fixtures  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        sys.platform != "linux" or not shutil.which("dpkg"), reason="Linux with dpkg only"
    ),
]
sync_server = server_fixtures.sync_server


@pytest.fixture(scope="module")
def bundle() -> Path:
    return testsupport.bundle()


OLD_ROOT_OUT = os.environ.get("PZH_OLD_ROOT_OUT")
CLEAN_ROOT = os.environ.get("PZH_CLEAN_ROOT")


def build_info(out: Path = testsupport.OUT) -> dict:
    path = out / "build-info.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


@pytest.mark.skipif(not OLD_ROOT_OUT, reason="set PZH_OLD_ROOT_OUT to an --old-root build's --out")
def test_old_root_bundle_needs_glibc_2_31_at_most():
    out = Path(OLD_ROOT_OUT or ".")
    assert build_info(out).get("old_root") is True
    found = glibc_scan.scan(out / "dist" / product.APP_ID)
    assert glibc_scan.highest(found) <= glibc_scan.TARGET, glibc_scan.report(
        out, found, glibc_scan.TARGET
    )


@pytest.mark.skipif(
    not (OLD_ROOT_OUT and CLEAN_ROOT), reason="set PZH_OLD_ROOT_OUT and PZH_CLEAN_ROOT (root only)"
)
def test_old_root_deb_installs_and_runs_in_a_clean_debian_11_root():
    root = Path(CLEAN_ROOT or ".")
    assert (
        "2.31"
        in subprocess.run(
            ["chroot", str(root), "ldd", "--version"], capture_output=True, text=True
        ).stdout.splitlines()[0]
    )
    package = sorted(Path(OLD_ROOT_OUT or ".").glob(f"{deb.APPID}_*.deb"))[-1]
    shutil.copy2(package, root / "tmp" / package.name)
    res = subprocess.run(
        ["chroot", str(root), "dpkg", "-i", f"/tmp/{package.name}"], capture_output=True, text=True
    )
    assert res.returncode == 0, res.stdout + res.stderr  # its Depends are met by the root
    env = ["env", "-i", "PATH=/usr/bin:/bin", "HOME=/tmp", "LANG=C.UTF-8"]
    cli = f"/opt/apps/{deb.APPID}/files/{product.CLI_EXE}"
    res = subprocess.run(
        ["chroot", str(root), *env, "QT_QPA_PLATFORM=offscreen", cli, "--self-test"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0 and "自检通过" in res.stdout, res.stdout + res.stderr


def test_no_elf_file_in_the_bundle_needs_glibc_above_2_31(bundle):
    found = glibc_scan.scan(bundle)
    assert len(found) > 20, "the scan found too few ELF files: is this a bundle?"
    need = glibc_scan.highest(found)
    text = glibc_scan.report(bundle, found, glibc_scan.TARGET)
    print(text)
    strict = build_info().get("old_root") or glibc_scan.host_glibc() <= glibc_scan.TARGET
    if need > glibc_scan.TARGET and not strict:
        host = glibc_scan.dotted(glibc_scan.host_glibc())
        pytest.xfail(
            f"built on this machine (glibc {host}): the bundle needs glibc "
            f"{glibc_scan.dotted(need)}; only the --old-root build must stay ≤ 2.31"
        )
    assert need <= glibc_scan.TARGET, text


def frozen(exe: Path, *args: str, home: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    keep = ("PATH", "LANG", "LC_ALL", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(HOME=str(home), QT_QPA_PLATFORM="offscreen", **extra)
    return subprocess.run(
        [str(exe), *args], capture_output=True, text=True, encoding="utf-8", env=env, timeout=300
    )


def test_deb_installs_into_a_clean_root_runs_and_honours_its_preset(bundle, tmp_path, sync_server):
    station = sync_server.create_station("米易县 丙谷镇综合文化站", "米易县")
    code = sync_server.issue_code(station)
    package = deb.build_deb(
        bundle,
        tmp_path / "pkg",
        preset={"server_url": sync_server.url, "enrollment_code": code},
        compress="gzip",  # xz takes minutes for 180 MB on a busy 2-core machine
    )
    root = tmp_path / "clean root"  # an empty dpkg database: nothing installed but this package
    for sub in ("var/lib/dpkg/info", "var/lib/dpkg/updates"):
        (root / sub).mkdir(parents=True)
    (root / "var/lib/dpkg/status").touch()
    dpkg = ["dpkg", f"--root={root}", "--force-not-root", "--force-depends", "--no-triggers"]
    res = subprocess.run([*dpkg, "-i", str(package)], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    listed = subprocess.run([*dpkg, "-L", deb.APPID], capture_output=True, text=True).stdout
    assert f"/usr/share/applications/{deb.APPID}.desktop" in listed

    files = root / "opt" / "apps" / deb.APPID / "files"
    cli, gui = files / product.CLI_EXE, files / product.APP_EXE
    home = tmp_path / "用户 home"
    home.mkdir()
    res = frozen(cli, "--self-test", home=home)
    assert res.returncode == 0 and "自检通过" in res.stdout, res.stdout + res.stderr
    assert frozen(gui, "--self-test", home=home).returncode == 0

    # Data goes to the user's XDG data dir, never under /opt; the package's preset is used.
    xdg = tmp_path / "xdg data"
    env = {"XDG_DATA_HOME": str(xdg)}
    res = frozen(
        cli, "init", "--station", "丙谷镇综合文化站", "--county", "米易县", home=home, **env
    )
    assert res.returncode == 0, res.stderr
    assert (xdg / product.DATA_DIR_NAME).is_dir()
    res = frozen(cli, "enroll", home=home, **env)  # no --server, no --code: the preset's
    assert res.returncode == 0, res.stdout + res.stderr
    assert "注册成功" in res.stdout
    assert not [p for p in files.rglob("*.sqlite*")]

    res = subprocess.run([*dpkg, "-r", deb.APPID], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert not (root / "opt" / "apps" / deb.APPID / "files" / product.CLI_EXE).exists()
    assert (xdg / product.DATA_DIR_NAME).is_dir()  # removing the program keeps the data
