"""Start-up (issue 17): the first screen does not load what it does not show.

A fresh process starts the desk as the Start-menu entry does (``pzh-station`` without arguments,
offscreen) on a station that is set up. At the main window's first paint it lists which heavy
modules are already loaded; then it waits for what follows the paint (the status bar's sync and
photo agents, the overview's figures) so the deferred parts are shown to still come. No timings:
the ratio to a bare window is measured by ``benchmarks/bench_startup.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pzh_station.services.context import open_services
from pzh_station.services.station import StationProfile, StationService

#: loaded by the first paint, each would cost the start tens of milliseconds or more
HEAVY = (
    "reportlab",  # PDFs: when one is made
    "openpyxl",  # spreadsheets: on import/export
    "sqlite_utils",  # migrations: only when the file needs one
    "requests",  # the network: with the first sync (after the window)
    "PIL",  # photos: when a photo is attached or shown
    "pypinyin",  # the pinyin sort reads its shipped table
    "PySide6.QtCharts",  # the overview's chart: with its first figures
    "pzh_station.services.reports",  # the overview's figures: on the database worker, after
    "pzh_station.sync_client.photo_transfer",
)

CHILD = textwrap.dedent(
    """
    import json, sys
    from PySide6.QtCore import QEvent, QObject, QTimer
    from pzh_station.cli import main as cli
    from pzh_station.ui.main_window import MainWindow

    HEAVY = json.loads(sys.argv[1])
    seen = {}
    built = MainWindow.__init__

    class FirstPaint(QObject):
        def eventFilter(self, window, event):
            if event.type() == QEvent.Type.UpdateRequest and "at_paint" not in seen:
                seen["at_paint"] = sorted(m for m in HEAVY if m in sys.modules)
                seen["started_at_paint"] = window.has_started
                seen["qt_namespace_at_paint"] = "Qt" in vars(sys.modules["PySide6.QtCore"])
                if window.has_started:
                    QTimer.singleShot(0, lambda: check(window))
                else:
                    window.started.connect(lambda: QTimer.singleShot(0, lambda: check(window)))
            return False

    def check(window):
        page = window.page("overview")
        if page.data is None:  # the figures come from the database worker
            QTimer.singleShot(50, lambda: check(window))
            return
        seen["sync_status"] = window.sync_status.label.text()
        seen["photo_status"] = window.photo_status.text()
        seen["activities"] = page.value_text("activities")
        print("RESULT " + json.dumps(seen, ensure_ascii=False), flush=True)
        window.close()

    def init(window, *args, **kwargs):
        built(window, *args, **kwargs)
        window._first_paint = FirstPaint(window)
        window.installEventFilter(window._first_paint)

    MainWindow.__init__ = init
    raise SystemExit(cli.main([]))
    """
)


@pytest.fixture
def station_dir(tmp_path) -> Path:
    d = tmp_path / "数据"
    s = open_services(d, operator="李明")
    StationService(s).save_profile(
        StationProfile(name="仁和镇文化站", county="仁和区", staff=["李明"])
    )
    s.close()
    return d


def test_first_window_paints_before_heavy_modules_load(station_dir):
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHONUTF8": "1",
        "PZH_STATION_DATA_DIR": str(station_dir),
    }
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(HEAVY)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, proc.stdout + proc.stderr
    seen = json.loads(lines[0].removeprefix("RESULT "))
    assert seen["at_paint"] == [], f"loaded before the first paint: {seen['at_paint']}"
    assert seen["started_at_paint"] is False  # the status bar's agents start after the paint
    # PySide6 builds all 93 enums of the ``Qt`` namespace on its first use (~30 ms): the modules
    # of the first screen import it inside the functions that run after the paint
    assert seen["qt_namespace_at_paint"] is False
    # ... and still come, with the overview's figures
    assert "未注册同步" in seen["sync_status"]
    assert "照片" in seen["photo_status"]
    assert seen["activities"] == "0 场"
