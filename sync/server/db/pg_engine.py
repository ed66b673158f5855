"""The PostgreSQL engine: psycopg 3 and a ``psycopg_pool`` connection pool.

Connections are in autocommit mode; a write is one explicit transaction (READ COMMITTED, rows
locked with ``FOR UPDATE`` where two writers could meet), run again whole when PostgreSQL
reports a serialization failure, a deadlock or a unique violation. A process runs one write at
a time, as SQLite's one writer thread does (several processes write at once). A snapshot read
is one ``REPEATABLE READ, READ ONLY`` transaction. Several server processes may share the database:
everything they must agree on lives in it (see docs/deployment.md).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from sync.server.db.conn import Conn, row_factory
from sync.server.db.dialect import POSTGRES
from sync.server.db.engine import Engine

T = TypeVar("T")
log = logging.getLogger("pzh.sync.db")
RETRIES = 8


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def _number_loader(psycopg: Any) -> type:
    """``numeric`` results (PostgreSQL's SUM of BIGINT, AVG) as SQLite gives them: an int when
    whole, else a float — never a Decimal, which JSON and the templates do not take."""

    class NumberLoader(psycopg.adapt.Loader):
        def load(self, data: Any) -> int | float:
            d = Decimal(bytes(data).decode())
            return int(d) if d == d.to_integral_value() else float(d)

    return NumberLoader


class PostgresEngine(Engine):
    """:param url: ``postgresql://user[:password]@host[:port]/dbname[?…]`` (libpq's form).
    :param max_size: connections this process may hold (``PZH_SYNC_DB_POOL``, default 10)."""

    dialect = POSTGRES

    def __init__(self, url: str, *, min_size: int = 1, max_size: int | None = None) -> None:
        import os

        import psycopg
        from psycopg_pool import ConnectionPool

        self._psycopg = psycopg
        self._dsn = url
        self.url = _without_password(url)
        self._local = threading.local()
        self._threads: list[Any] = []
        self._threads_lock = threading.Lock()
        size = max_size or int(os.environ.get("PZH_SYNC_DB_POOL", "10"))

        self._numbers = _number_loader(psycopg)

        def configure(conn: Any) -> None:
            conn.row_factory = row_factory
            conn.adapters.register_loader("numeric", self._numbers)

        self.pool = ConnectionPool(
            url,
            min_size=min(min_size, size),
            max_size=size,
            kwargs={"autocommit": True},
            configure=configure,
            open=True,
            name="pzh-sync",
            timeout=30,
        )
        self.pool.wait(timeout=30)
        # One write transaction at a time in a process, as SQLite's one writer thread: the GIL
        # runs their Python one at a time anyway, and several at once only add lock waits in
        # PostgreSQL and switching in Python (docs/benchmarks.md, session 7). Reads do not wait.
        self._writer = threading.Lock()

    def write(self, fn: Callable[[Conn], T]) -> T:
        with self._writer:
            return self._write(fn)

    def _write(self, fn: Callable[[Conn], T]) -> T:
        errors = self._psycopg.errors
        # A unique violation is a race lost to a concurrent insert (two enrollments asking for
        # one device id, a new throttle key): the retry sees the winner's row and decides again.
        transient = (errors.SerializationFailure, errors.DeadlockDetected, errors.UniqueViolation)
        for attempt in range(RETRIES):
            with self.pool.connection() as raw:
                try:
                    with raw.transaction():
                        return fn(Conn(raw, POSTGRES))
                except transient as exc:
                    if attempt == RETRIES - 1:
                        raise
                    log.info("transaction retried after %s", type(exc).__name__)
            time.sleep(random.uniform(0, 0.01 * 2**attempt))
        raise AssertionError("unreachable")

    def read(self, fn: Callable[[Conn], T], *, snapshot: bool = False) -> T:
        with self.pool.connection() as raw:
            if not snapshot:
                return fn(Conn(raw, POSTGRES))
            with raw.transaction():
                raw.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                return fn(Conn(raw, POSTGRES))

    def thread_reader(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = self._psycopg.connect(self._dsn, autocommit=True)
            conn.adapters.register_loader("numeric", self._numbers)
            self._local.conn = conn
            with self._threads_lock:
                self._threads.append(conn)
        return conn

    def close(self) -> None:
        with self._threads_lock:
            for conn in self._threads:
                conn.close()
            self._threads.clear()
        self.pool.close()
