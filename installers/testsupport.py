"""Shared by the slow tests (tests/test_bundle_frozen.py, tests/test_installer_wine.py): build the
bundle and the installer once per test session, into ``installers/out/test``."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out" / "test"


REUSE = os.environ.get("PZH_REUSE_BUILD") == "1"  # developers: keep the last build between runs
_failed: dict[str, BaseException] = {}


def _once(fn: Callable[[], Path]) -> Callable[[], Path]:
    """Build once per session; a build that failed (or was stopped by a timeout) fails every
    later caller at once instead of being tried again for each test (CI once lost 40 minutes so)."""

    @functools.wraps(fn)
    def wrapper() -> Path:
        if fn.__name__ in _failed:
            raise AssertionError(f"{fn.__name__}() failed earlier: {_failed[fn.__name__]!r}")
        try:
            return fn()
        except BaseException as exc:
            _failed[fn.__name__] = exc
            raise

    return wrapper


@_once
@functools.lru_cache(maxsize=1)
def bundle() -> Path:
    """Build the one-folder bundle with ``installers/build.py`` (as a user would) and return it."""
    sys.path.insert(0, str(HERE))
    import product

    if REUSE and (OUT / "dist" / product.APP_ID).is_dir():
        return OUT / "dist" / product.APP_ID
    if OUT.exists():
        shutil.rmtree(OUT)
    proc = subprocess.run(
        [sys.executable, str(HERE / "build.py"), "--out", str(OUT)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        env={**os.environ, "PYTHONUTF8": "1"},
        timeout=1200,
    )
    if proc.returncode != 0:
        raise AssertionError(
            f"build.py failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        )
    return OUT / "dist" / product.APP_ID


@_once
@functools.lru_cache(maxsize=1)
def installer() -> Path:
    """Compile the NSIS installer around :func:`bundle` and return it."""
    bundle()
    if REUSE and sorted(OUT.glob("*-setup.exe")):
        return sorted(OUT.glob("*-setup.exe"))[-1]
    proc = subprocess.run(
        [sys.executable, str(HERE / "build.py"), "--out", str(OUT), "--installer-only"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=1200,
    )
    if proc.returncode != 0:
        raise AssertionError(
            f"makensis failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        )
    found = sorted(OUT.glob("*-setup.exe"))
    assert found, f"no installer in {OUT}:\n{proc.stdout}"
    return found[-1]


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())
