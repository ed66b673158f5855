"""The embedded storage's one writer: one thread, one connection, ``BEGIN IMMEDIATE`` each.

As Datasette does, every write runs on a single dedicated thread and connection, each in its own
transaction, so writers never fight over the lock and a failed write rolls back whole.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from sync.server.sqlite_schema import connect

T = TypeVar("T")
_Job = tuple[Callable[[sqlite3.Connection], Any], "Future[Any]"]


class Writer:
    """One thread, one connection: runs each submitted function in ``BEGIN IMMEDIATE``."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pzh-sync-writer", daemon=True)
        self._thread.start()
        self._ready.wait()

    def call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        fut: Future[T] = Future()
        self._queue.put((fn, fut))
        return fut.result()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        conn = connect(self._path)
        conn.execute("PRAGMA journal_mode = WAL")
        # FULL: a commit is on disk before the device is told it is held (acked_seq); with
        # NORMAL a power cut could lose acknowledged changes, which the device never resends.
        conn.execute("PRAGMA synchronous = FULL")
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
