"""Activity log with 50,000 activities: open the list, filter, one search keystroke, scroll to the
end, app start to a shown main window, peak memory.

``python benchmarks/bench_activities.py [--rows N] [--data-dir DIR] [--quick]``

The list figures are measured through the real UI: an ``ActivitiesPage`` on the real background
``Tasks`` thread, timed from the action until the rows are on screen (model loaded and the visible
page of rows fetched). The search figure excludes the 250 ms typing pause (``SEARCH_DELAY_MS``)
that the page waits for on purpose; it is the work after the pause. App start is a fresh process,
timed from launch to the main window shown with the activity list filled.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pzh_station.services import demo_activities  # noqa: E402
from pzh_station.services.context import open_services  # noqa: E402
from pzh_station.services.station import StationProfile, StationService  # noqa: E402


def build(data_dir: Path, rows: int) -> float:
    """A data dir with ``rows`` activities over ten years (kept for re-runs). :returns: seconds."""
    s = open_services(data_dir, operator="李明")
    try:
        have = s.store.conn.execute("SELECT count(*) FROM activities").fetchone()[0]
        if have >= rows:
            return 0.0
        if not StationService(s).is_set_up():
            StationService(s).save_profile(
                StationProfile(
                    name="基准测试站", county="仁和区", population=23_000, staff=["李明", "王芳"]
                )
            )
        rng = random.Random(50_000)
        import datetime as dt

        start = time.perf_counter()
        today = dt.date.today()
        with s.store.transaction():
            for i in range(rows - have):
                day = today - dt.timedelta(days=rng.randrange(3650))
                act = demo_activities.make(rng, day, "李明")
                if i % 97 == 0:
                    act.notes = f"与派出所合办，第{i}期"
                s.store.write("activities", None, act.fields())
        return time.perf_counter() - start
    finally:
        s.close()


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.1f} ms (max {max(values) * 1000:.1f})"


def bench_list(data_dir: Path, repeat: int) -> list[tuple[str, str]]:
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    from pzh_station.ui.activities import ActivitiesPage
    from pzh_station.ui.context import UiContext
    from pzh_station.ui.tasks import Tasks

    app = QApplication.instance() or QApplication([])
    ctx = UiContext(data_dir=data_dir, tasks=Tasks(data_dir, operator="李明"))

    def wait() -> None:
        # Sleep in the event loop like the idle app does (a busy loop would starve the DB thread of
        # the GIL and inflate every figure).
        for _ in range(2):  # the second round: painting asks for the visible page of rows
            while not ctx.tasks.idle:
                app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
            app.processEvents()

    # warm up the worker's connection (first open migrates/reads the schema)
    ctx.tasks.run(lambda s: None)
    wait()
    results: list[tuple[str, str]] = []
    opened, filtered, searched, scrolled, rows_shown = [], [], [], [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        page = ActivitiesPage(ctx)
        page.resize(1200, 700)
        page.show()
        wait()
        opened.append(time.perf_counter() - t0)
        rows_shown = page.model.rowCount()

        t0 = time.perf_counter()
        page.kind_combo.set_code("lecture")
        wait()
        filtered.append(time.perf_counter() - t0)
        page.kind_combo.set_code("")
        wait()

        page.search_edit.setText("讲")
        page.apply_filters()
        wait()
        page.search_edit.setText("讲座")  # one more keystroke, measured after the typing pause
        t0 = time.perf_counter()
        page.apply_filters()
        wait()
        searched.append(time.perf_counter() - t0)
        page.search_edit.setText("")
        page.apply_filters()
        wait()

        t0 = time.perf_counter()
        page.table.scrollToBottom()
        app.processEvents()
        wait()
        scrolled.append(time.perf_counter() - t0)
        page.close()
        page.deleteLater()
        app.processEvents()
    results.append((f"open the list ({rows_shown:,} rows)", ms(opened)))
    results.append(("filter by kind (讲座)", ms(filtered)))
    results.append(("one search keystroke (讲 → 讲座), after the 250 ms pause", ms(searched)))
    results.append(("scroll to the last row", ms(scrolled)))

    from pzh_station.services.activities import ActivityFilter, ActivityService

    ids_t = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        ctx.tasks.run(lambda s: ActivityService(s).ids(ActivityFilter()))
        wait()
        ids_t.append(time.perf_counter() - t0)
    results.append(("ActivityService.ids (all rows, via the DB thread)", ms(ids_t)))
    ctx.tasks.shutdown()
    return results


STARTER = r"""
import os, sys, time, resource
from pathlib import Path
from PySide6.QtWidgets import QApplication
from pzh_station.ui.app import Launcher
app = QApplication([])
launcher = Launcher(Path(sys.argv[1]))
def shown(window):
    page = window.page("activities")
    def done():
        page.model.loaded.disconnect(done)
        app.processEvents()
        print("shown", time.time(), flush=True)
        page.table.scrollToBottom(); app.processEvents()
        while not launcher.ctx.tasks.idle:
            app.processEvents()
        window.close()
        app.quit()
    page.model.loaded.connect(done)
launcher.main_window_shown.connect(shown)
launcher.start()
app.exec()
launcher.shutdown()
print("maxrss_kb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, flush=True)
"""


def bench_start(data_dir: Path, repeat: int) -> list[tuple[str, str]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    times, rss = [], []
    for _ in range(repeat):
        t0 = time.time()
        out = subprocess.run(
            [sys.executable, "-c", STARTER, str(data_dir)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        values = dict(line.split(" ", 1) for line in out.stdout.splitlines() if " " in line)
        if "shown" not in values:
            raise RuntimeError(out.stderr)
        times.append(float(values["shown"]) - t0)
        rss.append(int(values["maxrss_kb"]) / 1024)
    return [
        ("app start → main window shown with the list filled (new process)", ms(times)),
        ("peak memory of the app (RSS, list open and scrolled to the end)", f"{max(rss):.0f} MB"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    repeat = 3 if args.quick else 7
    data_dir = args.data_dir or Path(tempfile.gettempdir()) / f"pzh-bench-activities-{args.rows}"
    data_dir.mkdir(parents=True, exist_ok=True)
    built = build(data_dir, args.rows)
    rows = [("data dir", str(data_dir))]
    if built:
        rows.append(
            (
                f"writing {args.rows:,} activities (one transaction, with change log)",
                f"{built:.1f} s",
            )
        )
    rows += bench_list(data_dir, repeat)
    rows += bench_start(data_dir, max(3, repeat // 2))
    rows.append(
        (
            "peak memory of this benchmark process",
            f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB",
        )
    )
    print("| measurement | median (max) |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
