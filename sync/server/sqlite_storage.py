"""The embedded storage: one SQLite file in WAL mode, written by ONE writer thread.

Every write runs on the writer thread (:mod:`sync.server.sqlite_writer`), each in its own
``BEGIN IMMEDIATE`` transaction, so a failed write rolls back whole. Reads use separate
per-thread connections (``PRAGMA query_only``) and see the last committed state, never a
half-applied batch. The tables are in :mod:`sync.server.sqlite_schema`; merging pushed and
server-made changes into them is :mod:`sync.server.sqlite_push`.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pzh_core import hlc, protocol
from pzh_core.queries import Db
from sync.server import sqlite_digest, sqlite_identity, sqlite_push, sqlite_set_aside
from sync.server.sqlite_schema import connect, create_schema, load_clock, save_clock
from sync.server.sqlite_writer import Writer
from sync.server.storage import (
    Code,
    Device,
    FeedEntry,
    PullResult,
    PushResult,
    Station,
    Storage,
    china_day,
)

SERVER_DEVICE = "server"  # device part of stamps made by the server itself
DEFAULT_CLAMP_MS = protocol.CLAMP_MS


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
        min_desk_version: str = "",
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.now = now
        self.clamp_ms = clamp_ms
        self.min_desk_version = min_desk_version
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._writer = Writer(self.path)
        self._writer.call(create_schema)
        last = self._writer.call(load_clock)
        # Only the writer thread touches the server clock.
        self._clock = hlc.HybridClock(SERVER_DEVICE, last=last, wall=now)

    # -- reading ------------------------------------------------------------------------
    def _reader(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path)
            conn.execute("PRAGMA query_only = 1")
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        return [dict(r) for r in self._reader().execute(sql, params)]

    def indicator_db(self) -> Db:
        return Db.of(self._reader())

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
            did, sid = sqlite_identity.enroll(
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
            did, sid = sqlite_identity.rekey(
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

    def list_set_aside(self, *, limit: int = 500) -> list[dict[str, Any]]:
        return sqlite_set_aside.listing(self._reader(), limit)

    def record_check(self, device_id: str, ok: bool, differs: str | None = None) -> None:
        def tx(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE srv_devices SET digest_ok = ?, digest_ms = ?,"
                " digest_differs = COALESCE(?, digest_differs) WHERE id = ?",
                (1 if ok else 0, self.now(), differs, device_id),
            )

        self._writer.call(tx)

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
        app_version: str | None = None,
    ) -> PushResult:
        return self._writer.call(
            lambda conn: self._push_tx(
                conn, device, changes, client_time_ms, acked_seq, app_version
            )
        )

    def _push_tx(
        self,
        conn: sqlite3.Connection,
        device: Device,
        changes: Sequence[dict[str, Any]],
        client_time_ms: int | None,
        acked_seq: int | None = None,
        app_version: str | None = None,
    ) -> PushResult:
        now = self.now()
        too_old = None
        if app_version is not None and protocol.version_key(app_version) < protocol.version_key(
            self.min_desk_version
        ):
            too_old = (app_version, self.min_desk_version)
        checks = sqlite_push.Rules(
            dt.date.fromisoformat(china_day(now)) + dt.timedelta(days=1), too_old
        )
        clock_before = self._clock.last
        try:
            result = sqlite_push.apply_push(
                conn,
                self._clock,
                device,
                changes,
                client_time_ms=client_time_ms,
                acked_seq=acked_seq,
                now=now,
                clamp_ms=self.clamp_ms,
                checks=checks,
            )
        except BaseException:
            # The transaction rolls back; so must the clock's view of it.
            self._clock = hlc.HybridClock(SERVER_DEVICE, last=clock_before, wall=self.now)
            raise
        if self._clock.last != clock_before:
            save_clock(conn, self._clock.last)
        return result

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
            more = len(rows) > limit
            # The root of the same snapshot: after this page the device holds what it describes.
            root = None if more else sqlite_digest.root(conn, device.station_id)
        finally:
            conn.execute("COMMIT")
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
        return PullResult(changes=entries, cursor=new_cursor, more=more, digest=root)

    def verify(self, device: Device, tables: dict[str, str]) -> dict[str, str]:
        conn = self._reader()
        conn.execute("BEGIN")
        try:
            return sqlite_digest.differing_tables(conn, device.station_id, tables)
        finally:
            conn.execute("COMMIT")

    def fetch_buckets(self, device: Device, wanted: dict[str, list[int]]) -> list[list[Any]]:
        conn = self._reader()
        conn.execute("BEGIN")
        try:
            out: list[list[Any]] = []
            for table, buckets in wanted.items():
                out += sqlite_digest.rows_in_buckets(conn, device.station_id, table, buckets)
            return out
        finally:
            conn.execute("COMMIT")

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
        sqlite_push.apply_change(
            conn, station_id, table, row_id, fields, self._clock.now, SERVER_DEVICE
        )
        save_clock(conn, self._clock.last)

    def close(self) -> None:
        self._writer.close()
        with self._readers_lock:
            for conn in self._readers:
                try:
                    conn.close()
                except sqlite3.Error:
                    pass
            self._readers.clear()
