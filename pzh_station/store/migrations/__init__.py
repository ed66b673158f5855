"""Numbered schema migrations, each applied in one transaction with the record that it ran.

``PRAGMA user_version`` holds the number of the last migration applied; the table
``migrations`` records when each ran. A file whose user_version is greater than the last
migration here was written by a newer version of the app: it is refused, never downgraded.
"""

from __future__ import annotations

import sqlite3
from types import ModuleType
from typing import Any

from pzh_station.store.migrations import (
    m0001_initial,
    m0002_training,
    m0003_volunteers,
    m0004_sync,
    m0005_activity_list,
    m0006_reports,
    m0007_annual,
    m0008_set_aside,
)

MIGRATIONS: list[ModuleType] = [
    m0001_initial,
    m0002_training,
    m0003_volunteers,
    m0004_sync,
    m0005_activity_list,
    m0006_reports,
    m0007_annual,
    m0008_set_aside,
]
LATEST = len(MIGRATIONS)

TYPE_SQL = {
    "text": "TEXT NOT NULL DEFAULT ''",
    "int": "INTEGER NOT NULL DEFAULT 0",
    "real": "REAL NOT NULL DEFAULT 0",
    "bool": "INTEGER NOT NULL DEFAULT 0",
    "date": "TEXT NOT NULL DEFAULT ''",
    "time": "TEXT NOT NULL DEFAULT ''",
    "list": "TEXT NOT NULL DEFAULT '[]'",
    "json": "TEXT NOT NULL DEFAULT '{}'",
}


def synced_table_sql(name: str, fields: dict[str, str]) -> str:
    """CREATE TABLE for a synced table: meta columns, the given fields and ``deleted``.

    Migrations pass their fields as a literal dict so that a migration never changes after it
    has shipped, whatever later happens to ``pzh_core.schema``.
    """
    cols = [
        "id TEXT PRIMARY KEY",
        "station_id TEXT NOT NULL",
        "updated_at TEXT NOT NULL DEFAULT ''",
        "device_id TEXT NOT NULL DEFAULT ''",
        "clocks TEXT NOT NULL DEFAULT '{}'",
    ]
    cols += [f"{col} {TYPE_SQL[kind]}" for col, kind in fields.items()]
    cols.append("deleted INTEGER NOT NULL DEFAULT 0")
    return f"CREATE TABLE {name} (\n  " + ",\n  ".join(cols) + "\n)"


# -- for migrations from v8 on: sqlite-utils makes the DDL -----------------------------------------
# The shipped migrations above keep their literal SQL (a shipped migration never changes); a new
# migration creates tables from their field types and changes them with sqlite-utils, which
# also does what SQLite's ALTER TABLE cannot (retype, drop or rename a column, new default).
PY_TYPES: dict[str, type] = {
    "text": str,
    "int": int,
    "real": float,
    "bool": int,
    "date": str,
    "time": str,
    "list": str,
    "json": str,
}
DEFAULTS: dict[str, Any] = {
    "text": "",
    "int": 0,
    "real": 0,
    "bool": 0,
    "date": "",
    "time": "",
    "list": "[]",
    "json": "{}",
}


def create_synced_table(conn: sqlite3.Connection, name: str, fields: dict[str, str]) -> None:
    """Create a synced table (meta columns, ``fields`` and ``deleted``) with sqlite-utils from
    the field types: the same columns, types, NOT NULL and defaults as :func:`synced_table_sql`.
    Pass the fields literally, as every migration does."""
    meta: dict[str, Any] = {"updated_at": "", "device_id": "", "clocks": "{}"}
    columns: dict[str, Any] = {"id": str, "station_id": str, **dict.fromkeys(meta, str)}
    defaults = dict(meta)
    for col, kind in {**fields, "deleted": "bool"}.items():
        columns[col] = PY_TYPES[kind]
        defaults[col] = DEFAULTS[kind]
    import sqlite_utils  # here, not at the top: importing it costs 0.4 s at every start

    sqlite_utils.Database(conn).create_table(
        name, columns, pk="id", not_null=set(columns) - {"id"}, defaults=defaults
    )


def transform_table(conn: sqlite3.Connection, name: str, **changes: Any) -> None:
    """Change a table's columns with sqlite-utils' ``transform()`` (``types``, ``rename``,
    ``drop``, ``not_null``, ``defaults``, ``column_order``): it copies the table into a new one
    inside the migration's transaction, so a failed migration leaves the file as it was.
    Triggers on the table are dropped with it: the migration recreates the ones it needs."""
    import sqlite_utils

    sqlite_utils.Database(conn)[name].transform(**changes)  # type: ignore[union-attr]
