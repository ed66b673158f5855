"""Start-up: from process start to a usable main window, as a ratio to a bare PySide6 window
measured in the same run (issue 17 asks for at most 2×).

    python benchmarks/bench_startup.py [--quick]

Each start is a fresh process (``python this-file --child bare|app DIR``) that prints READY on the
event loop's turn after its window's first paint; the parent times spawn → READY. ``app`` goes
through the real launcher (``pzh_station.ui.app``: lock, store, profile, translations, log file,
main window with the overview page) on a data dir with a year of demo data. Offscreen; median of N.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _ready_after_first_paint(window, then) -> None:  # noqa: ANN001
    """Print READY on the event loop's turn after the window's first paint, then ``then()``."""
    from PySide6.QtCore import QEvent, QObject, QTimer

    def ready() -> None:
        print("READY", flush=True)
        then()

    class FirstPaint(QObject):
        def eventFilter(self, watched, event) -> bool:  # noqa: ANN001, N802
            if event.type() == QEvent.Type.UpdateRequest:  # a top-level window paints on this
                watched.removeEventFilter(self)
                QTimer.singleShot(0, ready)
            return False

    window._bench_filter = FirstPaint(window)
    window.installEventFilter(window._bench_filter)


def child(kind: str, data_dir: str = "") -> None:
    if kind == "bare":
        from PySide6.QtWidgets import QApplication, QMainWindow

        app = QApplication([])
        window = QMainWindow()
        window.resize(1280, 689)
        _ready_after_first_paint(window, lambda: app.exit(0))
        window.show()
        app.exec()
        return
    from pzh_station.cli.main import preload_desk

    preload_desk()  # as ``pzh-station`` does before the app (see pzh_station.cli.main)
    from pzh_station.ui import app as desk
    from pzh_station.ui.main_window import MainWindow

    built = MainWindow.__init__

    def init(window, *args, **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
        built(window, *args, **kwargs)
        _ready_after_first_paint(window, window.close)

    MainWindow.__init__ = init
    desk.run(data_dir)


def timed(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", *args],
        stdout=subprocess.PIPE,
        env=env,
        cwd=ROOT,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.strip() == "READY":
            elapsed = time.perf_counter() - start
            break
    else:
        raise RuntimeError(f"{args[0]} never became ready")
    proc.wait(timeout=60)
    return elapsed


def main(argv: list[str]) -> int:
    if "--child" in argv:
        i = argv.index("--child")
        child(*argv[i + 1 :])
        return 0
    runs = 3 if "--quick" in argv else 9
    load_before = os.getloadavg()[0]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONUTF8": "1"}
    # An installed app starts from compiled bytecode (pip and the frozen bundle both have it);
    # a shell with PYTHONDONTWRITEBYTECODE would recompile every module of the app at each start.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "数据"
        subprocess.run(
            [sys.executable, "-m", "pzh_station", "--data-dir", str(data), "demo-data"],
            check=True,
            capture_output=True,
            env=env,
            cwd=ROOT,
        )
        timed(["bare"], env), timed(["app", str(data)], env)  # warm the disk cache
        bare, app = [], []
        for _ in range(runs):  # interleaved, so a busy moment hits both alike
            bare.append(timed(["bare"], env))
            app.append(timed(["app", str(data)], env))
    b, a = statistics.median(bare), statistics.median(app)
    print(f"| start to a usable window (median of {runs}, offscreen) | time |")
    print("|---|---|")
    print(f"| bare PySide6 window | {b * 1000:.0f} ms |")
    print(f"| 文化站工作台 main window (demo data) | {a * 1000:.0f} ms |")
    print(f"| **ratio** (target ≤ 2×) | **{a / b:.2f}×** |")
    print(f"\nload average (1 min): {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
