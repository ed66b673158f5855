"""Reports over ten years of a busy station: 50,000 activities, 100,000 attendance marks,
100,000 volunteer service records.

``python benchmarks/bench_reports.py [--data-dir DIR] [--quick]``

Measured: the overview's figures for one year (``ReportService.overview``: this year and last,
twelve months of each for the chart, the checklist) on the database connection; the same through
the real ``OverviewPage`` on the background ``Tasks`` thread, from choosing the year until the
figures are on screen; the annual report (.xlsx with its second sheet of records); the monthly
report (.xlsx and PDF); ``report summary``'s figures. The data dir is kept for re-runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pzh_core.schema import det_id  # noqa: E402
from pzh_station.services import demo_activities  # noqa: E402
from pzh_station.services.context import open_services  # noqa: E402
from pzh_station.services.reports import ReportService  # noqa: E402
from pzh_station.services.station import StationProfile, StationService  # noqa: E402

ACTIVITIES = 50_000
CLASSES_PER_YEAR = 20
SESSIONS_PER_CLASS = 25
PARTICIPANTS_PER_CLASS = 20  # 10 years × 20 classes × 25 sessions × 20 = 100,000 marks
VOLUNTEERS = 500
SERVICE_RECORDS = 100_000
YEARS = 10


def build(data_dir: Path) -> float:
    """Fill the data dir (once). :returns: seconds spent, 0 when it was already there."""
    s = open_services(data_dir, operator="李明")
    try:
        if (
            s.store.station_id
            and s.store.conn.execute("SELECT count(*) FROM service_records").fetchone()[0]
            >= SERVICE_RECORDS
        ):
            return 0.0
        start = time.perf_counter()
        StationService(s).save_profile(
            StationProfile(
                name="基准测试站",
                county="仁和区",
                population=23_000,
                amateur_teams=8,
                full_time_staff=3,
                staff=["李明", "王芳"],
            )
        )
        rng = random.Random(2026)
        today = dt.date.today()
        first = dt.date(today.year - YEARS + 1, 1, 1)
        store = s.store
        marks = ("present",) * 14 + ("late",) * 2 + ("excused",) * 2 + ("absent",) * 2
        with store.transaction():
            for _ in range(ACTIVITIES):
                day = first + dt.timedelta(days=rng.randrange((today - first).days + 1))
                store.write("activities", None, demo_activities.make(rng, day, "李明").fields())
            people = [
                store.write("people", None, {"name": f"学员{i:04d}", "phone": f"139{i:08d}"})
                for i in range(2_000)
            ]
            for year in range(first.year, today.year + 1):
                for c in range(CLASSES_PER_YEAR):
                    begin = dt.date(year, 1 + c % 10, 1)
                    cid = store.write(
                        "classes",
                        None,
                        {
                            "name": f"{year}年第{c + 1}期培训班",
                            "start_date": begin.isoformat(),
                            "completion_share": 0.8,
                            "status": "finished",
                        },
                    )
                    roster = rng.sample(people, PARTICIPANTS_PER_CLASS)
                    for p in roster:
                        store.write(
                            "enrollments",
                            det_id("enrollment", cid, p),
                            {"class_id": cid, "person_id": p, "active": True},
                        )
                    for n in range(SESSIONS_PER_CLASS):
                        day = begin + dt.timedelta(days=7 * n)
                        sid = store.write(
                            "sessions",
                            None,
                            {"class_id": cid, "date": day.isoformat(), "start_time": "19:00"},
                        )
                        for p in roster:
                            store.write(
                                "attendance",
                                det_id("attendance", sid, p),
                                {
                                    "session_id": sid,
                                    "class_id": cid,
                                    "person_id": p,
                                    "mark": rng.choice(marks),
                                },
                            )
            vols = []
            for i in range(VOLUNTEERS):
                p = people[i]
                vid = det_id("volunteer", p)
                store.write(
                    "volunteers",
                    vid,
                    {
                        "person_id": p,
                        "number": f"V{i:04d}",
                        "status": "active",
                        "join_date": (first + dt.timedelta(days=rng.randrange(3000))).isoformat(),
                    },
                )
                vols.append((vid, p))
            for _ in range(SERVICE_RECORDS):
                vid, p = rng.choice(vols)
                day = first + dt.timedelta(days=rng.randrange((today - first).days + 1))
                store.write(
                    "service_records",
                    None,
                    {
                        "volunteer_id": vid,
                        "person_id": p,
                        "date": day.isoformat(),
                        "hours": rng.choice((1.0, 1.5, 2.0, 3.0, 4.0)),
                        "description": "活动服务",
                        "status": rng.choice(("verified",) * 8 + ("recorded", "rejected")),
                        "verified_by": "王芳",
                    },
                )
        return time.perf_counter() - start
    finally:
        s.close()


def ms(values: list[float], cpu: list[float] | None = None) -> str:
    text = f"{statistics.median(values) * 1000:.0f} ms (max {max(values) * 1000:.0f})"
    if cpu:
        text += f", CPU {statistics.median(cpu) * 1000:.0f} ms"
    return text


def timed(fn, repeat: int) -> str:  # noqa: ANN001
    """Wall-clock and CPU time of ``fn`` (CPU time shows the work itself when the machine is
    busy)."""
    wall, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return ms(wall, cpu)


def bench_service(data_dir: Path, repeat: int) -> list[tuple[str, str]]:
    s = open_services(data_dir)
    svc = ReportService(s)
    year = dt.date.today().year - 1
    out = []
    try:
        for label, fn in (
            (
                f"overview figures for {year} (this year + last, 2 × 12 months, checklist)",
                lambda: svc.overview(year),
            ),
            (f"overview figures for {year}-06 (one month)", lambda: svc.overview(year, month=6)),
            (f"summary (every indicator, {year})", lambda: svc.summary(year)),
        ):
            fn()  # warm the page cache, as a running app has it
            out.append((label, timed(fn, repeat)))
        with tempfile.TemporaryDirectory() as tmp:
            for label, fn in (
                (
                    f"annual report {year} (.xlsx, with the sheet of records behind every figure)",
                    lambda: svc.write_annual(Path(tmp) / "年报.xlsx", year),
                ),
                (
                    f"monthly report {year}-06 (.xlsx)",
                    lambda: svc.write_monthly(Path(tmp) / "月报.xlsx", year, 6),
                ),
                (
                    f"monthly report {year}-06 (A4 PDF)",
                    lambda: svc.write_monthly(Path(tmp) / "月报.pdf", year, 6),
                ),
            ):
                out.append((label, timed(fn, max(3, repeat // 2))))
            import openpyxl

            detail_rows = (
                openpyxl.load_workbook(Path(tmp) / "年报.xlsx", read_only=True)
                .worksheets[1]
                .max_row
                - 1
            )
            out.append(("annual report: records listed on its second sheet", f"{detail_rows:,}"))
    finally:
        s.close()
    return out


def bench_page(data_dir: Path, repeat: int) -> list[tuple[str, str]]:
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    from pzh_station.ui.context import UiContext
    from pzh_station.ui.overview import OverviewPage
    from pzh_station.ui.tasks import Tasks

    app = QApplication.instance() or QApplication([])
    ctx = UiContext(data_dir=data_dir, tasks=Tasks(data_dir))

    def wait() -> None:
        while not ctx.tasks.idle:
            app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
        app.processEvents()

    page = OverviewPage(ctx)
    page.resize(1216, 700)
    page.show()
    wait()
    this_year = dt.date.today().year
    times = []
    for i in range(repeat):
        year = this_year - 1 - (i % 2)  # alternate, so every choice is a real change
        t0 = time.perf_counter()
        page.year_spin.setValue(year)
        wait()
        times.append(time.perf_counter() - t0)
        assert page.value_text("activities") != "…"
    page.close()
    ctx.tasks.shutdown()
    return [
        ("overview page: choose a year → figures and chart shown (real page, DB thread)", ms(times))
    ]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    repeat = 3 if args.quick else 7
    data_dir = args.data_dir or Path(tempfile.gettempdir()) / "pzh-bench-reports"
    data_dir.mkdir(parents=True, exist_ok=True)
    built = build(data_dir)
    rows = [
        (
            "data",
            f"{ACTIVITIES:,} activities,"
            f" {YEARS * CLASSES_PER_YEAR * SESSIONS_PER_CLASS * PARTICIPANTS_PER_CLASS:,} "
            f"attendance marks, {SERVICE_RECORDS:,} service records over {YEARS} years",
        )
    ]
    if built:
        rows.append(("building the data (Store.write, one transaction)", f"{built:.0f} s"))
    rows += bench_service(data_dir, repeat)
    rows += bench_page(data_dir, repeat)
    print(f"load average before: {os.getloadavg()[0]:.1f}\n")
    print("| reports | wall median (max), CPU median |\n|---|---|")
    for label, value in rows:
        print(f"| {label} | {value} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
