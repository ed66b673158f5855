"""The background sync agent of the desktop app.

Network work never runs on the UI thread nor on the database thread of ``ui.tasks``: the agent
has its own network thread, which runs the same :class:`SyncClient` as ``pzh-station sync`` and
hands every database step of it (what to push, what was pulled) to the database worker with
``tasks.call`` — the worker is the station file's only owner, so there is one connection and one
hybrid clock. The scheduling lives on the UI thread:

- every ``sync_interval_s`` (5 minutes by default) while the last sync succeeded;
- a few seconds after a local change (``tasks.changed``), so edits leave the PC soon;
- at once on demand (:meth:`SyncAgent.sync_now`, the "立即同步" button);
- after a failure, again after an exponential backoff with jitter (30 s, 1 min, 2 min … 30 min),
  whether or not anything changed locally — the link may come back at any time;
- not at all while the PC is not enrolled, or after the server refused this PC's token or
  version (a person must act: re-enroll or upgrade); "立即同步" still tries.

Rows a sync brings from the server are announced by the worker like any other change
(``tasks.changed`` with ``changes.pulled``), so every view refreshes itself; the agent itself
only reacts to local changes (``changes.local``).
"""

from __future__ import annotations

import copy
import logging
import queue
import random
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from pzh_station.store import Store
from pzh_station.store.changed import Changes
from pzh_station.sync_client import (
    RetryPolicy,
    SyncCancelled,
    SyncClient,
    SyncError,
    SyncProgress,
    SyncResult,
    SyncState,
)
from pzh_station.sync_client.config import SyncSettings, remember_server
from pzh_station.ui.context import UiContext

log = logging.getLogger(__name__)

CHANGE_DELAY_MS = 5_000  # gather a burst of edits into one sync
BACKOFF_BASE_S = 30
BACKOFF_MAX_S = 30 * 60
# Failures no retry can mend: a person must re-enroll or upgrade ("立即同步" still tries).
STOPPING = frozenset(
    {"unauthorized", "not_enrolled", "upgrade", "server_too_old", "other_station", "no_station"}
)


@dataclass
class SyncStatus:
    """What the status bar and the sync page show.

    ``phase``: ``unenrolled`` (not registered), ``syncing``, ``online`` (last sync succeeded),
    ``offline`` (no connection / timeout), ``error`` (the server refused; ``error`` says what
    to do), ``stopped`` (a person must act: re-enroll or upgrade).
    """

    phase: str = "unenrolled"
    state: SyncState = field(default_factory=SyncState)
    error: str = ""
    error_kind: str = ""
    next_attempt_s: float | None = None
    last_result: SyncResult | None = None
    progress: SyncProgress | None = None  # of the running sync, after its first exchange

    @property
    def pending(self) -> int:
        return self.state.pending


class _Worker:
    """The network thread: a queue of jobs; the database steps go to ``tasks.call``."""

    def __init__(
        self, agent: SyncAgent, data_dir, retry: RetryPolicy, stop: threading.Event
    ) -> None:  # noqa: ANN001
        self.agent = agent
        self.tasks = agent.ctx.tasks
        self.data_dir = data_dir
        self.retry = retry
        self.jobs: queue.Queue = queue.Queue()
        self.stop = stop
        self.cancel = threading.Event()  # "取消": the running sync stops after this exchange
        # A plain daemon thread: a request stuck on a dead 2G link must not keep the app from
        # quitting (the database worker rolls back an unfinished transaction; nothing is lost).
        self.thread = threading.Thread(target=self._run, name="pzh-sync", daemon=True)
        self.thread.start()

    def run_db(self, step: Callable[[Store], Any]) -> Any:
        """Run one database step of the sync on the database worker and wait for it."""
        return self.tasks.call(lambda s: step(s.store), stop=self.stop)

    def progress(self, p: SyncProgress) -> None:
        """After each exchange of a sync (on this thread): tell the UI, or stop if asked."""
        if self.cancel.is_set() or self.stop.is_set():
            raise SyncCancelled()
        try:
            self.agent._progress.emit(copy.copy(p))
        except RuntimeError:  # the app closed meanwhile
            raise SyncCancelled() from None

    def _run(self) -> None:
        while True:
            job = self.jobs.get()
            if job is None or self.stop.is_set():
                break
            kind, args = job
            result: Any = None
            error: Exception | None = None
            state = SyncState()
            log.info("sync %s: attempt", kind)  # the log file (pzh_station.logs), no personal data
            try:
                conf = SyncSettings.load(self.data_dir)
                self.cancel.clear()
                client = SyncClient(
                    run_db=self.run_db,
                    ca_bundle=conf.ca_bundle,
                    retry=self.retry,
                    progress=self.progress,
                )
                if kind == "sync":
                    result = client.sync()
                elif kind == "enroll":
                    result = client.enroll(*args)
                state = client.state()
                if kind == "enroll":
                    remember_server(self.data_dir, state.server_url)
                log.info("sync %s: ok, %d changes waiting to be sent", kind, state.pending)
            except Exception as exc:  # noqa: BLE001 - reported to the UI, never lost
                if not isinstance(exc, SyncError):
                    log.exception("sync job failed")
                else:
                    log.warning(
                        "sync %s: failed (%s)", kind, getattr(exc, "kind", type(exc).__name__)
                    )
                error = exc
                try:
                    state = self.run_db(SyncState.load)
                except Exception:  # noqa: BLE001
                    state = SyncState()
            if self.stop.is_set():
                break
            try:
                self.agent._finished.emit(kind, result, error, state)
            except RuntimeError:  # the app closed meanwhile
                break


class SyncAgent(QObject):
    """One per open data dir; get it with :func:`agent_for`.

    Signals: ``status_changed(SyncStatus)`` after every job and schedule change;
    ``enrolled(EnrollResult)`` / ``enroll_failed(SyncError)`` for the enrollment dialog.
    """

    status_changed = Signal(object)
    enrolled = Signal(object)
    enroll_failed = Signal(object)
    _finished = Signal(str, object, object, object)  # from the sync thread (queued)
    _progress = Signal(object)  # SyncProgress, from the sync thread (queued)

    def __init__(
        self, ctx: UiContext, *, retry: RetryPolicy | None = None, autostart: bool = True
    ) -> None:
        super().__init__(ctx.tasks)
        self.ctx = ctx
        self.status = SyncStatus(phase="starting")
        self._failures = 0
        self._busy = False
        self._again = False  # a local change arrived during a sync: another one soon after
        self._want_sync = False  # a sync was asked for while another job ran
        self._asked = False  # 立即同步 was pressed: that sync starts its backoff from zero
        self._phase_before = "unenrolled"
        self._stopped = False
        stop = threading.Event()
        self._retry = retry or RetryPolicy(attempts=3, base_s=2.0, max_s=20.0, sleep=stop.wait)
        self._worker = _Worker(self, ctx.data_dir, self._retry, stop)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._tick)
        self._finished.connect(self._on_finished)
        self._progress.connect(self._on_progress)
        ctx.tasks.changed.connect(self._local_change)
        if autostart:
            self._submit("status")

    # -- public -------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._busy

    def sync_now(self) -> None:
        """ "立即同步": run now, whatever the backoff (a person asked).

        The backoff starts again from the person's own attempt: when a sync is already running,
        its failure does not count against the one asked for, which runs right after it."""
        self._asked = True
        self._start_sync()

    def enroll(self, server_url: str, code: str) -> None:
        """Enroll on the sync thread; ``enrolled`` or ``enroll_failed`` follows."""
        self._timer.stop()
        self._phase_before = self.status.phase
        self._submit("enroll", (server_url, code))
        self._set_phase("syncing")

    def cancel_sync(self) -> None:
        """ "取消": stop the running sync after the exchange under way (what came is kept)."""
        if self.status.phase == "syncing":
            self._worker.cancel.set()

    def shutdown(self) -> None:
        self._stopped = True
        self._timer.stop()
        self._worker.stop.set()
        self._worker.jobs.put(None)

    # -- scheduling ---------------------------------------------------------------------
    def _submit(self, kind: str, args: tuple = ()) -> None:
        self._busy = True
        self._worker.jobs.put((kind, args))

    def _start_sync(self) -> None:
        """Start a sync now, or right after the job that is running."""
        if self._stopped:
            return
        self._timer.stop()
        if self._busy:
            self._want_sync = True
            return
        if self._asked:
            self._asked = False
            self._failures = 0
        self._submit("sync")
        self._set_phase("syncing")

    def _tick(self) -> None:
        self._start_sync()

    def _schedule(self, seconds: float) -> None:
        if self._stopped:
            return
        self._timer.start(int(seconds * 1000))
        self.status.next_attempt_s = seconds
        self.status_changed.emit(self.status)

    def backoff_s(self, failures: int) -> float:
        """Delay after the n-th failure in a row: doubling from 30 s to 30 min, with jitter."""
        cap = min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** max(0, failures - 1))
        return cap / 2 + random.random() * cap / 2

    @Slot(object)
    def _local_change(self, changes: Changes) -> None:
        if not changes.local:
            return  # rows pulled by a sync: nothing new to push
        if self._busy:
            self._again = True  # the running job may have missed it: see _plan_next
            return
        if self.status.state.enrolled and self.status.phase == "online" and self._failures == 0:
            # Healthy: soon. In backoff the backoff timer decides (no hammering a dead link);
            # stopped or not enrolled: a person must act first.
            self._schedule(CHANGE_DELAY_MS / 1000)
        self._submit("status")  # the count of changes waiting

    @Slot(object)
    def _on_progress(self, progress: SyncProgress) -> None:
        if self.status.phase == "syncing":
            self.status.progress = progress
            self.status_changed.emit(self.status)

    @Slot(str, object, object, object)
    def _on_finished(
        self, kind: str, result: Any, error: Exception | None, state: SyncState
    ) -> None:
        self._busy = False
        self.status.state = state
        self.status.progress = None
        if isinstance(error, SyncCancelled):  # a person stopped it: no failure, no backoff
            error, result = None, None
            self._want_sync = self._again = False
        if kind == "enroll":
            if error is None:
                self._failures = 0
                self.status.error = self.status.error_kind = ""
                self.status.phase = "online"
                self.enrolled.emit(result)
                self._want_sync = True  # push what was recorded before, pull the station's data
            else:
                self.status.phase = self._phase_before
                self.enroll_failed.emit(error)
        elif kind == "sync":
            if error is None:
                self._failures = 0
                self.status.error = self.status.error_kind = ""
                self.status.last_result = result or self.status.last_result
                self.status.phase = "online"
            else:
                self._failures += 1
                kind_ = getattr(error, "kind", "internal")
                self.status.error = getattr(error, "message", "") or str(error)
                self.status.error_kind = kind_
                if kind_ in STOPPING:
                    self.status.phase = "stopped"
                else:
                    self.status.phase = "offline" if kind_ in ("offline", "timeout") else "error"
        elif kind == "status":
            if not state.enrolled:
                self.status.phase = "unenrolled"
            elif self.status.phase in ("unenrolled", "starting"):
                # At start (or enrolled from the CLI meanwhile): carry on where the last run was.
                self.status.error = state.last_error
                self.status.error_kind = state.last_error_kind
                self.status.phase = (
                    "stopped"
                    if state.last_error_kind in STOPPING
                    else "error"
                    if state.last_error
                    else "online"
                )
                if self.status.phase != "stopped":
                    self._want_sync = True  # a first sync soon after the app starts
        if self._want_sync and not self._stopped and self.status.phase != "unenrolled":
            self._want_sync = False
            self._start_sync()
            return
        self._plan_next()

    def _plan_next(self) -> None:
        if self._stopped:
            return
        phase = self.status.phase
        if self._again and phase == "online":
            self._again = False
            self._schedule(CHANGE_DELAY_MS / 1000)
            return
        self._again = False
        if phase in ("stopped", "unenrolled"):
            self._timer.stop()
            self.status.next_attempt_s = None
            self.status_changed.emit(self.status)
        elif phase == "online":
            if not self._timer.isActive():
                self._schedule(SyncSettings.load(self.ctx.data_dir).interval_s)
            else:
                self.status_changed.emit(self.status)
        elif phase in ("offline", "error"):
            if not self._timer.isActive():
                self._schedule(self.backoff_s(self._failures))
            else:
                self.status_changed.emit(self.status)
        else:
            self.status_changed.emit(self.status)

    def _set_phase(self, phase: str) -> None:
        self.status.phase = phase
        if phase == "syncing":
            self.status.next_attempt_s = None
        self.status_changed.emit(self.status)


_agents: weakref.WeakKeyDictionary[object, SyncAgent] = weakref.WeakKeyDictionary()


def agent_for(ctx: UiContext, **kwargs: Any) -> SyncAgent:
    """The one agent of this app's data dir (made on first use, with ``kwargs``)."""
    agent = _agents.get(ctx.tasks)
    if agent is None:
        agent = SyncAgent(ctx, **kwargs)
        _agents[ctx.tasks] = agent
    return agent
