"""Starting the desktop app: one instance per data dir, store checks, first run, main window.

The :class:`Launcher` walks through the start without ever blocking in a nested event loop (every
dialog is opened with ``open()``), so tests drive the real start-up dialogs with pytest-qt:

1. take the instance lock — a second app on the same data dir gets a message and quits;
2. open the store on the database worker (the file's only owner) — a file that is not SQLite,
corrupt, or from a newer version brings up
   the restore dialog (restore one of the backups, or quit; the file is never overwritten
   otherwise); other store failures (read-only folder …) get a message;
3. without a station profile, the first-run dialog;
4. the main window; the daily automatic backup then runs on the database thread.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from pzh_core.resources import resources_dir
from pzh_station import logs, paths
from pzh_station.services import maintenance
from pzh_station.services.station import StationService
from pzh_station.settings import Settings
from pzh_station.store import StoreError
from pzh_station.store.lock import InstanceLock
from pzh_station.ui import crash, qt_locale
from pzh_station.ui.context import UiContext
from pzh_station.ui.gc_guard import MainThreadGc
from pzh_station.ui.main_window import MainWindow
from pzh_station.ui.tasks import Tasks

APP_TITLE = "文化站工作台"
log = logging.getLogger(__name__)


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
        self.restoring = False

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
        self.ctx = UiContext(
            data_dir=self.directory, tasks=tasks, operator=operator, restore=self.restore_running
        )
        if set_up:
            self._show_main()
            return
        from pzh_station.ui.first_run import FirstRunDialog  # only on a new PC: not at every start

        dialog = FirstRunDialog(self.ctx)
        dialog.accepted.connect(self._show_main)
        dialog.rejected.connect(lambda: self._end(0))
        self.dialog = dialog
        dialog.open()

    def _show_main(self) -> None:
        assert self.ctx is not None
        self.dialog = None
        self.window = MainWindow(self.ctx)
        self.window.closed.connect(self.window_closed)
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
        from pzh_station.ui.restore_dialog import RestoreDialog

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

    def restore_running(self, backup: Path) -> None:
        """Restore a backup chosen in the running app (settings page): close the main window
        (which stops the database and sync threads, so no connection holds the file), restore,
        and start again on the restored file. A refused restore leaves the file as it was."""
        log.info("restore from a backup requested in the app: %s", backup.name)
        self.restoring = True
        try:
            if self.window is not None:
                self.window.close()
                self.window = None
            if self.ctx is not None:
                self.ctx.tasks.shutdown()
            try:
                self._restore(backup)
                message = ""
            except StoreError as exc:
                log.warning("restore refused: %s", exc.kind)
                message = exc.message
        finally:
            self.restoring = False
        self._open_store()
        if self.window is not None:
            text = message or self.tr("已从备份恢复。恢复前的数据已另存为一份备份。")
            self.window.statusBar().showMessage(text, 30_000)
            if message:
                box = QMessageBox(QMessageBox.Icon.Warning, APP_TITLE, message, parent=self.window)
                box.open()
                self.dialog = box

    def window_closed(self) -> None:
        """The main window closed: the app ends, unless the window closed for a restore."""
        if not self.restoring:
            self.finished.emit(0)

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
    directory = paths.data_dir(data_dir)
    logs.setup(directory)
    crash.install()
    app.setApplicationName("pzh-station")
    app.setApplicationDisplayName(APP_TITLE)
    app.setWindowIcon(QIcon(str(resources_dir() / "icons" / "pzh-station.png")))
    app.setQuitOnLastWindowClosed(False)  # start-up dialogs come and go; we decide when to quit
    gc_guard = MainThreadGc(app)  # the cyclic collector runs on this thread only
    launcher = Launcher(directory)
    launcher.finished.connect(app.exit)  # also when the main window closes
    launcher.start()
    code = app.exec()
    launcher.shutdown()
    gc_guard.collect()
    return code
