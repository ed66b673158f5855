"""The tables of the embedded storage (:mod:`sync.server.sqlite_storage`) and its connections.

Server tables are prefixed ``srv_``. The replica tables have the names and columns of the
client's synced tables (``pzh_core.schema``: id, station_id, updated_at, device_id, clocks, the
fields and ``deleted``), so indicator SQL written once runs on both. Table and column names in
SQL come only from ``pzh_core.schema``; every value travels as a parameter.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pzh_core import schema
from pzh_core.text import register_collation
from sync.server import sqlite_digest, sqlite_identity, sqlite_set_aside

SERVER_DDL = [
    "CREATE TABLE IF NOT EXISTS srv_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS srv_stations (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, county TEXT NOT NULL,
        created_ms INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS srv_codes (
        code TEXT PRIMARY KEY, station_id TEXT NOT NULL REFERENCES srv_stations(id),
        created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL,
        spent_ms INTEGER, device_id TEXT)""",
    """CREATE TABLE IF NOT EXISTS srv_devices (
        id TEXT PRIMARY KEY, station_id TEXT NOT NULL REFERENCES srv_stations(id),
        token_hash TEXT NOT NULL UNIQUE, name TEXT NOT NULL DEFAULT '',
        app_version TEXT NOT NULL DEFAULT '', created_ms INTEGER NOT NULL, revoked_ms INTEGER,
        applied_seq INTEGER NOT NULL DEFAULT 0, last_sync_ms INTEGER, last_seen_ms INTEGER,
        changes_day TEXT NOT NULL DEFAULT '', changes_today INTEGER NOT NULL DEFAULT 0,
        skew_ms INTEGER, clamped_total INTEGER NOT NULL DEFAULT 0,
        last_error TEXT NOT NULL DEFAULT '', last_error_ms INTEGER)""",
    "CREATE INDEX IF NOT EXISTS srv_devices_station ON srv_devices(station_id)",
    # The change feed: one ordered sequence for the whole deployment.
    """CREATE TABLE IF NOT EXISTS srv_feed (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, station_id TEXT NOT NULL, tbl TEXT NOT NULL,
        row_id TEXT NOT NULL, stamp TEXT NOT NULL, fields TEXT NOT NULL,
        origin TEXT NOT NULL, replaced TEXT)""",
    "CREATE INDEX IF NOT EXISTS srv_feed_station ON srv_feed(station_id, seq)",
    # The stamp of every device seq applied: a resent seq must come with the same stamp, else the
    # PC's log went back in time (restored backup) and skipping it would lose a change.
    """CREATE TABLE IF NOT EXISTS srv_seen (
        device_id TEXT NOT NULL, seq INTEGER NOT NULL, stamp TEXT NOT NULL,
        PRIMARY KEY (device_id, seq)) WITHOUT ROWID""",
]

# Indexes for the figures of the web pages (issue 8, sync/server/web): the shared indicator
# functions filter by station and date and join marks to sessions, rosters to classes and hours
# to volunteers; without these a city-wide overview scans whole tables.
REPLICA_INDEXES = [
    "CREATE INDEX IF NOT EXISTS activities_station_date ON activities(station_id, date)",
    "CREATE INDEX IF NOT EXISTS sessions_station_date ON sessions(station_id, date)",
    "CREATE INDEX IF NOT EXISTS sessions_class ON sessions(class_id)",
    "CREATE INDEX IF NOT EXISTS attendance_session ON attendance(session_id, person_id)",
    "CREATE INDEX IF NOT EXISTS enrollments_class ON enrollments(class_id, person_id)",
    "CREATE INDEX IF NOT EXISTS service_records_station_date ON service_records(station_id, date)",
    "CREATE INDEX IF NOT EXISTS service_records_volunteer ON service_records(volunteer_id)",
]


def replica_table_sql(table: str) -> str:
    cols = [
        "id TEXT PRIMARY KEY",
        "station_id TEXT NOT NULL",
        "updated_at TEXT NOT NULL DEFAULT ''",
        "device_id TEXT NOT NULL DEFAULT ''",
        "clocks TEXT NOT NULL DEFAULT '{}'",
    ]
    cols += [f"{name} {schema.COLUMN_SQL[kind]}" for name, kind in schema.TABLES[table].items()]
    return f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(cols)})"


def create_schema(conn: sqlite3.Connection) -> None:
    """Create what is missing: server tables, replica tables and their columns, indexes."""
    for ddl in SERVER_DDL + sqlite_set_aside.DDL:
        conn.execute(ddl)
    sqlite_identity.add_columns(conn)
    for table, fields in schema.TABLES.items():
        conn.execute(replica_table_sql(table))
        have = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        # A newer pzh_core.schema added fields: add their columns (never drop or retype).
        for name, kind in fields.items():
            if name not in have:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {schema.COLUMN_SQL[kind]}")
        conn.execute(f"CREATE INDEX IF NOT EXISTS {table}_station ON {table}(station_id)")
    for ddl in REPLICA_INDEXES:
        conn.execute(ddl)
    sqlite_digest.create(conn)


def load_clock(conn: sqlite3.Connection) -> str | None:
    """The last stamp the server's clock issued (``None`` on a new file)."""
    row = conn.execute("SELECT value FROM srv_meta WHERE key = 'hlc_last'").fetchone()
    return row[0] if row else None


def save_clock(conn: sqlite3.Connection, last: str) -> None:
    conn.execute(
        "INSERT INTO srv_meta (key, value) VALUES ('hlc_last', ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (last,),
    )


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    register_collation(conn)  # names ORDER BY ... COLLATE pinyin (pzh_core.indicators)
    conn.execute("PRAGMA busy_timeout = 10000")
    return conn
