"""The embedded storage: one SQLite file in WAL mode, written by ONE writer thread.

As Datasette does, every write runs on a single dedicated thread and connection, each in its own
``BEGIN IMMEDIATE`` transaction, so writers never fight over the lock and a failed write rolls
back whole. Reads use separate per-thread connections (``PRAGMA query_only``) and see the last
committed state, never a half-applied batch.

Server tables are prefixed ``srv_``. The replica tables have the names and columns of the
client's synced tables (``pzh_core.schema``: id, station_id, updated_at, device_id, clocks, the
fields and ``deleted``), so indicator SQL written once runs on both. Table and column names in
SQL come only from ``pzh_core.schema``; every value travels as a parameter.
"""

from __future__ import annotations

import json
import queue
import sqlite3
import threading
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from pzh_core import hlc, merge, protocol, schema
from sync.server import identity
from sync.server.storage import (
    BatchRejected,
    Code,
    Device,
    FeedEntry,
    PullResult,
    PushResult,
    Station,
    Storage,
    china_day,
)

T = TypeVar("T")
SERVER_DEVICE = "server"  # device part of stamps made by the server itself
DEFAULT_CLAMP_MS = protocol.CLAMP_MS

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

SERVER_DDL = [
    "CREATE TABLE IF NOT EXISTS srv_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS srv_stations (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, county TEXT NOT NULL, created_ms INTEGER NOT NULL)""",
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


# Web pages (issue 8): see _create_schema.
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
    cols += [f"{name} {TYPE_SQL[kind]}" for name, kind in schema.TABLES[table].items()]
    return f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(cols)})"


def encode_value(kind: str, value: Any) -> Any:
    """A change's field value → column value (as the client's store encodes it)."""
    if kind in ("list", "json"):
        return json.dumps(value, ensure_ascii=False)
    if kind == "bool":
        return 1 if value else 0
    return value


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 10000")
    return conn


class _Writer:
    """One thread, one connection: runs each submitted function in ``BEGIN IMMEDIATE``."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._queue: queue.SimpleQueue[
            tuple[Callable[[sqlite3.Connection], Any], Future] | None
        ] = queue.SimpleQueue()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pzh-sync-writer", daemon=True)
        self._thread.start()
        self._ready.wait()

    def call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        fut: Future = Future()
        self._queue.put((fn, fut))
        return fut.result()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        conn = _connect(self._path)
        conn.execute("PRAGMA journal_mode = WAL")
        # FULL: a commit is on disk before the device is told it is held (acked_seq); with
        # NORMAL a power cut could lose acknowledged changes, which the device never resends.
        conn.execute("PRAGMA synchronous = FULL")
        self._ready.set()
        while True:
            item = self._queue.get()
            if item is None:
                break
            fn, fut = item
            if not fut.set_running_or_notify_cancel():
                continue
            try:
                conn.execute("BEGIN IMMEDIATE")
                result = fn(conn)
                conn.execute("COMMIT")
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                fut.set_exception(exc)
            else:
                fut.set_result(result)
        conn.close()


class _RowState:
    """A row while a batch is merged into it: its field stamps, the values that won, and
    whether it exists in the table already."""

    __slots__ = ("clocks", "values", "exists")

    def __init__(self, clocks: dict[str, str], exists: bool) -> None:
        self.clocks = clocks
        self.values: dict[str, Any] = {}
        self.exists = exists


def _station(row: sqlite3.Row) -> Station:
    return Station(
        id=row["id"], name=row["name"], county=row["county"], created_ms=row["created_ms"]
    )


def _code(row: sqlite3.Row) -> Code:
    return Code(**{k: row[k] for k in row.keys()})


def _device(row: sqlite3.Row) -> Device:
    return Device(**{k: row[k] for k in row.keys() if k != "token_hash"})


class SQLiteStorage(Storage):
    """The embedded storage in ``path``.

    :param path: the SQLite file (created with its tables if missing).
    :param now: the server's wall clock in ms (tests replace it).
    :param clamp_ms: how far ahead of server time a pushed stamp may be before it is rewritten.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        now: Callable[[], int] = hlc.wall_ms,
        clamp_ms: int = DEFAULT_CLAMP_MS,
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.now = now
        self.clamp_ms = clamp_ms
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._writer = _Writer(self.path)
        self._writer.call(self._create_schema)
        last = self._writer.call(
            lambda c: (
                c.execute("SELECT value FROM srv_meta WHERE key = 'hlc_last'").fetchone() or [None]
            )[0]
        )
        # Only the writer thread touches the server clock.
        self._clock = hlc.HybridClock(SERVER_DEVICE, last=last, wall=now)

    # -- schema -------------------------------------------------------------------------
    @staticmethod
    def _create_schema(conn: sqlite3.Connection) -> None:
        for ddl in SERVER_DDL:
            conn.execute(ddl)
        identity.add_columns(conn)
        for table, fields in schema.TABLES.items():
            conn.execute(replica_table_sql(table))
            have = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
            # A newer pzh_core.schema added fields: add their columns (never drop or retype).
            for name, kind in fields.items():
                if name not in have:
                    conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {TYPE_SQL[kind]}")
            conn.execute(f"CREATE INDEX IF NOT EXISTS {table}_station ON {table}(station_id)")
        # Indexes for the figures of the web pages (issue 8, sync/server/web): the shared
        # indicator functions filter by station and date and join marks to sessions, rosters to
        # classes and hours to volunteers; without these a city-wide overview scans whole tables.
        for ddl in REPLICA_INDEXES:
            conn.execute(ddl)

    # -- reading ------------------------------------------------------------------------
    def _reader(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = _connect(self.path)
            conn.execute("PRAGMA query_only = 1")
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        return [dict(r) for r in self._reader().execute(sql, params)]

    def _one(self, sql: str, params: Sequence[Any]) -> sqlite3.Row | None:
        return self._reader().execute(sql, params).fetchone()

    # -- stations and codes ---------------------------------------------------------------
    def create_station(self, name: str, county: str, *, station_id: str | None = None) -> Station:
        sid = station_id or str(uuid.uuid4())

        def tx(conn: sqlite3.Connection) -> Station:
            now = self.now()
            conn.execute(
                "INSERT INTO srv_stations (id, name, county, created_ms) VALUES (?, ?, ?, ?)",
                (sid, name, county, now),
            )
            self._server_write(conn, sid, "stations", sid, {"name": name, "county": county})
            return Station(id=sid, name=name, county=county, created_ms=now)

        return self._writer.call(tx)

    def get_station(self, station_id: str) -> Station | None:
        row = self._one("SELECT * FROM srv_stations WHERE id = ?", (station_id,))
        return _station(row) if row else None

    def list_stations(self) -> list[Station]:
        rows = self._reader().execute("SELECT * FROM srv_stations ORDER BY county, name")
        return [_station(r) for r in rows]

    def add_code(self, code: str, station_id: str, expires_ms: int) -> Code:
        def tx(conn: sqlite3.Connection) -> Code:
            now = self.now()
            conn.execute(
                "INSERT INTO srv_codes (code, station_id, created_ms, expires_ms) VALUES (?, ?, ?, ?)",
                (code, station_id, now, expires_ms),
            )
            return Code(code=code, station_id=station_id, created_ms=now, expires_ms=expires_ms)

        return self._writer.call(tx)

    def list_codes(self, *, station_id: str | None = None) -> list[Code]:
        if station_id:
            rows = self._reader().execute(
                "SELECT * FROM srv_codes WHERE station_id = ? ORDER BY created_ms DESC",
                (station_id,),
            )
        else:
            rows = self._reader().execute("SELECT * FROM srv_codes ORDER BY created_ms DESC")
        return [_code(r) for r in rows]

    # -- devices ---------------------------------------------------------------------------
    def enroll(
        self,
        code: str,
        *,
        token_hash: str,
        device_name: str,
        app_version: str,
        device_id: str | None,
        request_id: str | None = None,
    ) -> tuple[Device, Station]:
        def tx(conn: sqlite3.Connection) -> tuple[Device, Station]:
            did, sid = identity.enroll(
                conn,
                self.now(),
                code,
                token_hash=token_hash,
                device_name=device_name,
                app_version=app_version,
                device_id=device_id,
                request_id=request_id,
            )
            return self._device_and_station(conn, did, sid)

        return self._writer.call(tx)

    @staticmethod
    def _device_and_station(conn: sqlite3.Connection, did: str, sid: str) -> tuple[Device, Station]:
        dev = conn.execute("SELECT * FROM srv_devices WHERE id = ?", (did,)).fetchone()
        st = conn.execute("SELECT * FROM srv_stations WHERE id = ?", (sid,)).fetchone()
        return _device(dev), _station(st)

    def rekey(
        self,
        device: Device,
        *,
        token_hash: str,
        request_id: str,
        device_name: str | None = None,
        app_version: str | None = None,
    ) -> tuple[Device, Station]:
        def tx(conn: sqlite3.Connection) -> tuple[Device, Station]:
            did, sid = identity.rekey(
                conn,
                self.now(),
                device.id,
                token_hash=token_hash,
                request_id=request_id,
                device_name=device_name,
                app_version=app_version,
            )
            return self._device_and_station(conn, did, sid)

        return self._writer.call(tx)

    def device_by_token(self, token_hash: str) -> Device | None:
        row = self._one("SELECT * FROM srv_devices WHERE token_hash = ?", (token_hash,))
        return _device(row) if row else None

    def get_device(self, device_id: str) -> Device | None:
        row = self._one("SELECT * FROM srv_devices WHERE id = ?", (device_id,))
        return _device(row) if row else None

    def list_devices(self, *, station_id: str | None = None) -> list[Device]:
        if station_id:
            rows = self._reader().execute(
                "SELECT * FROM srv_devices WHERE station_id = ? ORDER BY created_ms", (station_id,)
            )
        else:
            rows = self._reader().execute(
                "SELECT * FROM srv_devices ORDER BY station_id, created_ms"
            )
        return [_device(r) for r in rows]

    def revoke_device(self, device_id: str) -> Device | None:
        def tx(conn: sqlite3.Connection) -> Device | None:
            conn.execute(
                "UPDATE srv_devices SET revoked_ms = ?, revoke_reason = 'admin'"
                " WHERE id = ? AND revoked_ms IS NULL",
                (self.now(), device_id),
            )
            row = conn.execute("SELECT * FROM srv_devices WHERE id = ?", (device_id,)).fetchone()
            return _device(row) if row else None

        return self._writer.call(tx)

    def record_error(self, device_id: str, message: str) -> None:
        def tx(conn: sqlite3.Connection) -> None:
            now = self.now()
            conn.execute(
                "UPDATE srv_devices SET last_error = ?, last_error_ms = ?, last_seen_ms = ? WHERE id = ?",
                (message[:500], now, now, device_id),
            )

        self._writer.call(tx)

    # -- sync ------------------------------------------------------------------------------
    def push(
        self,
        device: Device,
        changes: Sequence[dict[str, Any]],
        *,
        client_time_ms: int | None,
        acked_seq: int | None = None,
    ) -> PushResult:
        return self._writer.call(
            lambda conn: self._push_tx(conn, device, changes, client_time_ms, acked_seq)
        )

    def _push_tx(
        self,
        conn: sqlite3.Connection,
        device: Device,
        changes: Sequence[dict[str, Any]],
        client_time_ms: int | None,
        acked_seq: int | None = None,
    ) -> PushResult:
        now = self.now()
        dev = conn.execute(
            "SELECT station_id, revoked_ms, revoke_reason, applied_seq, changes_day, changes_today"
            " FROM srv_devices WHERE id = ?",
            (device.id,),
        ).fetchone()
        if dev is None or dev["revoked_ms"] is not None:
            if dev is not None and dev["revoke_reason"] == identity.REKEYED:
                identity.forked(dev["applied_seq"], "device re-keyed by another copy of its file")
            raise BatchRejected(403, "device_revoked", "device revoked")
        station = dev["station_id"]
        applied = dev["applied_seq"]
        identity.check_epoch(conn, device.id, applied, acked_seq, changes)
        result = PushResult(acked_seq=applied)
        todo = [(i, c) for i, c in enumerate(changes) if c["seq"] > applied]
        result.skipped = len(changes) - len(todo)
        # Few statements per batch, not per row: the writer thread shares the GIL with every
        # request being parsed, and each SQLite call gives it away (see docs/benchmarks.md).
        existing = self._fetch_rows(conn, todo)
        rows: dict[tuple[str, str], _RowState] = {}
        feed: list[tuple[Any, ...]] = []
        limit_ms = now + self.clamp_ms
        clock = self._clock
        clock_before = clock.last
        try:
            for index, change in todo:
                table, row_id, stamp, fields = change["t"], change["id"], change["s"], change["f"]
                key = (table, row_id)
                state = rows.get(key)
                if state is None:
                    if table == "stations" and row_id != station:
                        raise BatchRejected(
                            403,
                            "foreign_row",
                            f"stations row {row_id} is not this device's station",
                            index=index,
                        )
                    found = existing.get(key)
                    if found is not None and found[0] != station:
                        raise BatchRejected(
                            403,
                            "foreign_row",
                            f"{table} row {row_id} belongs to another station",
                            index=index,
                        )
                    state = rows[key] = _RowState(
                        json.loads(found[1]) if found else {}, found is not None
                    )
                replaced = None
                parsed = hlc.parse(stamp)
                if parsed.ms > limit_ms:
                    # Too far in the future: a fresh server stamp, keeping the writer's device
                    # part; the device learns it from its own change echoed in the feed.
                    fresh = hlc.parse(clock.now())
                    replaced, stamp = stamp, hlc.encode(fresh.ms, fresh.counter, parsed.device)
                    result.clamped += 1
                else:
                    clock.observe(stamp)
                won, state.clocks = merge.merge(state.clocks, fields, stamp)
                if won:
                    state.values.update(won)
                    feed.append(
                        (
                            station,
                            table,
                            row_id,
                            stamp,
                            json.dumps(won, ensure_ascii=False, separators=(",", ":")),
                            device.id,
                            replaced,
                        )
                    )
                applied = change["seq"]
                result.applied += 1
        except BaseException:
            # The transaction rolls back; so must the clock's view of it.
            self._clock = hlc.HybridClock(SERVER_DEVICE, last=clock_before, wall=self.now)
            raise
        self._write_rows(conn, station, rows)
        conn.executemany(
            "INSERT INTO srv_feed (station_id, tbl, row_id, stamp, fields, origin, replaced)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            feed,
        )
        conn.executemany(
            "INSERT OR REPLACE INTO srv_seen (device_id, seq, stamp) VALUES (?, ?, ?)",
            [(device.id, c["seq"], c["s"]) for _, c in todo],
        )
        result.feed_added = len(feed)
        result.acked_seq = applied
        day = china_day(now)
        today = (dev["changes_today"] if dev["changes_day"] == day else 0) + result.applied
        skew = client_time_ms - now if client_time_ms is not None else None
        conn.execute(
            "UPDATE srv_devices SET applied_seq = ?, last_sync_ms = ?, last_seen_ms = ?, changes_day = ?,"
            " changes_today = ?, skew_ms = COALESCE(?, skew_ms), clamped_total = clamped_total + ?,"
            " last_error = '', last_error_ms = NULL WHERE id = ?",
            (applied, now, now, day, today, skew, result.clamped, device.id),
        )
        if clock.last != clock_before:
            conn.execute(
                "INSERT INTO srv_meta (key, value) VALUES ('hlc_last', ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (clock.last,),
            )
        return result

    @staticmethod
    def _fetch_rows(
        conn: sqlite3.Connection, todo: Sequence[tuple[int, dict[str, Any]]]
    ) -> dict[tuple[str, str], tuple[str, str]]:
        """``(table, id) -> (station_id, clocks)`` of the rows a batch touches that exist."""
        ids: dict[str, set[str]] = {}
        for _, change in todo:
            ids.setdefault(change["t"], set()).add(change["id"])
        found: dict[tuple[str, str], tuple[str, str]] = {}
        for table, wanted in ids.items():
            listed = sorted(wanted)
            for i in range(0, len(listed), 500):
                chunk = listed[i : i + 500]
                marks = ",".join("?" * len(chunk))
                for r in conn.execute(
                    f"SELECT id, station_id, clocks FROM {table} WHERE id IN ({marks})", chunk
                ):
                    found[(table, r[0])] = (r[1], r[2])
        return found

    @staticmethod
    def _write_rows(
        conn: sqlite3.Connection, station: str, rows: dict[tuple[str, str], _RowState]
    ) -> None:
        """Write the merged rows of a batch, grouped so that each shape is one executemany."""
        groups: dict[tuple[str, bool, tuple[str, ...]], list[tuple[Any, ...]]] = {}
        for (table, row_id), state in rows.items():
            if not state.values:
                continue
            types = schema.TABLES[table]
            names = tuple(sorted(state.values))
            top = merge.row_stamp(state.clocks)
            values = [encode_value(types[n], state.values[n]) for n in names]
            meta = [
                top,
                top.split(".", 2)[2],
                json.dumps(state.clocks, sort_keys=True, separators=(",", ":")),
            ]
            if state.exists:
                groups.setdefault((table, True, names), []).append((*values, *meta, row_id))
            else:
                groups.setdefault((table, False, names), []).append(
                    (row_id, station, *values, *meta)
                )
        for (table, exists, names), params in groups.items():
            cols = (*names, "updated_at", "device_id", "clocks")
            if exists:
                sets = ", ".join(f"{c} = ?" for c in cols)
                conn.executemany(f"UPDATE {table} SET {sets} WHERE id = ?", params)
            else:
                all_cols = ("id", "station_id", *cols)
                marks = ", ".join("?" for _ in all_cols)
                conn.executemany(
                    f"INSERT INTO {table} ({', '.join(all_cols)}) VALUES ({marks})", params
                )

    def _apply(
        self,
        conn: sqlite3.Connection,
        station: str,
        table: str,
        row_id: str,
        fields: dict[str, Any],
        stamp: str,
        row: sqlite3.Row | None,
        origin: str,
        replaced: str | None,
    ) -> bool:
        """Merge one change into its replica row and append what won to the feed."""
        types = schema.TABLES[table]
        clocks = json.loads(row["clocks"]) if row is not None else {}
        won, new_clocks = merge.merge(clocks, fields, stamp)
        if not won:
            return False
        top = merge.row_stamp(new_clocks)
        cols = {name: encode_value(types[name], v) for name, v in won.items()}
        cols.update(
            updated_at=top,
            device_id=top.split(".", 2)[2],
            clocks=json.dumps(new_clocks, sort_keys=True, separators=(",", ":")),
        )
        if row is not None:
            sets = ", ".join(f"{c} = ?" for c in cols)
            conn.execute(f"UPDATE {table} SET {sets} WHERE id = ?", (*cols.values(), row_id))
        else:
            cols = {"id": row_id, "station_id": station, **cols}
            marks = ", ".join("?" for _ in cols)
            conn.execute(
                f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", tuple(cols.values())
            )
        conn.execute(
            "INSERT INTO srv_feed (station_id, tbl, row_id, stamp, fields, origin, replaced)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                station,
                table,
                row_id,
                stamp,
                json.dumps(won, ensure_ascii=False, separators=(",", ":")),
                origin,
                replaced,
            ),
        )
        return True

    def pull(self, device: Device, cursor: int, limit: int) -> PullResult:
        conn = self._reader()
        conn.execute("BEGIN")  # one snapshot: the entries and the feed's end agree
        try:
            rows = conn.execute(
                # ``replaced`` only matters to the device whose stamp was rewritten.
                "SELECT seq, tbl, row_id, stamp, fields,"
                " CASE WHEN origin = ? THEN replaced END AS replaced FROM srv_feed"
                " WHERE station_id = ? AND seq > ? AND (origin <> ? OR replaced IS NOT NULL)"
                " ORDER BY seq LIMIT ?",
                (device.id, device.station_id, cursor, device.id, limit + 1),
            ).fetchall()
            end = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM srv_feed").fetchone()[0]
        finally:
            conn.execute("COMMIT")
        more = len(rows) > limit
        rows = rows[:limit]
        entries = [
            FeedEntry(
                seq=r["seq"],
                table=r["tbl"],
                row_id=r["row_id"],
                stamp=r["stamp"],
                fields_json=r["fields"],
                replaced=r["replaced"],
            )
            for r in rows
        ]
        # With nothing more to send, jump to the feed's end: the entries skipped on the way
        # (other stations', the device's own) need not be scanned again next time.
        new_cursor = entries[-1].seq if more else max(cursor, end)
        return PullResult(changes=entries, cursor=new_cursor, more=more)

    def server_write(
        self, station_id: str, table: str, row_id: str, fields: dict[str, Any]
    ) -> None:
        self._writer.call(lambda conn: self._server_write(conn, station_id, table, row_id, fields))

    def _server_write(
        self,
        conn: sqlite3.Connection,
        station_id: str,
        table: str,
        row_id: str,
        fields: dict[str, Any],
    ) -> None:
        types = schema.fields_of(table)
        unknown = set(fields) - set(types)
        if unknown:
            raise KeyError(f"{table} has no synced fields {sorted(unknown)}")
        row = conn.execute(
            f"SELECT station_id, clocks FROM {table} WHERE id = ?", (row_id,)
        ).fetchone()
        if row is not None and row["station_id"] != station_id:
            raise ValueError(f"{table} row {row_id} belongs to another station")
        stamp = self._clock.now()
        self._apply(conn, station_id, table, row_id, dict(fields), stamp, row, SERVER_DEVICE, None)
        conn.execute(
            "INSERT INTO srv_meta (key, value) VALUES ('hlc_last', ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (self._clock.last,),
        )

    def close(self) -> None:
        self._writer.close()
        with self._readers_lock:
            for conn in self._readers:
                try:
                    conn.close()
                except sqlite3.Error:
                    pass
            self._readers.clear()
