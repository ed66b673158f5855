"""The storage of the city server, on SQLite (embedded, the default) or PostgreSQL.

One implementation: its SQL is written once and runs on both engines through
:mod:`sync.server.db` (an engine gives transactions and reads, a dialect what differs). Every
write method is one transaction (``engine.write``); reads see committed state only. Merging
pushed and server-made changes is :mod:`sync.server.push_merge`; the tables are the numbered
migrations of :mod:`sync.server.db.migrations`.
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pzh_core import hlc, protocol
from pzh_core.queries import Db
from sync.server import feed_history, identity, period_store, push_merge, replica_digest, set_aside
from sync.server.db import open_engine
from sync.server.db.conn import Conn
from sync.server.db.engine import Engine
from sync.server.push_merge import SERVER_DEVICE, ServerClock
from sync.server.storage import (
    AuditEntry,
    Code,
    Device,
    FeedEntry,
    PullResult,
    PushResult,
    Station,
    Storage,
    StorageOpenError,
    china_day,
)

__all__ = ["SERVER_DEVICE", "SqlStorage", "open_storage", "SQLiteStorage"]
DEFAULT_CLAMP_MS = protocol.CLAMP_MS


def _station(row: Any) -> Station:
    return Station(
        id=row["id"], name=row["name"], county=row["county"], created_ms=row["created_ms"]
    )


def _code(row: Any) -> Code:
    return Code(**{k: row[k] for k in row.keys()})


def _device(row: Any) -> Device:
    return Device(**{k: row[k] for k in row.keys() if k != "token_hash"})


class SqlStorage(Storage):
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

    # -- reading ------------------------------------------------------------------------
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

    # -- stations and codes ---------------------------------------------------------------
    def create_station(
        self, name: str, county: str, *, station_id: str | None = None, actor: str = ""
    ) -> Station:
        sid = station_id or str(uuid.uuid4())

        def tx(c: Conn) -> Station:
            now = self.now()
            c.execute(
                "INSERT INTO srv_stations (id, name, county, created_ms) VALUES (?, ?, ?, ?)",
                (sid, name, county, now),
            )
            self._server_write(c, sid, "stations", sid, {"name": name, "county": county})
            if actor:
                self._audit(c, actor, "station.create", sid, f"{county} · {name}", sid)
            return Station(id=sid, name=name, county=county, created_ms=now)

        return self._write(tx)

    def rename_station(self, station_id: str, name: str, *, actor: str, reason: str) -> Station:
        def tx(c: Conn) -> Station:
            row = c.one(
                "SELECT * FROM srv_stations WHERE id = ?" + c.dialect.for_update, (station_id,)
            )
            if row is None:
                raise KeyError(station_id)
            c.execute("UPDATE srv_stations SET name = ? WHERE id = ?", (name, station_id))
            self._server_write(c, station_id, "stations", station_id, {"name": name})
            detail = f"{row['county']} · “{row['name']}”改为“{name}”"
            detail += f"（{reason}）" if reason else ""
            self._audit(c, actor, "station.rename", station_id, detail, station_id)
            return Station(
                id=station_id, name=name, county=row["county"], created_ms=row["created_ms"]
            )

        return self._write(tx)

    def _audit(
        self, c: Conn, actor: str, action: str, target: str, detail: str, station_id: str
    ) -> None:
        c.execute(
            "INSERT INTO srv_audit (ms, actor, action, target, station_id, detail)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (self.now(), actor, action, target, station_id, detail),
        )

    def audit(
        self, actor: str, action: str, target: str, detail: str, *, station_id: str = ""
    ) -> None:
        self._write(lambda c: self._audit(c, actor, action, target, detail, station_id))

    def list_audit(
        self,
        *,
        station_ids: Sequence[str] | None = None,
        actions: Sequence[str] | None = None,
        limit: int | None = 50,
    ) -> list[AuditEntry]:
        where: list[str] = []
        params: list[Any] = []
        for column, values in (("station_id", station_ids), ("action", actions)):
            if values is not None:
                vals = list(values)
                where.append(f"{column} IN ({','.join('?' * len(vals)) or 'NULL'})")
                params += vals
        sql = "SELECT id, ms, actor, action, target, station_id, detail FROM srv_audit"
        sql += (" WHERE " + " AND ".join(where)) if where else ""
        sql += " ORDER BY id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [AuditEntry(**dict(r)) for r in self._all(sql, params)]

    def get_station(self, station_id: str) -> Station | None:
        row = self._one("SELECT * FROM srv_stations WHERE id = ?", (station_id,))
        return _station(row) if row else None

    def list_stations(self) -> list[Station]:
        rows = self._all("SELECT * FROM srv_stations ORDER BY county, name")
        return [_station(r) for r in rows]

    def add_code(self, code: str, station_id: str, expires_ms: int) -> Code:
        def tx(c: Conn) -> Code:
            now = self.now()
            c.execute(
                "INSERT INTO srv_codes (code, station_id, created_ms, expires_ms)"
                " VALUES (?, ?, ?, ?)",
                (code, station_id, now, expires_ms),
            )
            return Code(code=code, station_id=station_id, created_ms=now, expires_ms=expires_ms)

        return self._write(tx)

    def list_codes(self, *, station_id: str | None = None) -> list[Code]:
        if station_id:
            rows = self._all(
                "SELECT * FROM srv_codes WHERE station_id = ? ORDER BY created_ms DESC",
                (station_id,),
            )
        else:
            rows = self._all("SELECT * FROM srv_codes ORDER BY created_ms DESC")
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
        def tx(c: Conn) -> tuple[Device, Station]:
            did, sid = identity.enroll(
                c,
                self.now(),
                code,
                token_hash=token_hash,
                device_name=device_name,
                app_version=app_version,
                device_id=device_id,
                request_id=request_id,
            )
            return self._device_and_station(c, did, sid)

        return self._write(tx)

    @staticmethod
    def _device_and_station(c: Conn, did: str, sid: str) -> tuple[Device, Station]:
        dev = c.one("SELECT * FROM srv_devices WHERE id = ?", (did,))
        st = c.one("SELECT * FROM srv_stations WHERE id = ?", (sid,))
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
        def tx(c: Conn) -> tuple[Device, Station]:
            did, sid = identity.rekey(
                c,
                self.now(),
                device.id,
                token_hash=token_hash,
                request_id=request_id,
                device_name=device_name,
                app_version=app_version,
            )
            return self._device_and_station(c, did, sid)

        return self._write(tx)

    def device_by_token(self, token_hash: str) -> Device | None:
        row = self._one("SELECT * FROM srv_devices WHERE token_hash = ?", (token_hash,))
        return _device(row) if row else None

    def get_device(self, device_id: str) -> Device | None:
        row = self._one("SELECT * FROM srv_devices WHERE id = ?", (device_id,))
        return _device(row) if row else None

    def list_devices(self, *, station_id: str | None = None) -> list[Device]:
        if station_id:
            rows = self._all(
                "SELECT * FROM srv_devices WHERE station_id = ? ORDER BY created_ms", (station_id,)
            )
        else:
            rows = self._all("SELECT * FROM srv_devices ORDER BY station_id, created_ms")
        return [_device(r) for r in rows]

    def revoke_device(self, device_id: str) -> Device | None:
        def tx(c: Conn) -> Device | None:
            c.execute(
                "UPDATE srv_devices SET revoked_ms = ?, revoke_reason = 'admin'"
                " WHERE id = ? AND revoked_ms IS NULL",
                (self.now(), device_id),
            )
            row = c.execute("SELECT * FROM srv_devices WHERE id = ?", (device_id,)).fetchone()
            return _device(row) if row else None

        return self._write(tx)

    def list_set_aside(self, *, limit: int = 500) -> list[dict[str, Any]]:
        return self.engine.read(lambda c: set_aside.listing(c, limit))

    def list_periods(self, stations: Sequence[str] | None = None) -> list[dict[str, Any]]:
        return self.engine.read(lambda c: period_store.period_rows(c, stations))

    def period_states(self, stations: Sequence[str], year: int) -> list[tuple[str, str, str]]:
        return self.engine.read(lambda c: period_store.period_states(c, stations, year))

    def record_history(self, station_id: str, table: str, row_id: str) -> list[Any]:
        return self.engine.read(lambda c: feed_history.entries(c, station_id, table, row_id))

    def recent_changes(self, station_id: str, limit: int = 100) -> list[dict[str, Any]]:
        return self.engine.read(lambda c: feed_history.recent(c, station_id, limit))

    def list_late_changes(self, stations: Sequence[str] | None = None) -> list[dict[str, Any]]:
        return self.engine.read(lambda c: period_store.late_rows(c, stations))

    def record_check(self, device_id: str, ok: bool, differs: str | None = None) -> None:
        def tx(c: Conn) -> None:
            c.execute(
                "UPDATE srv_devices SET digest_ok = ?, digest_ms = ?,"
                " digest_differs = COALESCE(?, digest_differs) WHERE id = ?",
                (1 if ok else 0, self.now(), differs, device_id),
            )

        self._write(tx)

    def record_error(self, device_id: str, message: str) -> None:
        def tx(c: Conn) -> None:
            now = self.now()
            c.execute(
                "UPDATE srv_devices SET last_error = ?, last_error_ms = ?, last_seen_ms = ?"
                " WHERE id = ?",
                (message[:500], now, now, device_id),
            )

        self._write(tx)

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
        def tx(c: Conn) -> PushResult:
            now = self.now()
            too_old = None
            if app_version is not None and protocol.version_key(app_version) < protocol.version_key(
                self.min_desk_version
            ):
                too_old = (app_version, self.min_desk_version)
            checks = push_merge.Rules(
                dt.date.fromisoformat(china_day(now)) + dt.timedelta(days=1), too_old
            )
            return push_merge.apply_push(
                c,
                device,
                changes,
                client_time_ms=client_time_ms,
                acked_seq=acked_seq,
                now=now,
                clamp_ms=self.clamp_ms,
                wall=self.now,
                checks=checks,
            )

        return self._write(tx)

    def pull(self, device: Device, cursor: int, limit: int) -> PullResult:
        def read(c: Conn) -> tuple[list[Any], int, str | None, int | None]:
            rows = c.all(
                # ``replaced`` goes to every device: a copy of the pusher's file (a restored
                # backup, now a device of its own) may hold the stamp that was rewritten.
                "SELECT seq, tbl, row_id, stamp, fields, operator, replaced FROM srv_feed"
                " WHERE station_id = ? AND seq > ? AND (origin <> ? OR replaced IS NOT NULL)"
                " ORDER BY seq LIMIT ?",
                (device.station_id, cursor, device.id, limit + 1),
            )
            end = c.scalar("SELECT COALESCE(MAX(seq), 0) FROM srv_feed")
            # The root of the same snapshot: after this page the device holds what it describes.
            root = None if len(rows) > limit else replica_digest.root(c, device.station_id)
            left = None
            if len(rows) > limit:  # a long pull: how much is left, for the desk's progress bar
                left = c.scalar(
                    "SELECT COUNT(*) FROM srv_feed WHERE station_id = ? AND seq > ?"
                    " AND (origin <> ? OR replaced IS NOT NULL)",
                    (device.station_id, rows[limit - 1]["seq"], device.id),
                )
            return rows, end, root, left

        # One snapshot: the entries, the feed's end and the digest agree. Feed appends take
        # turns until commit (push_merge.append_feed), so a snapshot holds every seq up to its end.
        rows, end, root, left = self.engine.read(read, snapshot=True)
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
                operator=r["operator"],
            )
            for r in rows
        ]
        # With nothing more to send, jump to the feed's end: the entries skipped on the way
        # (other stations', the device's own) need not be scanned again next time.
        new_cursor = entries[-1].seq if more else max(cursor, end)
        return PullResult(
            changes=entries, cursor=new_cursor, more=more, digest=root, remaining=left
        )

    def verify(self, device: Device, tables: dict[str, str]) -> dict[str, str]:
        return self.engine.read(
            lambda c: replica_digest.differing_tables(c, device.station_id, tables), snapshot=True
        )

    def fetch_buckets(self, device: Device, wanted: dict[str, list[int]]) -> list[list[Any]]:
        def read(c: Conn) -> list[list[Any]]:
            out: list[list[Any]] = []
            for table, buckets in wanted.items():
                out += replica_digest.rows_in_buckets(c, device.station_id, table, buckets)
            return out

        return self.engine.read(read, snapshot=True)

    def server_write(
        self,
        station_id: str,
        table: str,
        row_id: str,
        fields: dict[str, Any],
        *,
        operator: str = "",
    ) -> None:
        self._write(lambda c: self._server_write(c, station_id, table, row_id, fields, operator))

    def _server_write(
        self,
        c: Conn,
        station_id: str,
        table: str,
        row_id: str,
        fields: dict[str, Any],
        operator: str = "",
    ) -> bool:
        return push_merge.apply_change(
            c, station_id, table, row_id, fields, self._clock(c), operator=operator
        )

    def server_update(
        self,
        station_id: str,
        table: str,
        row_id: str,
        make: Callable[[dict[str, Any] | None], dict[str, Any]],
        *,
        operator: str = "",
        audit: tuple[str, str, str, str] | None = None,
    ) -> dict[str, Any]:
        def tx(c: Conn) -> dict[str, Any]:
            push_merge.lock_station(c, station_id)
            row = period_store.current_row(c, table, row_id)
            fields = make(row if row is None or row["station_id"] == station_id else None)
            self._server_write(c, station_id, table, row_id, fields, operator)
            if audit is not None:
                self._audit(c, *audit, station_id)
            return fields

        return self._write(tx)

    # -- shared state of the server processes ---------------------------------------------------
    def take_token(self, key: str, rate: float, burst: int) -> float:
        def tx(c: Conn) -> float:
            now = self.now()
            row = c.one(
                "SELECT tokens, last_ms FROM srv_throttle WHERE key = ?" + c.dialect.for_update,
                (key,),
            )
            tokens = float(burst)
            if row is not None:
                tokens = min(tokens, row[0] + max(0, now - row[1]) / 1000 * rate)
            wait = 0.0
            if tokens >= 1:
                tokens -= 1
            else:
                wait = (1 - tokens) / rate if rate > 0 else 3600.0
            c.execute(
                "INSERT INTO srv_throttle (key, tokens, last_ms) VALUES (?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET tokens = excluded.tokens,"
                " last_ms = excluded.last_ms",
                (key, tokens, now),
            )
            if random.random() < 0.01:  # buckets untouched for a day hold nothing worth keeping
                c.execute("DELETE FROM srv_throttle WHERE last_ms < ?", (now - 86_400_000,))
            return wait

        return self._write(tx)

    def close(self) -> None:
        self.engine.close()
        if self.figures_engine is not None:
            self.figures_engine.close()


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
