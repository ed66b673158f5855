"""``pzh-station --self-test``: prove a (frozen) build works end to end, then exit 0."""

from __future__ import annotations

import os
import sys
import tempfile
import traceback


def run() -> int:
    steps: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="pzh 自检 ") as tmp:
            from pzh_station.domain.activity import Activity
            from pzh_station.services.activities import ActivityService
            from pzh_station.services.context import open_services
            from pzh_station.services.station import StationProfile, StationService

            services = open_services(tmp)
            StationService(services).save_profile(StationProfile(name="自检站", county="东区", population=1))
            steps.append("store")
            svc = ActivityService(services)
            aid = svc.save(Activity(title="自检活动", date="2024-01-01", kind="lecture"))
            assert svc.get(aid).title == "自检活动"
            steps.append("write+read")
            services.close()
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
            from PySide6.QtWidgets import QApplication

            from pzh_station.ui.context import UiContext
            from pzh_station.ui.main_window import MainWindow
            from pzh_station.ui.tasks import Tasks

            app = QApplication.instance() or QApplication([])
            ctx = UiContext(data_dir=__import__("pathlib").Path(tmp), tasks=Tasks(__import__("pathlib").Path(tmp)))
            window = MainWindow(ctx)
            window.show()
            app.processEvents()
            window.close()
            steps.append("main window")
    except Exception:  # noqa: BLE001 - the self-test reports every failure
        print("自检失败 (self-test FAILED) after: " + ", ".join(steps), file=sys.stderr)
        traceback.print_exc()
        return 1
    print("自检通过 (self-test OK): " + ", ".join(steps))
    return 0
