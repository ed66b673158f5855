"""The county's period list (issue 14): 50 stations × 12 months (and the year) with submitted,
approved, returned and unlocked periods — target < 200 ms for the whole page.

``python benchmarks/bench_periods.py [--quick]``

The periods rows are written by the server's own path (``Storage.server_write``, the path of
approvals); then ``GET /web/periods`` is requested through the real app (in-process HTTP client,
signed in as the county's user): the time is from the request to the whole HTML page. The
use-case alone (``approvals.grid`` + ``not_submitted``) is timed too.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STATIONS = 50
YEAR = 2026
STATES = ("approved", "approved", "submitted", "returned", "unlocked", "accepted", "")


def build(data_dir: Path) -> None:
    from sync.server.app import DB_NAME
    from sync.server.approvals import period_id
    from sync.server.sql_storage import SQLiteStorage

    storage = SQLiteStorage(data_dir / DB_NAME)
    for i in range(STATIONS):
        sid = storage.create_station(f"基准{i:02d}镇综合文化站", "仁和区").id
        for m in range(1, 14):
            period = f"{YEAR}-{m:02d}" if m <= 12 else str(YEAR)
            status = STATES[(i + m) % len(STATES)]
            if not status:
                continue
            storage.server_write(
                sid,
                "periods",
                period_id(sid, period),
                {
                    "period": period,
                    "status": status,
                    "submitted_by": "李明",
                    "submitted_at": f"{YEAR}-12-01 10:00",
                    "decided_by": "仁和区审核员",
                    "approved_figures": {"activities": 12, "person_visits": 900},
                },
            )
    storage.close()
    subprocess.run(
        [sys.executable, "-m", "sync.server", "admin", "create-user", "--name", "renhe",
         "--role", "county", "--county", "仁和区", "--password", "correct-horse-9",
         "--data-dir", str(data_dir)],
        check=True, capture_output=True, cwd=ROOT,
    )  # fmt: skip


def timed(fn, runs: int) -> tuple[float, float]:
    fn()  # warm
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), max(times)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    runs = 5 if args.quick else 20
    from fastapi.testclient import TestClient

    from pzh_core.china_tz import china_today
    from sync.server import approvals
    from sync.server.app import create_app
    from tests.web_support import sign_in

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        t0 = time.perf_counter()
        build(data_dir)
        built = time.perf_counter() - t0
        app = create_app(data_dir)
        storage = app.state.storage
        stations = storage.list_stations()
        today = china_today(storage.now())

        def use_case() -> None:
            cells = approvals.grid(storage, stations, YEAR)
            approvals.not_submitted(stations, cells, YEAR, today)

        with TestClient(app) as client:
            client.follow_redirects = False
            assert sign_in(client, "renhe").status_code == 303

            def page() -> None:
                r = client.get(f"/web/periods?year={YEAR}")
                assert r.status_code == 200 and "基准49镇" in r.text

            uc = timed(use_case, runs)
            pg = timed(page, runs)
    print(
        f"### County period list ({STATIONS} stations × 12 months + year; built in {built:.1f} s)"
    )
    print()
    print("| measurement | median | max | target |")
    print("| --- | --- | --- | --- |")
    print(f"| approvals.grid + not_submitted (use-case) | {uc[0]:.1f} ms | {uc[1]:.1f} ms | |")
    print(
        f"| GET /web/periods, whole HTML page (county user) | {pg[0]:.1f} ms"
        f" | {pg[1]:.1f} ms | < 200 ms |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
