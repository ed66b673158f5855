"""The database worker: the only owner of the station file (Anki's CollectionOp / taskman, in
small).

All database work runs on one worker thread that owns the only :class:`Services` (and so the
only read-write sqlite3 connection of the app, and the only hybrid clock). A widget slot stays
three to five lines::

    self.ctx.tasks.run(lambda s: ActivityService(s).save(act),
                       success=self._saved, failure=self._show_error)

Results come back on the main thread through a signal; nothing touches a widget from the
worker. After every job, ``Tasks.changed`` announces what it changed — a
:class:`~pzh_station.store.changed.Changes`, taken from the store, which notes every table it
writes — so no caller declares it and every view decides for itself whether to refresh.

Long reads (a report, the overview's figures) may go to :meth:`Tasks.read`: a second thread with
a read-only connection, so a report being computed never holds up a save.

The sync agent's network thread hands its database steps (what to push, what was pulled) to the
same worker with :meth:`Tasks.call`, which blocks that thread (never the UI thread) until the
step ran; the rows a sync pulls are announced like any other change (``changes.pulled``).
"""

from __future__ import annotations

import concurrent.futures
import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QThread, Signal, Slot

from pzh_station.services.context import Services, open_services
from pzh_station.store import StoreError
from pzh_station.store.changed import Changes

log = logging.getLogger(__name__)


@dataclass
class _Job:
    """What the worker thread sees of a job: its id, the function and, for call(), the future.

    The callbacks and the initiator — widgets and their bound methods — stay on the main thread
    (``Tasks._callbacks``): a Qt wrapper must never be referenced, let alone released, by the
    worker thread (PySide6 crashes when a wrapper dies or is garbage-collected off its thread).
    """

    id: int
    fn: Callable[[Services], Any]
    future: concurrent.futures.Future | None = None  # for call(): the waiting thread's answer


@dataclass
class _Callbacks:
    success: Callable[[Any], None] | None = None
    failure: Callable[[Exception], None] | None = None
    initiator: object = None
    waited: bool = False  # call(): the waiting thread gets the error, nobody else


class _Worker(QObject):
    done = Signal(object, object, object, object)  # job id, result, error, Changes

    def __init__(self, data_dir: Path, operator: str, *, readonly: bool = False) -> None:
        super().__init__()
        self._data_dir = data_dir
        self._operator = operator
        self._readonly = readonly
        self._closed = False
        self.services: Services | None = None

    @Slot(object)
    def execute(self, job: _Job) -> None:
        result: Any = None
        error: Exception | None = None
        try:
            if self._closed:
                raise StoreError("closed", "程序正在退出，数据文件已关闭。")
            if self.services is None:
                self.services = open_services(
                    self._data_dir, operator=self._operator, readonly=self._readonly
                )
            result = job.fn(self.services)
        except Exception as exc:  # noqa: BLE001 - handed to the caller's failure callback
            error = exc
        changes = self.services.store.take_changes() if self.services else Changes()
        # Announce first, then wake a waiting thread: what it reports next reaches the UI after.
        self.done.emit(job.id, result, error, changes)
        if job.future is not None:
            if error is None:
                job.future.set_result(result)
            else:
                job.future.set_exception(error)

    @Slot()
    def close(self) -> None:
        self._closed = True
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

    changed = Signal(object)  # Changes: what a finished job wrote (areas, tables, initiator)
    failed = Signal(object)  # an exception nobody handled (the main window shows it)
    _submit = Signal(object)
    _submit_read = Signal(object)
    _close = Signal()

    def __init__(
        self, data_dir: Path, *, operator: str = "", parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._callbacks: dict[int, _Callbacks] = {}
        self._lock = threading.Lock()  # _callbacks is also touched by call() from other threads
        self._before_shutdown: list[Callable[[], None]] = []
        self._thread = QThread()
        self._thread.setObjectName("pzh-db")
        self._worker = _Worker(data_dir, operator)
        self._worker.moveToThread(self._thread)
        self._submit.connect(self._worker.execute)
        self._close.connect(self._worker.close)
        self._worker.done.connect(self._on_done)
        self._thread.start()
        # Long reads: a read-only connection on a thread of its own, opened on first use.
        self._read_thread = QThread()
        self._read_thread.setObjectName("pzh-read")
        self._reader = _Worker(data_dir, operator, readonly=True)
        self._reader.moveToThread(self._read_thread)
        self._submit_read.connect(self._reader.execute)
        self._close.connect(self._reader.close)
        self._reader.done.connect(self._on_done)
        self._read_thread.start()

    @property
    def idle(self) -> bool:
        with self._lock:
            return not self._callbacks

    def set_operator(self, name: str) -> None:
        self.run(lambda s: setattr(s, "operator", name))

    def run(
        self,
        fn: Callable[[Services], Any],
        *,
        success: Callable[[Any], None] | None = None,
        failure: Callable[[Exception], None] | None = None,
        initiator: object = None,
    ) -> int:
        """Queue ``fn(services)`` on the database thread.

        :param success: called on the main thread with the result.
        :param failure: called on the main thread with the exception; without it ``failed`` is
        emitted.
        :param initiator: the object asking (handed on in ``changed``: a view that already shows
            its own edit may skip reloading).
        """
        return self._queue(_Job(0, fn), _Callbacks(success, failure, initiator))

    def read(
        self,
        fn: Callable[[Services], Any],
        *,
        success: Callable[[Any], None] | None = None,
        failure: Callable[[Exception], None] | None = None,
    ) -> int:
        """Like :meth:`run`, for a long read: on the read-only connection (it cannot write), so
        the database worker stays free for saves meanwhile."""
        return self._queue(_Job(0, fn), _Callbacks(success, failure), submit=self._submit_read)

    def call(self, fn: Callable[[Services], Any], *, stop: threading.Event | None = None) -> Any:
        """Run ``fn(services)`` on the database thread and wait for its result; raises what
        ``fn`` raised. For the sync agent's network thread; the UI thread uses it only at
        start-up (opening the file), never while the window is up.

        :param stop: while waiting, give up (StoreError) once this is set (the app is closing).
        """
        future: concurrent.futures.Future = concurrent.futures.Future()
        self._queue(_Job(0, fn, future=future), _Callbacks(waited=True))
        while True:
            try:
                return future.result(timeout=0.5)
            except concurrent.futures.TimeoutError:
                if (stop is not None and stop.is_set()) or not self._thread.isRunning():
                    raise StoreError("closed", "程序正在退出，数据文件已关闭。") from None

    def _queue(self, job: _Job, callbacks: _Callbacks, *, submit: Any = None) -> int:
        with self._lock:
            job.id = next(self._ids)
            self._callbacks[job.id] = callbacks
        (submit or self._submit).emit(job)
        return job.id

    @Slot(object, object, object, object)
    def _on_done(self, job_id: int, result: Any, error: Exception | None, changes: Changes) -> None:
        with self._lock:
            callbacks = self._callbacks.pop(job_id, _Callbacks(waited=True))
        # A page closed while its job ran: its callbacks must not touch deleted widgets.
        success, failure = _alive(callbacks.success), _alive(callbacks.failure)
        if error is not None:
            if failure is not None:
                failure(error)
            elif not callbacks.waited:
                log.error("background task failed", exc_info=error)
                self.failed.emit(error)
        elif success is not None:
            success(result)
        if changes:
            self.changed.emit(changes.by(callbacks.initiator))

    def before_shutdown(self, fn: Callable[[], None]) -> None:
        """Call ``fn`` first when shutting down (a background thread that hands steps to this
        worker stops before the database closes)."""
        self._before_shutdown.append(fn)

    def shutdown(self) -> None:
        """Stop the threads that use the database, close it on its thread, stop the thread."""
        hooks, self._before_shutdown = self._before_shutdown, []
        for fn in hooks:
            try:
                fn()
            except Exception:  # noqa: BLE001 - closing goes on
                log.exception("stopping a background thread failed")
        if self._thread.isRunning():
            self._close.emit()
            for thread in (self._thread, self._read_thread):
                thread.quit()
                thread.wait(10_000)
