"""What the parts of the SQL storage (:mod:`sync.server.sql_storage`) share: the engine, the
server's clock, reads, the audit entry and a server write inside a transaction.

One implementation: its SQL is written once and runs on both engines through
:mod:`sync.server.db` (an engine gives transactions and reads, a dialect what differs). Every
write method is one transaction (``engine.write``); reads see committed state only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pzh_core import hlc, protocol
from pzh_core.queries import Db
from sync.server.db.conn import Conn
from sync.server.db.engine import Engine
from sync.server.replica_write import ServerClock, apply_change
from sync.server.storage import Code, Device, Station, Storage

DEFAULT_CLAMP_MS = protocol.CLAMP_MS


def _station(row: Any) -> Station:
    return Station(
        id=row["id"], name=row["name"], county=row["county"], created_ms=row["created_ms"]
    )


def _code(row: Any) -> Code:
    return Code(**{k: row[k] for k in row.keys()})


def _device(row: Any) -> Device:
    return Device(**{k: row[k] for k in row.keys() if k != "token_hash"})


class SqlBase(Storage):
    """The storage on ``engine`` (migrated).

    :param now: the server's wall clock in ms (tests replace it).
    :param clamp_ms: how far ahead of server time a pushed stamp may be before it is rewritten.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        now: Callable[[], int] = hlc.wall_ms,
        clamp_ms: int = DEFAULT_CLAMP_MS,
        min_desk_version: str = "",
        figures_engine: Engine | None = None,
    ) -> None:
        self.engine = engine
        # The web pages' figures may read a replica (``--read-database``); nothing else does:
        # approvals, pushes, pulls and every write read the primary.
        self.figures_engine = figures_engine
        self.now = now
        self.clamp_ms = clamp_ms
        self.min_desk_version = min_desk_version
        self.path: Path | None = getattr(engine, "path", None)  # the SQLite file, if any

    def _write(self, fn: Callable[[Conn], Any]) -> Any:
        return self.engine.write(fn)

    def _clock(self, c: Conn) -> ServerClock:
        return ServerClock(c, self.now)

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        return [dict(r) for r in self.engine.all(sql, params)]

    def indicator_db(self) -> Db:
        """This thread's read connection, for the core's indicator queries (either engine): on
        the read replica when the server has one."""
        return Db.of((self.figures_engine or self.engine).thread_reader())

    def primary_db(self) -> Db:
        """This thread's read connection on the primary, never the read replica: what an
        approval signs (its snapshot) must be what the approval locks."""
        return Db.of(self.engine.thread_reader())

    def _one(self, sql: str, params: Sequence[Any]) -> Any:
        return self.engine.one(sql, params)

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return self.engine.all(sql, params)

    def _audit(
        self, c: Conn, actor: str, action: str, target: str, detail: str, station_id: str
    ) -> None:
        c.execute(
            "INSERT INTO srv_audit (ms, actor, action, target, station_id, detail)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (self.now(), actor, action, target, station_id, detail),
        )

    def _server_write(
        self,
        c: Conn,
        station_id: str,
        table: str,
        row_id: str,
        fields: dict[str, Any],
        operator: str = "",
    ) -> bool:
        return apply_change(c, station_id, table, row_id, fields, self._clock(c), operator=operator)

    def close(self) -> None:
        self.engine.close()
        if self.figures_engine is not None:
            self.figures_engine.close()
