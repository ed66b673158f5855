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
    m0009_certificates,
    m0010_periods,
    m0011_photos,
    m0012_compact_clocks,
    m0013_facts_unknown,
    m0014_lean_change_log,
    m0015_one_activity_index,
    m0016_lean_received,
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
    m0009_certificates,
    m0010_periods,
    m0011_photos,
    m0012_compact_clocks,
    m0013_facts_unknown,
    m0014_lean_change_log,
    m0015_one_activity_index,
    m0016_lean_received,
]
LATEST = len(MIGRATIONS)

# -- the synced tables' DDL, made by sqlite-utils from field types ------------------------------
# Every synced table is created from its field kinds (the migration passes them literally, so a
# migration never changes after it has shipped, whatever later happens to ``pzh_core.schema``);
# a later change of a column goes through :func:`transform_table`, which also does what SQLite's
# ALTER TABLE cannot (retype, drop or rename a column, new default). Each kind is a column type
# and a NOT NULL default: kind -> (Python type for sqlite-utils, default).
KINDS: dict[str, tuple[type, Any]] = {
    "text": (str, ""),
    "int": (int, 0),
    "real": (float, 0),
    "bool": (int, 0),
    "date": (str, ""),
    "time": (str, ""),
    "list": (str, "[]"),
    "json": (str, "{}"),
    "opt_real": (float, None),  # nullable: null = not known
}


def _database(conn: sqlite3.Connection) -> Any:
    """sqlite-utils on the migration's connection, inside its transaction: no plugins, and the
    connection's settings untouched (it would turn on recursive triggers)."""
    import sqlite_utils  # here, not at the top: importing it costs 0.4 s at every start

    return sqlite_utils.Database(conn, recursive_triggers=False, execute_plugins=False)


def create_synced_table(conn: sqlite3.Connection, name: str, fields: dict[str, str]) -> None:
    """Create a synced table with sqlite-utils: ``id`` (primary key), ``station_id`` and the meta
    columns, then ``fields`` (``{column: kind}``) and ``deleted``, every column NOT NULL with its
    kind's default. Pass the fields literally, as every migration does."""
    meta: dict[str, Any] = {"updated_at": "", "device_id": "", "clocks": "{}"}
    columns: dict[str, Any] = {"id": str, "station_id": str, **dict.fromkeys(meta, str)}
    defaults = dict(meta)
    for col, kind in {**fields, "deleted": "bool"}.items():
        columns[col], defaults[col] = KINDS[kind]
    nullable = {"id"} | {c for c, v in defaults.items() if v is None}
    _database(conn).create_table(
        name,
        columns,
        pk="id",
        not_null=set(columns) - nullable,
        defaults={c: v for c, v in defaults.items() if v is not None},
    )


def transform_table(conn: sqlite3.Connection, name: str, **changes: Any) -> None:
    """Change a table's columns with sqlite-utils' ``transform()`` (``types``, ``rename``,
    ``drop``, ``not_null``, ``defaults``, ``column_order``): it copies the table into a new one
    inside the migration's transaction, so a failed migration leaves the file as it was.
    Triggers on the table are dropped with it: the migration recreates the ones it needs."""
    _database(conn)[name].transform(**changes)


def add_field(conn: sqlite3.Connection, table: str, column: str, kind: str) -> None:
    """Add a column of ``kind`` to a synced table (NOT NULL, the kind's default for old rows)."""
    py_type, default = KINDS[kind]
    _database(conn)[table].add_column(column, py_type, not_null_default=default)
