#!/usr/bin/env python3
"""Set up everything from a bare python3 and launch the app or run the tests.

    python3 tools/bootstrap.py app      # set up, then open the desktop app
    python3 tools/bootstrap.py test     # set up, then run the whole test suite headless

``test`` runs the default suite; ``test --full`` (or the environment variable CI=true) adds the
slow suites (frozen bundle and installer). Arguments after ``--`` go to pytest.
Only the standard library is used here: this script runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
WINDOWS = sys.platform == "win32"
PY = VENV / ("Scripts/python.exe" if WINDOWS else "bin/python")

# Debian/Ubuntu packages, by purpose. Installed only where missing (dpkg -s), only on Linux.
APT_QT = [
    "libegl1",
    "libgl1",
    "libxkbcommon0",
    "libxkbcommon-x11-0",
    "libfontconfig1",
    "libfreetype6",
    "libdbus-1-3",
    "libglib2.0-0",
    "libx11-xcb1",
    "libxcb-cursor0",
    "libxcb-icccm4",
    "libxcb-keysyms1",
    "libxcb-shape0",
    "libxcb-xinerama0",
    "libxcb-randr0",
    "libxcb-render-util0",
    "libxcb-image0",
    "libxrender1",
    "libxi6",
    "libnss3",
    "libasound2",
    "fonts-noto-cjk",
]
# postgresql: the server tests run on PostgreSQL too, in a throwaway cluster (tests/pg_cluster.py).
APT_TEST = ["chromium", "xvfb", "postgresql"]
# Slow suites: makensis builds the installer around the Linux bundle (osslsigncode tests its signing
# hooks); 64-bit wine runs its silent install/upgrade/uninstall (wine is about 650 MB installed, a
# minute or two to fetch; the wine tests take about 2 minutes).
# binutils: objdump, which PyInstaller and the .deb's glibc scan (installers/glibc_scan.py) read.
APT_FULL: list[str] = ["nsis", "osslsigncode", "wine", "wine64", "binutils"]


# Lint, format check and type check, run by `test` before pytest (configured in pyproject.toml).
STATIC_CHECKS: list[list[str]] = [
    ["ruff", "check", "."],
    ["ruff", "format", "--check", "."],
    ["mypy"],  # the core, store, services and server ([tool.mypy] in pyproject.toml)
]


def say(msg: str) -> None:
    print(f"[bootstrap] {msg}", flush=True)


def run(cmd: list[str], **kw) -> None:  # noqa: ANN003
    say(" ".join(str(c) for c in cmd))
    subprocess.run(cmd, check=True, **kw)


def apt_install(packages: list[str]) -> None:
    if WINDOWS or sys.platform == "darwin" or not shutil.which("apt-get"):
        return
    missing = [
        p
        for p in packages
        if subprocess.run(
            ["dpkg", "-s", p], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        ).returncode
        != 0
    ]
    if not missing:
        return
    prefix = [] if os.geteuid() == 0 else (["sudo"] if shutil.which("sudo") else None)
    if prefix is None:
        say(
            "need these system packages but cannot install them (not root, no sudo): "
            + " ".join(missing)
        )
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run([*prefix, "apt-get", "update", "-qq"], env=env)
    # Some names differ between releases (libasound2 vs libasound2t64): install one by one on
    # failure.
    try:
        run(
            [*prefix, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
            env=env,
        )
    except subprocess.CalledProcessError:
        for p in missing:
            subprocess.run(
                [*prefix, "apt-get", "install", "-y", "-qq", "--no-install-recommends", p], env=env
            )


def ensure_venv(extras: str) -> None:
    if not PY.exists():
        say(f"creating {VENV}")
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / ".pzh-installed"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    run([str(PY), "-m", "pip", "install", "-q", "--upgrade", "pip"])
    run([str(PY), "-m", "pip", "install", "-q", "-e", f"{ROOT}[{extras}]"])
    stamp.write_text(digest)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("app", "test"):
        print(__doc__)
        return 2
    what, rest = argv[0], argv[1:]
    pytest_args: list[str] = []
    if "--" in rest:
        pytest_args = rest[rest.index("--") + 1 :]
        rest = rest[: rest.index("--")]
    apt_install(APT_QT)
    if what == "app":
        ensure_venv("desk")
        return subprocess.call([str(PY), "-m", "pzh_station", *rest])
    full = "--full" in rest or os.environ.get("CI", "").lower() == "true"
    apt_install(APT_TEST + (APT_FULL if full else []))
    ensure_venv("test")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONUTF8": "1"}
    # Static checks first: they take seconds and fail the run like a failing test does.
    for check in STATIC_CHECKS:
        say(" ".join(check))
        if subprocess.call([str(PY), "-m", *check], cwd=ROOT, env=env) != 0:
            say(f"failed: {' '.join(check)}")
            return 1
    cmd = [str(PY), "-m", "pytest", "-p", "no:cacheprovider"]
    if full:
        cmd.append("--full")
    return subprocess.call([*cmd, *pytest_args], cwd=ROOT, env=env)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
