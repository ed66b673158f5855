"""Numbered schema migrations, each applied in one transaction with the record that it ran.

``PRAGMA user_version`` holds the number of the last migration applied; the table
``migrations`` records when each ran. A file whose user_version is greater than the last
migration here was written by a newer version of the app: it is refused, never downgraded.
"""

from __future__ import annotations

from types import ModuleType

from pzh_station.store.migrations import (
    m0001_initial,
    m0002_training,
    m0003_volunteers,
    m0004_sync,
    m0005_activity_list,
    m0006_reports,
    m0007_annual,
    m0008_set_aside,
    m0009_photos,
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
    m0009_photos,
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
