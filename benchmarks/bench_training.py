"""Training: the attendance grid (60 people × 40 sessions) opened and marked through the real UI,
importing a 5,000-row roster, and pinyin search over 20,000 people per keystroke.

``python benchmarks/bench_training.py [--quick] [--data-dir DIR]``

The grid figures go through the real ``AttendanceTab`` on the real background ``Tasks`` thread:
"open" is from choosing the class until the grid is on screen; "a mark" is from the key press
until the mark is shown (the model shows it at once) and, separately, until it is stored. The
search figures are the work per keystroke after the typing pause (``SEARCH_DELAY_MS``), through
``PeopleService.search`` on the database thread, as the person picker calls it.
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

from pzh_core.domain.person import Person  # noqa: E402
from pzh_core.domain.training import TrainingClass  # noqa: E402
from pzh_station.services.context import open_services  # noqa: E402
from pzh_station.services.demo_training import _person  # noqa: E402
from pzh_station.services.people import PeopleService  # noqa: E402
from pzh_station.services.station import StationProfile, StationService  # noqa: E402
from pzh_station.services.training import TrainingService  # noqa: E402


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.1f} ms (max {max(values) * 1000:.1f})"


def fresh(data_dir: Path):  # noqa: ANN201
    s = open_services(data_dir, operator="李明")
    if not StationService(s).is_set_up():
        StationService(s).save_profile(
            StationProfile(name="基准测试站", county="仁和区", population=23_000, staff=["李明"])
        )
    return s


def build_grid(data_dir: Path, people: int, sessions: int) -> str:
    s = fresh(data_dir)
    try:
        t = TrainingService(s)
        found = t.find_class("基准班")
        if found:
            return found.id  # type: ignore[return-value]
        rng = random.Random(60)
        with s.store.transaction():
            cid = t.save_class(
                TrainingClass(name="基准班", art_form="dance", start_date="2026-01-05")
            )
            pids = [PeopleService(s).save(_person(rng, "李明")) for _ in range(people)]
            for pid in pids:
                t.enroll(cid, pid)
            start = dt.date(2026, 1, 5)
            sids = t.add_sessions(
                cid, [start + dt.timedelta(days=3 * i) for i in range(sessions)], "19:30"
            )
            for sid in sids[: sessions - 5]:
                for pid in pids:
                    t.mark(sid, pid, rng.choice(["present"] * 8 + ["late", "absent", "excused"]))
        return cid
    finally:
        s.close()


def bench_grid(data_dir: Path, class_id: str, repeat: int) -> list[tuple[str, str]]:
    from PySide6.QtCore import QEventLoop, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from pzh_station.ui.context import UiContext
    from pzh_station.ui.tasks import Tasks
    from pzh_station.ui.training.attendance import AttendanceTab

    app = QApplication.instance() or QApplication([])
    ctx = UiContext(data_dir=data_dir, tasks=Tasks(data_dir, operator="李明"))

    def wait() -> None:
        while not ctx.tasks.idle:
            app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
        app.processEvents()

    ctx.tasks.run(lambda s: None)
    wait()
    tab = AttendanceTab(ctx)
    tab.resize(1200, 650)
    tab.show()
    wait()
    opened, service, shown, stored = [], [], [], []
    for _ in range(repeat):
        tab.set_class(None)
        wait()
        t0 = time.perf_counter()
        tab.set_class(class_id)
        wait()
        tab.view.viewport().repaint()
        opened.append(time.perf_counter() - t0)
    size = (len(tab.model.people), len(tab.model.sessions))
    for _ in range(repeat):
        t0 = time.perf_counter()
        ctx.tasks.run(lambda s: TrainingService(s).grid(class_id))
        wait()
        service.append(time.perf_counter() - t0)
    view, model = tab.view, tab.model
    col = size[1] - 3  # an unmarked session
    for i in range(repeat * 5):
        view.setCurrentIndex(model.index(i % size[0], col))
        key = Qt.Key.Key_1 if (i // size[0]) % 2 == 0 else Qt.Key.Key_4
        t0 = time.perf_counter()
        QTest.keyClick(view, key)
        # Qt paints the cells that changed (the mark, its row and column totals)
        app.processEvents()
        shown.append(time.perf_counter() - t0)
        wait()
        stored.append(time.perf_counter() - t0)
    ctx.tasks.shutdown()
    return [
        (
            f"open the attendance grid ({size[0]} people × {size[1]} sessions), choose → on screen",
            ms(opened),
        ),
        ("TrainingService.grid alone (via the DB thread)", ms(service)),
        ("one mark: key press → shown and painted (with totals)", ms(shown)),
        ("one mark: key press → stored (row + change log)", ms(stored)),
    ]


def bench_import(data_dir: Path, rows: int) -> list[tuple[str, str]]:
    import openpyxl

    from pzh_station.services.roster_import import RosterImporter

    rng = random.Random(5000)
    path = Path(data_dir) / f"roster-{rows}.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["花名册"])
    ws.append(["序号", "姓名", "性别", "出生年月", "联系电话", "村（社区）", "民族", "备注"])
    for i in range(rows):
        p = _person(rng, "")
        ws.append(
            [
                i + 1,
                p.name,
                p.gender,
                p.birth_year,
                int(p.phone) if p.phone else None,
                p.village,
                p.ethnicity,
                "",
            ]
        )
    wb.save(path)
    s = fresh(data_dir)
    try:
        imp = RosterImporter(s)
        t0 = time.perf_counter()
        result = imp.read_import(path)
        read_t = time.perf_counter() - t0
        t0 = time.perf_counter()
        imp.write_import(result, class_name=f"导入基准班{time.time_ns()}", skip_bad=True)
        write_t = time.perf_counter() - t0
    finally:
        s.close()
    return [
        (
            f"import roster: read and check {rows:,} rows (.xlsx,"
            f" {path.stat().st_size // 1024} KB), preview ready",
            f"{read_t:.2f} s",
        ),
        (
            f"import roster: write after confirm ({result.created_people:,} new people,"
            f" {result.written:,} enrolled)",
            f"{write_t:.2f} s",
        ),
    ]


def bench_search(data_dir: Path, people: int, repeat: int) -> list[tuple[str, str]]:
    s = fresh(data_dir)
    try:
        svc = PeopleService(s)
        have = svc.count()
        rng = random.Random(20_000)
        if have < people:
            with s.store.transaction():
                for _ in range(people - have):
                    svc.save(_person(rng, "李明"))
        svc.save(Person(name="张三", phone="13800001111"))
        # As if every person had just arrived by sync (the triggers mark them not indexed): the
        # first search computes the pinyin of all of them.
        with s.store.transaction() as conn:
            conn.execute("UPDATE people_search SET initials = '', full = ''")
        t0 = time.perf_counter()
        svc.search("zs")
        index_t = time.perf_counter() - t0
        total = svc.count()
    finally:
        s.close()

    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    from pzh_station.ui.tasks import Tasks

    app = QApplication.instance() or QApplication([])
    tasks = Tasks(data_dir, operator="李明")

    def wait() -> None:
        while not tasks.idle:
            app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
        app.processEvents()

    tasks.run(lambda sv: PeopleService(sv).search("a"))
    wait()
    out: list[tuple[str, str]] = [
        (
            f"first search after {total:,} people arrived by sync (pinyin of all of them computed)",
            f"{index_t * 1000:.0f} ms",
        )
    ]
    for typed in ("z", "zs", "zhang", "张", "1380"):
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            tasks.run(lambda sv, q=typed: PeopleService(sv).search(q, limit=30))
            wait()
            times.append(time.perf_counter() - t0)
        out.append((f"search keystroke “{typed}” over {total:,} people (30 shown)", ms(times)))
    # After one more person is added, the next keystroke re-indexes just that one.
    times = []
    for i in range(repeat):
        tasks.run(lambda sv, i=i: PeopleService(sv).save(Person(name=f"新人{i}")))
        wait()
        t0 = time.perf_counter()
        tasks.run(lambda sv: PeopleService(sv).search("xr", limit=30))
        wait()
        times.append(time.perf_counter() - t0)
    out.append(("search keystroke right after a person was added (index catches up)", ms(times)))
    tasks.shutdown()
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    repeat = 3 if args.quick else 9
    base = args.data_dir or Path(tempfile.gettempdir()) / "pzh-bench-training"
    for sub in ("grid", "import", "search"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    rows: list[tuple[str, str]] = []
    cid = build_grid(base / "grid", 60, 40)
    rows += bench_grid(base / "grid", cid, repeat)
    rows += bench_import(base / "import", 5_000)
    rows += bench_search(base / "search", 20_000, repeat)
    print("| measurement | result |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
