"""Starting the desktop app: one instance per data dir, store checks, first run, main window.

The :class:`Launcher` walks through the start without ever blocking in a nested event loop (every
dialog is opened with ``open()``), so tests drive the real start-up dialogs with pytest-qt:

1. take the instance lock — a second app on the same data dir gets a message and quits;
2. open the store on the database worker (the file's only owner) — a file that is not SQLite, corrupt, or from a newer version brings up
   the restore dialog (restore one of the backups, or quit; the file is never overwritten
   otherwise); other store failures (read-only folder …) get a message;
3. without a station profile, the first-run dialog;
4. the main window; the daily automatic backup then runs on the database thread.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from pzh_core.resources import resources_dir
from pzh_station import paths
from pzh_station.services import maintenance
from pzh_station.services.station import StationService
from pzh_station.settings import Settings
from pzh_station.store import StoreError
from pzh_station.store.lock import InstanceLock
from pzh_station.ui import qt_locale
from pzh_station.ui.context import UiContext
from pzh_station.ui.first_run import FirstRunDialog
from pzh_station.ui.main_window import MainWindow
from pzh_station.ui.restore_dialog import RestoreDialog
from pzh_station.ui.tasks import Tasks

APP_TITLE = "文化站工作台"


class Launcher(QObject):
    """Brings the app up on a data dir. ``finished(code)`` is emitted when start-up ends the app
    (refused, quit from a dialog); once the main window is shown, closing it ends the app."""

    finished = Signal(int)
    main_window_shown = Signal(object)

    def __init__(self, directory: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.directory = directory
        self.lock = InstanceLock(directory)
        self.ctx: UiContext | None = None
        self.window: MainWindow | None = None
        self.dialog: QWidget | None = None  # the start-up dialog now showing, if any

    def start(self) -> None:
        try:
            self.lock.acquire()
        except StoreError as exc:
            self._fatal(exc.message, code=3)
            return
        self._open_store()

    def _open_store(self) -> None:
        # The database worker opens (and migrates) the file: it is the file's only owner. The
        # UI waits for this first answer, as it waited for the file to open before.
        operator = Settings(self.directory).get("operator", "") or ""
        tasks = Tasks(self.directory, operator=operator)
        try:
            set_up = tasks.call(lambda s: StationService(s).is_set_up())
        except StoreError as exc:
            tasks.shutdown()
            if exc.can_restore:
                self._offer_restore(exc)
            else:
                self._fatal(exc.message, code=2)
            return
        self.ctx = UiContext(data_dir=self.directory, tasks=tasks, operator=operator)
        if set_up:
            self._show_main()
            return
        dialog = FirstRunDialog(self.ctx)
        dialog.accepted.connect(self._show_main)
        dialog.rejected.connect(lambda: self._end(0))
        self.dialog = dialog
        dialog.open()

    def _show_main(self) -> None:
        assert self.ctx is not None
        self.dialog = None
        self.window = MainWindow(self.ctx)
        self.window.show()
        self.ctx.tasks.run(
            lambda s: maintenance.auto_backup(s.data_dir),
            failure=lambda exc: (
                self.window
                and self.window.statusBar().showMessage(
                    self.tr("自动备份失败：") + str(exc), 15_000
                )
            ),
        )
        self.main_window_shown.emit(self.window)

    def _offer_restore(self, error: StoreError) -> None:
        dialog = RestoreDialog(error, maintenance.list_backups(self.directory), self._restore)
        dialog.accepted.connect(self._open_store)
        dialog.rejected.connect(lambda: self._end(2))
        self.dialog = dialog
        dialog.open()

    def _restore(self, backup: Path) -> None:
        # maintenance.restore refuses while any app holds the lock — including this one.
        self.lock.release()
        try:
            maintenance.restore(self.directory, backup)
        finally:
            self.lock.acquire()

    def _fatal(self, message: str, *, code: int) -> None:
        box = QMessageBox(QMessageBox.Icon.Critical, APP_TITLE, message)
        box.finished.connect(lambda _r: self._end(code))
        self.dialog = box
        box.open()

    def _end(self, code: int) -> None:
        self.dialog = None
        self.shutdown()
        self.finished.emit(code)

    def shutdown(self) -> None:
        """Stop the database thread and release the lock (idempotent)."""
        if self.ctx is not None:
            self.ctx.tasks.shutdown()
        self.lock.release()


def run(data_dir: str | Path | None = None) -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    qt_locale.install(app)
    app.setApplicationName("pzh-station")
    app.setApplicationDisplayName(APP_TITLE)
    app.setWindowIcon(QIcon(str(resources_dir() / "icons" / "pzh-station.png")))
    app.setQuitOnLastWindowClosed(False)  # start-up dialogs come and go; we decide when to quit
    launcher = Launcher(paths.data_dir(data_dir))
    launcher.finished.connect(app.exit)
    launcher.main_window_shown.connect(lambda w: w.closed.connect(lambda: app.exit(0)))
    launcher.start()
    code = app.exec()
    launcher.shutdown()
    return code
