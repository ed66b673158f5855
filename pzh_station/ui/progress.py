"""Long work shows its progress: a progress bar with what is being done and how far (rows of
the total, time left once it can be estimated), a 取消 button where cancelling leaves nothing
half-done, and the window stays responsive (the work runs on the database thread).

The job gets a :class:`Reporter` and calls it as ``report(done, total, what)``; it is safe to
call from any thread (a queued signal carries it to the dialog). After :meth:`Reporter.lock`
(the job starts writing), 取消 is disabled: a write is never cut in half.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

if TYPE_CHECKING:
    from pzh_station.services.context import Services
    from pzh_station.ui.tasks import Tasks


class Cancelled(Exception):
    """The user cancelled before anything was written."""


class Reporter(QObject):
    progressed = Signal(int, int, str)
    locked = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.cancel_event = threading.Event()

    def __call__(self, done: int, total: int, what: str = "") -> None:
        if self.cancel_event.is_set():
            raise Cancelled
        self.progressed.emit(done, total, what)

    def lock(self) -> None:
        """From now on the job writes: cancelling is no longer offered."""
        if self.cancel_event.is_set():
            raise Cancelled
        self.locked.emit()


class Progress(QProgressDialog):
    """The dialog of one long job. ``reporter`` goes to the job; call :meth:`finish` when done."""

    def __init__(self, parent: QWidget, title: str, *, cancellable: bool = True) -> None:
        super().__init__(parent)
        self.setObjectName("progress_dialog")
        self.setWindowTitle(title)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setLabelText(title)
        self.setRange(0, 0)  # busy until the first report says how much there is
        self.setMinimumDuration(300)  # a job that ends at once shows nothing
        self.setAutoClose(False)
        self.setAutoReset(False)
        self.setCancelButtonText(self.tr("取消") if cancellable else "")
        if not cancellable:
            self.setCancelButton(None)
        self.reporter = Reporter()
        self.reporter.progressed.connect(self._progressed)
        self.reporter.locked.connect(self._locked)
        self.canceled.connect(self.reporter.cancel_event.set)
        self.started = time.monotonic()
        self.last_text = ""

    def _progressed(self, done: int, total: int, what: str) -> None:
        if total > 0:
            self.setRange(0, total)
            self.setValue(min(done, total))
        text = what or self.windowTitle()
        if total > 0:
            text += self.tr("（{}/{}）").format(done, total)
            elapsed = time.monotonic() - self.started
            if done > 0 and elapsed > 1.0 and done < total:
                left = elapsed / done * (total - done)
                text += self.tr("，约剩 {} 秒").format(max(1, round(left)))
        self.last_text = text
        self.setLabelText(text)

    def _locked(self) -> None:
        self.setCancelButton(None)
        self.setLabelText(self.tr("正在写入，请稍候…"))

    @property
    def cancelled(self) -> bool:
        return self.reporter.cancel_event.is_set()

    def finish(self) -> None:
        self.reset()
        self.close()
        self.deleteLater()


def cancelled_text() -> str:
    """What the status line says after an import was cancelled."""
    return QCoreApplication.translate("Progress", "已取消导入，没有写入任何数据。")


def run_with_progress(
    tasks: Tasks,
    parent: QWidget,
    title: str,
    job: Callable[[Services, Reporter], Any],
    *,
    success: Callable[[Any], None],
    failure: Callable[[Exception], None],
) -> Progress:
    """Run ``job(services, reporter)`` on the database thread with a :class:`Progress` dialog
    titled ``title``; the dialog closes before ``success`` or ``failure`` (which gets
    :class:`Cancelled` when the user cancelled) is called. :returns: the dialog."""
    progress = Progress(parent, title)

    def ok(result: Any) -> None:
        progress.finish()
        success(result)

    def failed(error: Exception) -> None:
        progress.finish()
        failure(error)

    tasks.run(lambda s: job(s, progress.reporter), success=ok, failure=failed)
    return progress
