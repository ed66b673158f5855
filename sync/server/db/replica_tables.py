"""The replica tables of the server: one per synced table of ``pzh_core.schema``, with the
meta columns, and the indexes the web pages' figures and the merge read them by."""

from __future__ import annotations

import re

from pzh_core import schema
from sync.server.db.conn import Conn

# Indexes for the figures of the web pages: the shared indicator queries filter by station and
# date and join marks to sessions, rosters to classes and hours to volunteers.
REPLICA_INDEXES = [
    "CREATE INDEX IF NOT EXISTS activities_station_date ON activities(station_id, date)",
    "CREATE INDEX IF NOT EXISTS sessions_station_date ON sessions(station_id, date)",
    "CREATE INDEX IF NOT EXISTS sessions_class ON sessions(class_id)",
    "CREATE INDEX IF NOT EXISTS attendance_session ON attendance(session_id, person_id)",
    "CREATE INDEX IF NOT EXISTS enrollments_class ON enrollments(class_id, person_id)",
    "CREATE INDEX IF NOT EXISTS service_records_station_date ON service_records(station_id, date)",
    "CREATE INDEX IF NOT EXISTS service_records_volunteer ON service_records(volunteer_id)",
]

# The tables whose index above starts with station_id: it serves a station's lookups, so they
# have no ``<table>_station`` index of their own (dropped by migration 17).
STATION_COVERED = tuple(
    m.group(1) for ddl in REPLICA_INDEXES if (m := re.search(r" ON (\w+)\(station_id,", ddl))
)


def replica_table_sql(table: str) -> str:
    cols = [
        "id TEXT PRIMARY KEY",
        "station_id TEXT NOT NULL",
        "updated_at TEXT NOT NULL DEFAULT ''",
        "device_id TEXT NOT NULL DEFAULT ''",
        "clocks TEXT NOT NULL DEFAULT '{}'",  # pzh_core.stored_clocks (migration 11)
    ]
    cols += [f"{name} {schema.COLUMN_SQL[kind]}" for name, kind in schema.TABLES[table].items()]
    return f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(cols)})"


def sync_replica_tables(c: Conn) -> None:
    """Create the replica tables and columns ``pzh_core.schema`` has and the database lacks."""
    for table, fields in schema.TABLES.items():
        have = c.columns(table)
        if not have:
            c.ddl(replica_table_sql(table))
        for name, kind in fields.items():
            if have and name not in have:
                c.ddl(f"ALTER TABLE {table} ADD COLUMN {name} {schema.COLUMN_SQL[kind]}")
        if table not in STATION_COVERED:
            c.ddl(f"CREATE INDEX IF NOT EXISTS {table}_station ON {table}(station_id)")
    for ddl in REPLICA_INDEXES:
        c.ddl(ddl)
