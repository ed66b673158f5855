"""The engine interface the storage uses (:class:`Engine`)."""

from __future__ import annotations

import abc
from collections.abc import Callable
from typing import Any, TypeVar

from sync.server.db.conn import Conn, Params
from sync.server.db.dialect import Dialect

T = TypeVar("T")


class Engine(abc.ABC):
    """Transactions and reads on one database."""

    dialect: Dialect
    url: str  # for messages and logs (no password)

    @abc.abstractmethod
    def write(self, fn: Callable[[Conn], T]) -> T:
        """Run ``fn`` in one write transaction: committed when it returns, rolled back whole
        when it raises. A process runs one write at a time (so ``fn`` must not call ``write``
        itself); reads do not wait for it. ``fn`` may run more than once (PostgreSQL retries a
        transaction that lost a serialization conflict or a deadlock), so it keeps no state
        outside the database until it returns."""

    @abc.abstractmethod
    def read(self, fn: Callable[[Conn], T], *, snapshot: bool = False) -> T:
        """Run ``fn`` on a read-only connection; with ``snapshot`` every statement of ``fn``
        sees the same committed state."""

    @abc.abstractmethod
    def thread_reader(self) -> Any:
        """This thread's own plain DB-API connection for reading, kept open for the thread's
        next requests (the web pages' figures, which run on worker threads)."""

    @abc.abstractmethod
    def close(self) -> None: ...

    # -- conveniences over read() ----------------------------------------------------------
    def all(self, sql: str, params: Params = ()) -> list[Any]:
        return self.read(lambda c: c.all(sql, params))

    def one(self, sql: str, params: Params = ()) -> Any:
        return self.read(lambda c: c.one(sql, params))

    def scalar(self, sql: str, params: Params = ()) -> Any:
        return self.read(lambda c: c.scalar(sql, params))
