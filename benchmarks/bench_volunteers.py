"""Volunteers at scale: 2,000 volunteers with 100,000 service records.

Measures what a station worker waits for: the archive list with verified totals and stars
(``VolunteerService.list``), one volunteer's totals by month/year, the records list of a year
(capped at ``MAX_LIST`` rows) and of one volunteer, the monthly summary of a year, the "new
star level this year" list, and the day check run before saving a record. Target: the list and
totals well under 200 ms. Run: ``python benchmarks/bench_volunteers.py`` (or via run.py).
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pzh_core.domain.person import Person  # noqa: E402
from pzh_core.domain.volunteer import ServiceRecord, Volunteer  # noqa: E402
from pzh_core.schema import det_id  # noqa: E402
from pzh_station.services.context import open_services  # noqa: E402
from pzh_station.services.station import StationProfile, StationService  # noqa: E402
from pzh_station.services.volunteers import VolunteerService  # noqa: E402
from pzh_station.store.volunteers import RecordFilter, VolunteerFilter  # noqa: E402

VOLUNTEERS = 2_000
RECORDS = 100_000
TARGET_MS = 200


def build(data_dir: Path) -> float:
    """Fill a data dir through Store.write (the app's own write path). :returns: seconds taken."""
    rng = random.Random(4)
    services = open_services(data_dir, operator="李明")
    StationService(services).save_profile(
        StationProfile(name="基准测试站", county="仁和区", staff=["李明", "王芳"])
    )
    store = services.store
    start = time.perf_counter()
    today = dt.date.today()
    vols = []
    with store.transaction():
        for i in range(VOLUNTEERS):
            pid = store.write(
                "people", None, Person(name=f"志愿者{i:04d}", phone=f"139{i:08d}").fields()
            )
            vid = det_id("volunteer", pid)
            store.write(
                "volunteers",
                vid,
                Volunteer(
                    person_id=pid,
                    number=f"ZY-{i:05d}",
                    join_date="2018-01-01",
                    skills=["guiding"],
                    team="讲解队",
                ).fields(),
            )
            vols.append((vid, pid))
        for _ in range(RECORDS):
            vid, pid = rng.choice(vols)
            day = (today - dt.timedelta(days=rng.randrange(6 * 365))).isoformat()
            status = rng.choices(["verified", "recorded", "rejected"], weights=[90, 7, 3])[0]
            store.write(
                "service_records",
                None,
                ServiceRecord(
                    volunteer_id=vid,
                    person_id=pid,
                    date=day,
                    hours=rng.choice([1.0, 2.0, 2.5, 3.0, 4.0]),
                    description="服务",
                    recorded_by="李明",
                    status=status,
                    verified_by="王芳" if status != "recorded" else "",
                    verified_on=day,
                ).fields(),
            )
    seconds = time.perf_counter() - start
    services.close()
    return seconds


def timed(fn, runs: int = 7) -> tuple[float, float]:  # noqa: ANN001
    """(first run, median of the rest) in ms."""
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return times[0], statistics.median(times[1:])


def open_page(data_dir: Path) -> tuple[float, float]:
    """Build the volunteers page offscreen: ms until the archive list is shown, then ms from
    clicking the records tab until this year's records are shown. Waits in a real event loop
    (not a busy loop, which would steal the GIL from the database thread)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    from pzh_station.ui.context import UiContext
    from pzh_station.ui.tasks import Tasks
    from pzh_station.ui.volunteers import VolunteersPage

    app = QApplication.instance() or QApplication([])
    ctx = UiContext(data_dir=data_dir, tasks=Tasks(data_dir, operator="李明"), operator="李明")
    loop = QEventLoop()
    ctx.tasks.run(
        lambda s: None, success=lambda _r: loop.quit()
    )  # open the worker's connection first
    loop.exec()

    def shown(model) -> float:  # noqa: ANN001
        model.loaded.connect(loop.quit)
        loop.exec()
        app.processEvents()  # paint
        return (time.perf_counter() - start) * 1000

    start = time.perf_counter()
    page = VolunteersPage(ctx)
    page.resize(1300, 700)
    page.show()
    opened = shown(page.volunteer_model)
    start = time.perf_counter()
    page.tabs.setCurrentIndex(1)
    records = shown(page.record_model)
    page.close()
    ctx.tasks.shutdown()
    return opened, records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument(
        "--data-dir", help="keep the built data here (reused when it is already filled)"
    )
    args = parser.parse_args(argv)
    runs = 3 if args.quick else 7
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(args.data_dir) if args.data_dir else Path(tmp)
        if (data_dir / "station.sqlite3").exists():
            print(f"reusing {data_dir}\n")
        else:
            seconds = build(data_dir)
            print(
                f"Built {VOLUNTEERS:,} volunteers and {RECORDS:,} service records through"
                f" `Store.write` "
                f"in {seconds:.1f} s.\n"
            )
        services = open_services(data_dir, operator="李明")
        svc = VolunteerService(services)
        year = dt.date.today().year
        some = svc.rows()[VOLUNTEERS // 2]["id"]
        rec = ServiceRecord(
            volunteer_id=some, date=dt.date.today().isoformat(), hours=2, description="x"
        )
        cases = {
            "archive list with totals and stars (2,000 rows)": lambda: svc.rows(year=year),
            "archive list, search '志愿者12'": lambda: svc.rows(
                VolunteerFilter(text="志愿者12"), year=year
            ),
            "one volunteer's totals by month/year/all time": lambda: svc.totals(some),
            "records list of this year (≤ 2,000 rows)": lambda: svc.records(
                RecordFilter(date_from=f"{year}-01-01", date_to=f"{year}-12-31")
            ),
            "records of one volunteer": lambda: svc.records(RecordFilter(volunteer_id=some)),
            "records waiting for verification": lambda: svc.records(
                RecordFilter(status="recorded")
            ),
            "monthly summary of this year (export sheet)": lambda: svc.hours_summary(year),
            "new star levels this year": lambda: svc.new_levels(year),
            "checks before saving a record": lambda: svc._check(rec, today=None),
        }
        worst = 0.0
        print(
            "| measurement (service call on the database thread) | first ms | median ms"
            " |\n|---|---|---|"
        )
        for name, fn in cases.items():
            first, median = timed(fn, runs)
            print(f"| {name} | {first:.1f} | {median:.1f} |")
            if "list" in name or "totals" in name:
                worst = max(worst, median)
        services.close()
        opened, records = open_page(data_dir)
        print(
            f"| page opened: archive list on screen (Qt offscreen, real Tasks thread) |"
            f" {opened:.1f} | |"
        )
        print(f"| records tab clicked: this year's records on screen | {records:.1f} | |")
    ok = worst < TARGET_MS
    print(
        f"\nList and totals: worst median {worst:.1f} ms (target < {TARGET_MS} ms):"
        f" {'OK' if ok else 'TOO SLOW'}; "
        f"load average while measuring: {os.getloadavg()[0]:.1f}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
