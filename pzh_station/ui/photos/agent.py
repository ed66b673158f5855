"""The photo agent: sends queued photos and fetches missing ones, on a thread of its own.

Photos never hold the record sync up: they go on their own thread with their own connection to
the server and their own station-file connection, after a record sync has succeeded (so
同步完成 refers to records) or when a person presses 上传照片. Between chunks the agent asks
whether to stop (the app is closing, or the switch went to "only when I say"), so a stop costs
at most the chunk in flight; the next run resumes from the last acknowledged chunk.

The switch (``photo_send`` in the PC's settings: ``auto`` or ``manual``) exists because Qt cannot
tell a metered 4G hotspot from the township's broadband. The daily byte budget is the city setting
``photo_day_mb`` (synced ``city_settings`` rows, decision 3): the desk stops at it before the
server, which enforces the same value, has to refuse.

The photo thread holds no Qt object: it reaches the agent and the database worker through weak
references, only while a step runs, and ``Tasks.shutdown`` stops it (and waits for it) before
the database closes. Qt wrappers are never the last reference dropped on this thread.
"""

from __future__ import annotations

import logging
import queue
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from pzh_station.settings import Settings
from pzh_station.store import Store, StoreError
from pzh_station.store import photos as q
from pzh_station.sync_client import RetryPolicy, SyncError, SyncState
from pzh_station.sync_client.config import SyncSettings
from pzh_station.sync_client.transport import Transport
from pzh_station.ui.context import UiContext

log = logging.getLogger(__name__)
RETRY_MS = 10 * 60 * 1000  # after a failed run, try again in 10 minutes (records go their way)
JOIN_S = 5.0  # how long closing waits for a request in flight (it holds no Qt object meanwhile)


@dataclass
class PhotoStatus:
    pending: int = 0  # 照片待上传 N
    sending: bool = False
    sent_today: int = 0
    day_budget: int = 0  # the city setting photo_day_mb, in bytes (0: not read yet)
    mode: str = "auto"
    refused: list[str] = field(default_factory=list)
    error: str = ""
    stopped: str = ""  # why the last run stopped early: budget | asked | ""
    progress: Any = None  # PhotoProgress of the run under way (files and bytes), or None


def photo_mode(data_dir) -> str:  # noqa: ANN001
    return "manual" if Settings(data_dir).get("photo_send") == "manual" else "auto"


class _Worker:
    """The photo thread: network here; every database step goes to the database worker
    (``tasks.call``), the station file's only owner. It keeps weak references only."""

    def __init__(
        self, agent: PhotoAgent, data_dir, retry: RetryPolicy, stop: threading.Event
    ) -> None:  # noqa: ANN001
        self._agent = weakref.ref(agent)
        self._tasks = weakref.ref(agent.ctx.tasks)
        self.data_dir = data_dir
        self.retry = retry
        self.stop = stop
        self.cancel = threading.Event()  # 停止上传: this run ends after the chunk in flight
        self.jobs: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._run, name="pzh-photos", daemon=True)
        self.thread.start()

    def run_db(self, step: Any) -> Any:
        tasks = self._tasks()
        if tasks is None or self.stop.is_set():
            raise StoreError("closed", "程序正在退出，数据文件已关闭。")
        call = tasks.call
        del tasks  # the Qt object is not held while waiting
        return call(lambda s: step(s.store), stop=self.stop)

    def _emit(self, *args: Any) -> bool:
        """Report to the agent on the main thread; False when it is gone."""
        agent = self._agent()
        if agent is None or self.stop.is_set():
            return False
        try:
            agent._finished.emit(*args)
        except RuntimeError:
            return False
        return True

    def _emit_progress(self, progress: Any) -> None:
        agent = self._agent()
        if agent is not None and not self.stop.is_set():
            try:
                agent._progress.emit(progress)
            except RuntimeError:
                pass

    def _run(self) -> None:
        while True:
            job = self.jobs.get()
            if job is None or self.stop.is_set():
                break
            kind, arg = job
            result: Any = None
            error: Exception | None = None
            try:
                result = self._do(kind, arg)
            except Exception as exc:  # noqa: BLE001 - reported to the UI
                if not isinstance(exc, SyncError) and not self.stop.is_set():
                    log.exception("photo job failed")
                error = exc
            if self.stop.is_set():
                break
            try:
                status = self.run_db(self._status)
            except Exception:  # noqa: BLE001 - the app is closing
                status = PhotoStatus()
            if not self._emit(kind, arg, result, error, status):
                break

    def _do(self, kind: str, arg: Any) -> Any:
        if kind == "status":
            return None
        state = self.run_db(SyncState.load)
        if not state.enrolled:
            return None
        # the network side (requests, the bundle's keys) loads with the first photo run on this
        # thread, not with the main window (issue 17: start-up)
        from pzh_station.sync_client.bundle import register_key
        from pzh_station.sync_client.photo_transfer import (
            PhotoUploader,
            download,
            fetch_missing_thumbnails,
        )

        conf = SyncSettings.load(self.data_dir)
        transport = Transport(
            state.server_url, token=state.token, ca_bundle=conf.ca_bundle, retry=self.retry
        )
        try:
            if kind == "fetch":
                return download(self.run_db, transport, arg)
            try:
                register_key(self.run_db, transport)  # the USB bundle key, once (issue 15)
            except SyncError as exc:
                log.info("bundle key not registered: %s", exc.message)
            if kind == "keys":
                return None
            force = bool(arg)
            self.cancel.clear()
            result = PhotoUploader(
                self.run_db,
                transport,
                should_stop=lambda: (
                    self.stop.is_set()
                    or self.cancel.is_set()
                    or (not force and photo_mode(self.data_dir) == "manual")
                ),
                day_budget=self.run_db(q.day_budget),
                progress=self._emit_progress,
            ).run()
            fetch_missing_thumbnails(self.run_db, transport)
            return result
        finally:
            transport.close()

    def _status(self, store: Store) -> PhotoStatus:
        return PhotoStatus(
            pending=q.pending_count(store),
            sent_today=q.budget_used(store, q.china_day()),
            day_budget=q.day_budget(store),
            mode=photo_mode(self.data_dir),
            refused=[r["error"] for r in q.refused_uploads(store)],
        )


class PhotoAgent(QObject):
    """One per open data dir (:func:`photo_agent_for`). ``status_changed(PhotoStatus)`` after
    every job; ``fetched(hash, ok)`` when a file asked for with :meth:`fetch` has come."""

    status_changed = Signal(object)
    fetched = Signal(str, bool)
    thumbnails_arrived = Signal()
    _finished = Signal(str, object, object, object, object)
    _progress = Signal(object)  # PhotoProgress, from the photo thread (queued)

    def __init__(self, ctx: UiContext, *, retry: RetryPolicy | None = None) -> None:
        super().__init__(ctx.tasks)
        self.ctx = ctx
        self.status = PhotoStatus(mode=photo_mode(ctx.data_dir))
        self._busy = False
        self._queued: list[tuple[str, Any]] = []
        stop = threading.Event()
        self._retry = retry or RetryPolicy(attempts=3, base_s=2.0, max_s=20.0, sleep=stop.wait)
        self._worker = _Worker(self, ctx.data_dir, self._retry, stop)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(lambda: self.kick())
        self._finished.connect(self._on_finished)
        self._progress.connect(self._on_progress)
        ctx.tasks.changed.connect(self._local_change)
        ctx.tasks.before_shutdown(self.shutdown)
        self._submit("status", None)

    # -- public -------------------------------------------------------------------------
    def kick(self) -> None:
        """After a successful record sync: send photos unless the switch says "only when I say"
        (then only the bundle key is registered, a few hundred bytes once)."""
        if photo_mode(self.ctx.data_dir) == "auto":
            self._submit("upload", False)
        else:
            self._submit("keys", None)

    def send_now(self) -> None:
        """上传照片: a person asked, whatever the switch says."""
        self._submit("upload", True)

    def stop_sending(self) -> None:
        """停止上传: end the run after the chunk in flight; the next run resumes from the last
        chunk the server acknowledged, so nothing is half-done."""
        self._worker.cancel.set()

    def fetch(self, hash_: str) -> None:
        self._submit("fetch", hash_)

    def set_mode(self, mode: str) -> None:
        Settings(self.ctx.data_dir).set("photo_send", mode)
        self.status.mode = mode
        self.status_changed.emit(self.status)
        if mode == "auto":
            self.kick()

    def retry_refused(self) -> None:
        from pzh_station.services.photos import PhotoService  # Pillow: not at start

        self.ctx.tasks.run(
            lambda s: PhotoService(s).retry_refused(), success=lambda _: self.send_now()
        )

    def shutdown(self) -> None:
        """Stop the photo thread (at most the chunk in flight is lost) and wait for it briefly;
        called by ``Tasks.shutdown`` before the database closes."""
        self._timer.stop()
        self._worker.stop.set()
        self._worker.jobs.put(None)
        if self._worker.thread is not threading.current_thread():
            self._worker.thread.join(JOIN_S)

    # -- plumbing ------------------------------------------------------------------------
    def _submit(self, kind: str, arg: Any) -> None:
        if (kind, arg) in self._queued:
            return
        self._queued.append((kind, arg))
        if kind == "upload":
            self.status.sending = True
            self.status_changed.emit(self.status)
        self._worker.jobs.put((kind, arg))

    @Slot(object)
    def _local_change(self, changes: Any) -> None:
        if "attachments" in getattr(changes, "local", ()) or "photos" in changes:
            self._submit("status", None)  # a photo was attached or removed: the count changes

    @Slot(object)
    def _on_progress(self, progress: Any) -> None:
        if self.status.sending:
            self.status.progress = progress
            self.status_changed.emit(self.status)

    @Slot(str, object, object, object, object)
    def _on_finished(self, kind: str, arg: Any, result: Any, error: Any, status: Any) -> None:
        if (kind, arg) in self._queued:
            self._queued.remove((kind, arg))
        status.sending = any(k == "upload" for k, _ in self._queued)
        if kind == "fetch":
            self.fetched.emit(arg, bool(result) and error is None)
        if kind == "upload":
            status.error = getattr(error, "message", "") if error is not None else ""
            status.stopped = getattr(result, "stopped", "") if result is not None else ""
            if error is not None or status.stopped == "budget":
                self._timer.start(RETRY_MS)
            self.thumbnails_arrived.emit()
        elif kind == "status":
            status.error, status.stopped = self.status.error, self.status.stopped
        self.status = status
        self.status_changed.emit(status)


_agents: weakref.WeakKeyDictionary[object, PhotoAgent] = weakref.WeakKeyDictionary()


def photo_agent_for(ctx: UiContext, **kwargs: Any) -> PhotoAgent:
    """The one photo agent of this app's data dir; it follows the record sync agent: a record
    sync that succeeded starts a photo run."""
    agent = _agents.get(ctx.tasks)
    if agent is None:
        agent = PhotoAgent(ctx, **kwargs)
        _agents[ctx.tasks] = agent
        from pzh_station.ui.sync_page.agent import agent_for

        sync_agent = agent_for(ctx)
        state = {"last": None}

        def after_sync(status) -> None:  # noqa: ANN001
            if status.phase == "online" and status.last_result is not state["last"]:
                state["last"] = status.last_result
                if status.last_result is not None:
                    agent.kick()

        sync_agent.status_changed.connect(after_sync)
    return agent
