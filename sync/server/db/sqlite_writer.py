"""The embedded storage's one writer: one thread, one connection, ``BEGIN IMMEDIATE`` each.

As Datasette does, every write runs on a single dedicated thread and connection, each in its own
transaction, so writers never fight over the lock and a failed write rolls back whole.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from sync.server.db.sqlite_engine import connect

T = TypeVar("T")
_Job = tuple[Callable[[sqlite3.Connection], Any], "Future[Any]"]


def _wal(conn: sqlite3.Connection, patience_s: float = 30.0) -> None:
    """Switch a file to WAL. A new file's switch needs it alone, and SQLite answers "locked" at
    once (no busy wait) while another process is migrating it: wait for that, a while."""
    deadline = time.monotonic() + patience_s
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class Writer:
    """One thread, one connection: runs each submitted function in ``BEGIN IMMEDIATE``."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._ready = threading.Event()
        self._failed: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="pzh-sync-writer", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._failed is not None:  # the file could not be opened: say so, never wait forever
            self._thread.join()
            raise self._failed

    def call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        fut: Future[T] = Future()
        self._queue.put((fn, fut))
        return fut.result()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        try:
            conn = connect(self._path)
            _wal(conn)
            # FULL: a commit is on disk before the device is told it is held (acked_seq); with
            # NORMAL a power cut could lose acknowledged changes, which the device never resends.
            conn.execute("PRAGMA synchronous = FULL")
        except BaseException as exc:  # noqa: BLE001 - raised in __init__
            self._failed = exc
            self._ready.set()
            return
        self._ready.set()
        while True:
            item = self._queue.get()
            if item is None:
                break
            self._run_one(conn, *item)
        conn.close()

    @staticmethod
    def _run_one(
        conn: sqlite3.Connection, fn: Callable[[sqlite3.Connection], Any], fut: Future[Any]
    ) -> None:
        if not fut.set_running_or_notify_cancel():
            return
        try:
            conn.execute("BEGIN IMMEDIATE")
            result = fn(conn)
            conn.execute("COMMIT")
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            fut.set_exception(exc)
        else:
            fut.set_result(result)
