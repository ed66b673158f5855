"""One helper for background database work (Anki's CollectionOp / taskman, in small).

All database work runs on one worker thread that owns the only :class:`Services` (and so the
only sqlite3 connection of the UI). A widget slot stays three to five lines::

    self.ctx.tasks.run(lambda s: ActivityService(s).save(act),
                       success=self._saved, failure=self._show_error, changes={"activities"})

Results come back on the main thread through a signal; nothing touches a widget from the
worker. After a successful write, ``Tasks.changed`` announces which areas changed (a set of
names such as ``{"activities"}``), and every view decides for itself whether to refresh.
Network work (sync) runs on its own thread elsewhere and never here.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QThread, Signal, Slot

from pzh_station.services.context import Services, open_services

log = logging.getLogger(__name__)


class _Worker(QObject):
    done = Signal(int, object, object)

    def __init__(self, data_dir: Path, operator: str) -> None:
        super().__init__()
        self._data_dir = data_dir
        self._operator = operator
        self.services: Services | None = None

    @Slot(int, object)
    def execute(self, job_id: int, fn: Callable[[Services], Any]) -> None:
        try:
            if self.services is None:
                self.services = open_services(self._data_dir, operator=self._operator)
            result = fn(self.services)
        except Exception as exc:  # noqa: BLE001 - handed to the caller's failure callback
            self.done.emit(job_id, None, exc)
            return
        self.done.emit(job_id, result, None)

    @Slot()
    def close(self) -> None:
        if self.services is not None:
            self.services.close()
            self.services = None


def _alive(callback: Callable | None) -> Callable | None:
    """The callback, or None when it is a method of a Qt object that has been deleted."""
    owner = getattr(callback, "__self__", None)
    if isinstance(owner, QObject) and not shiboken6.isValid(owner):
        return None
    return callback


class Tasks(QObject):
    """Runs functions of :class:`Services` on the database thread."""

    changed = Signal(object)  # set[str]: the areas a finished write changed
    failed = Signal(object)  # an exception nobody handled (the main window shows it)
    _submit = Signal(int, object)
    _close = Signal()

    def __init__(
        self, data_dir: Path, *, operator: str = "", parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._callbacks: dict[int, tuple[Callable | None, Callable | None, frozenset[str]]] = {}
        self._thread = QThread()
        self._thread.setObjectName("pzh-db")
        self._worker = _Worker(data_dir, operator)
        self._worker.moveToThread(self._thread)
        self._submit.connect(self._worker.execute)
        self._close.connect(self._worker.close)
        self._worker.done.connect(self._on_done)
        self._thread.start()

    @property
    def idle(self) -> bool:
        return not self._callbacks

    def set_operator(self, name: str) -> None:
        self.run(lambda s: setattr(s, "operator", name))

    def run(
        self,
        fn: Callable[[Services], Any],
        *,
        success: Callable[[Any], None] | None = None,
        failure: Callable[[Exception], None] | None = None,
        changes: Iterable[str] = (),
    ) -> int:
        """Queue ``fn(services)`` on the database thread.

        :param success: called on the main thread with the result.
        :param failure: called on the main thread with the exception; without it ``failed`` is emitted.
        :param changes: areas this write changes; announced by ``changed`` after success.
        """
        job_id = next(self._ids)
        self._callbacks[job_id] = (success, failure, frozenset(changes))
        self._submit.emit(job_id, fn)
        return job_id

    @Slot(int, object, object)
    def _on_done(self, job_id: int, result: Any, error: Exception | None) -> None:
        success, failure, changes = self._callbacks.pop(job_id, (None, None, frozenset()))
        # A page closed while its job ran: its callbacks must not touch deleted widgets.
        success, failure = _alive(success), _alive(failure)
        if error is not None:
            if failure is not None:
                failure(error)
            else:
                log.error("background task failed", exc_info=error)
                self.failed.emit(error)
            return
        if success is not None:
            success(result)
        if changes:
            self.changed.emit(set(changes))

    def shutdown(self) -> None:
        """Close the database on its thread and stop the thread."""
        if self._thread.isRunning():
            self._close.emit()
            self._thread.quit()
            self._thread.wait(10_000)
