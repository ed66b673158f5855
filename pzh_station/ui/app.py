"""Starting the desktop app: one instance per data dir, store checks, first run, main window."""

from __future__ import annotations

import sys
from pathlib import Path

from pzh_station import paths


def run(data_dir: str | Path | None = None) -> int:
    from PySide6.QtWidgets import QApplication, QMessageBox

    from pzh_station.services import maintenance
    from pzh_station.services.context import open_services
    from pzh_station.services.station import StationService
    from pzh_station.store import StoreError
    from pzh_station.store.lock import InstanceLock
    from pzh_station.ui.context import UiContext
    from pzh_station.ui.main_window import MainWindow
    from pzh_station.ui.tasks import Tasks

    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("pzh-station")
    app.setApplicationDisplayName("文化站工作台")
    directory = paths.data_dir(data_dir)
    lock = InstanceLock(directory)
    try:
        lock.acquire()
        # Open once here so a bad file is reported before any window appears.
        services = open_services(directory)
        name = (StationService(services).profile() or None)
        services.close()
        maintenance.auto_backup(directory)
    except StoreError as exc:
        QMessageBox.critical(None, "文化站工作台", exc.message)
        return 2
    ctx = UiContext(data_dir=directory, tasks=Tasks(directory))
    window = MainWindow(ctx, station_name=name.name if name else "")
    window.show()
    code = app.exec()
    lock.release()
    return code
