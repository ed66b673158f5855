"""The PostgreSQL engine: psycopg 3 and a ``psycopg_pool`` connection pool.

Connections are in autocommit mode; a write is one explicit transaction (READ COMMITTED, rows
locked with ``FOR UPDATE`` where two writers could meet) and is run again whole when PostgreSQL
reports a serialization failure or a deadlock. A snapshot read is one ``REPEATABLE READ, READ
ONLY`` transaction. Several server processes may share the database: everything they must agree
on lives in it (see docs/deployment.md).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


class PostgresEngine(Engine):
    """:param url: ``postgresql://user[:password]@host[:port]/dbname[?…]`` (libpq's form).
    :param max_size: connections this process may hold (``PZH_SYNC_DB_POOL``, default 10)."""

    dialect = POSTGRES

    def __init__(self, url: str, *, min_size: int = 1, max_size: int | None = None) -> None:
        import os

        import psycopg
        from psycopg_pool import ConnectionPool

        self._psycopg = psycopg
        self.url = _without_password(url)
        size = max_size or int(os.environ.get("PZH_SYNC_DB_POOL", "10"))

        def configure(conn: Any) -> None:
            conn.row_factory = row_factory

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

    def write(self, fn: Callable[[Conn], T]) -> T:
        errors = self._psycopg.errors
        transient = (errors.SerializationFailure, errors.DeadlockDetected)
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

    @contextmanager
    def raw_reader(self) -> Iterator[Any]:
        with self.pool.connection() as raw:
            raw.row_factory = self._psycopg.rows.tuple_row
            try:
                yield raw
            finally:
                raw.row_factory = row_factory

    def close(self) -> None:
        self.pool.close()
