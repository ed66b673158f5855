"""The server's database layer: ONE set of SQL for both engines, over a thin per-engine part.

Storage code (:mod:`sync.server.sql_storage`, :mod:`sync.server.replica_write`, and whatever is
added beside them) writes SQL once, in the common subset of SQLite and PostgreSQL, with ``?``
markers, and runs it through a :class:`~sync.server.db.conn.Conn` (``execute``,
``executemany``, ``one``, ``all``, ``scalar`` — the shape of ``sqlite3``). What differs is in
:class:`~sync.server.db.dialect.Dialect` (markers, DDL types, ``FOR UPDATE``, the feed lock) and
in the engines:

- :class:`~sync.server.db.sqlite_engine.SQLiteEngine`: one file in WAL mode, every write on one
  writer thread (``BEGIN IMMEDIATE``), readers on per-thread read-only connections;
- :class:`~sync.server.db.pg_engine.PostgresEngine`: psycopg 3 with a ``psycopg_pool`` pool;
  each write one transaction, retried whole on a serialization failure or deadlock.

:func:`open_engine` picks one from a ``postgresql://`` URL or a file path, and runs the numbered
migrations (:mod:`sync.server.db.migrations`).
"""

from __future__ import annotations

from pathlib import Path

from sync.server.db.engine import Engine


def is_postgres(database: str | Path) -> bool:
    return isinstance(database, str) and database.startswith(("postgresql://", "postgres://"))


def open_engine(database: str | Path, *, migrate: bool = True) -> Engine:
    """The engine for ``database``: a ``postgresql://`` URL or a SQLite file path."""
    if is_postgres(database):
        from sync.server.db.pg_engine import PostgresEngine

        engine: Engine = PostgresEngine(str(database))
    else:
        from sync.server.db.sqlite_engine import SQLiteEngine

        engine = SQLiteEngine(Path(database))
    if migrate:
        from sync.server.db.migrations import migrate as run_migrations

        try:
            run_migrations(engine)
        except BaseException:
            engine.close()
            raise
    return engine
