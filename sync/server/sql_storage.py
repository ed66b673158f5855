"""The storage of the city server, on SQLite (embedded, the default) or PostgreSQL.

One implementation: its SQL is written once and runs on both engines through
:mod:`sync.server.db` (an engine gives transactions and reads, a dialect what differs). Every
write method is one transaction (``engine.write``); reads see committed state only. Its parts:
:mod:`sync.server.sql_base` (engine, clock, reads), :mod:`sync.server.sql_stations` (stations,
codes, audit), :mod:`sync.server.sql_devices` (enrollment, devices),
:mod:`sync.server.sql_health` (the web pages' health lists, counted and paged),
:mod:`sync.server.sql_sync` (push, pull, server writes), :mod:`sync.server.sql_throttle`
(what the processes count together). Merging pushed and server-made changes is
:mod:`sync.server.push_merge` and :mod:`sync.server.replica_write`; the tables are the numbered
migrations of :mod:`sync.server.db.migrations`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from pzh_core import hlc
from sync.server.db import open_engine
from sync.server.replica_write import SERVER_DEVICE
from sync.server.sql_base import DEFAULT_CLAMP_MS
from sync.server.sql_devices import SqlDevices
from sync.server.sql_health import SqlHealth
from sync.server.sql_stations import SqlStations
from sync.server.sql_sync import SqlSync
from sync.server.sql_throttle import SqlThrottle
from sync.server.storage import StorageOpenError

__all__ = ["DEFAULT_CLAMP_MS", "SERVER_DEVICE", "SqlStorage", "open_storage", "SQLiteStorage"]


class SqlStorage(SqlStations, SqlDevices, SqlHealth, SqlSync, SqlThrottle):
    """The storage on ``engine`` (migrated); see :class:`sync.server.sql_base.SqlBase`."""


def open_storage(
    database: str | Path,
    *,
    now: Callable[[], int] = hlc.wall_ms,
    clamp_ms: int = DEFAULT_CLAMP_MS,
    min_desk_version: str = "",
    read_database: str | Path | None = None,
) -> SqlStorage:
    """The storage in ``database``: a ``postgresql://`` URL or a SQLite file (created and
    migrated as needed); ``read_database``: a read replica of it for the web pages' figures
    (never migrated or written from here).

    :raises StorageOpenError: the SQLite file is not a database, or a damaged one (never waits).
    """
    try:
        engine = open_engine(database)
    except sqlite3.DatabaseError as exc:
        raise StorageOpenError(database, str(exc)) from exc
    try:
        figures = open_engine(read_database, migrate=False) if read_database else None
    except BaseException:
        engine.close()
        raise
    return SqlStorage(
        engine,
        now=now,
        clamp_ms=clamp_ms,
        min_desk_version=min_desk_version,
        figures_engine=figures,
    )


def SQLiteStorage(  # noqa: N802 - the embedded storage's name since the first server
    path: str | Path,
    *,
    now: Callable[[], int] = hlc.wall_ms,
    clamp_ms: int = DEFAULT_CLAMP_MS,
    min_desk_version: str = "",
) -> SqlStorage:
    """The storage in the SQLite file ``path``."""
    return open_storage(Path(path), now=now, clamp_ms=clamp_ms, min_desk_version=min_desk_version)
