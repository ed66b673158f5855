"""Shared fixtures: real SQLite files in tmp dirs, the CLI as a real subprocess, Qt offscreen."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests judge the code, not the machine: on a shared 2-core runner an example can take
# seconds, so neither a per-example deadline nor "data generation too slow" fails a test (the
# examples and their number are unchanged).
settings.register_profile(
    "pzh", deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
settings.load_profile("pzh")

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Device tokens of the tests' PCs go to a throwaway folder (pzh_station/credentials.py), shared
# with the pzh-station processes the tests start, never to the user's credential store.
os.environ.setdefault("PZH_STATION_CREDENTIALS", "file")
os.environ.setdefault("PZH_STATION_CREDENTIALS_DIR", tempfile.mkdtemp(prefix="pzh-credentials-"))
ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--full", action="store_true", help="also run the slow suites (bundle, installer)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--full"):
        return
    skip = pytest.mark.skip(reason="slow suite: run with --full (CI runs it)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _gc_on_the_main_thread_only(request: pytest.FixtureRequest):
    """Tests with Qt widgets run as the app does (pzh_station/ui/gc_guard.py): no automatic
    cyclic collection while the database worker or the sync agent's thread runs; one collection
    on the main thread after the test, once its threads are stopped."""
    if "qtbot" not in request.fixturenames:
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "数据 目录"  # Chinese and a space, as on real station PCs
    d.mkdir()
    return d


@pytest.fixture
def services(data_dir: Path):
    """Services on a fresh data dir whose station is set up (仁和区, population 20,000)."""
    from pzh_station.services.context import open_services
    from pzh_station.services.station import StationProfile, StationService

    s = open_services(data_dir, operator="李明")
    StationService(s).save_profile(
        StationProfile(
            name="测试镇综合文化站", county="仁和区", population=20_000, staff=["李明", "王芳"]
        )
    )
    yield s
    s.close()


class CliRunner:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    def __call__(
        self, *args: str, check: bool = False, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PYTHONUTF8": "1", "PYTHONPATH": str(ROOT)}
        proc = subprocess.run(
            [sys.executable, "-m", "pzh_station", "--data-dir", str(self.data_dir), *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=env,
            cwd=ROOT,
            timeout=timeout,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"pzh-station {' '.join(args)} failed"
                f" ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
            )
        return proc


@pytest.fixture
def cli(data_dir: Path) -> CliRunner:
    """Run ``pzh-station --data-dir <data_dir> ...`` as a subprocess."""
    return CliRunner(data_dir)
