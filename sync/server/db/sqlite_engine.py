"""The embedded engine: one SQLite file in WAL mode, written by ONE writer thread.

Every write runs on the writer thread (:mod:`sync.server.db.sqlite_writer`), each in its own
``BEGIN IMMEDIATE`` transaction, so a failed write rolls back whole and writers never fight over
the lock. Reads use per-thread connections (``PRAGMA query_only``) and see the last committed
state, never a half-applied batch.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from pzh_core.text import register_collation
from sync.server.db.conn import Conn
from sync.server.db.dialect import SQLITE
from sync.server.db.engine import Engine

T = TypeVar("T")


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    register_collation(conn)  # names ORDER BY ... COLLATE pinyin (pzh_core.queries)
    conn.execute("PRAGMA busy_timeout = 10000")
    return conn


class SQLiteEngine(Engine):
    dialect = SQLITE

    def __init__(self, path: Path) -> None:
        from sync.server.db.sqlite_writer import Writer

        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.url = str(self.path)
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._writer = Writer(self.path)

    def write(self, fn: Callable[[Conn], T]) -> T:
        return self._writer.call(lambda raw: fn(Conn(raw, SQLITE)))

    def _reader(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path)
            conn.execute("PRAGMA query_only = 1")
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def read(self, fn: Callable[[Conn], T], *, snapshot: bool = False) -> T:
        raw = self._reader()
        if not snapshot or raw.in_transaction:
            return fn(Conn(raw, SQLITE))
        raw.execute("BEGIN")
        try:
            return fn(Conn(raw, SQLITE))
        finally:
            raw.execute("COMMIT")

    def thread_reader(self) -> sqlite3.Connection:
        return self._reader()

    def close(self) -> None:
        self._writer.close()
        with self._readers_lock:
            for conn in self._readers:
                try:
                    conn.close()
                except sqlite3.Error:
                    pass
            self._readers.clear()
