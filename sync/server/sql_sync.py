"""Sync in the SQL storage (either engine): a pushed batch (merged by
:mod:`sync.server.push_merge`), the pull of a station's feed, the digest's verification, the
server's own writes, and the reads of the feed and the periods for the web pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from pzh_core import protocol
from pzh_core.china_tz import china_day
from sync.server import feed_history, period_store, push_merge, replica_digest, set_aside
from sync.server.db.conn import Conn
from sync.server.replica_write import lock_station
from sync.server.sql_base import SqlBase
from sync.server.storage import Device, FeedEntry, PullResult, PushResult


class SqlSync(SqlBase):
    """Pushes, pulls and server writes of :class:`sync.server.sql_storage.SqlStorage`."""

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
        def read(c: Conn) -> tuple[list[Any], int, tuple[str, str] | None, int | None]:
            rows = c.all(
                # ``replaced`` goes to every device: a copy of the pusher's file (a restored
                # backup, now a device of its own) may hold the stamp that was rewritten.
                "SELECT seq, tbl, row_id, stamp, fields, replaced, operator FROM srv_feed"
                " WHERE station_id = ? AND seq > ? AND (origin <> ? OR replaced IS NOT NULL)"
                " ORDER BY seq LIMIT ?",
                (device.station_id, cursor, device.id, limit + 1),
            )
            end = c.scalar("SELECT COALESCE(MAX(seq), 0) FROM srv_feed")
            # The root of the same snapshot: after this page the device holds what it describes.
            root = None if len(rows) > limit else replica_digest.roots(c, device.station_id)
            left = None
            if len(rows) > limit:  # a long pull: how much is left, for the desk's progress bar
                left = c.scalar(
                    "SELECT COUNT(*) FROM srv_feed WHERE station_id = ? AND seq > ?"
                    " AND (origin <> ? OR replaced IS NOT NULL)",
                    (device.station_id, rows[limit - 1]["seq"], device.id),
                )
            return rows, end, root, left

        # One snapshot: the entries, the feed's end and the digest agree. Feed appends take turns
        # until commit (replica_write.append_feed), so a snapshot holds every seq up to its end.
        rows, end, root, left = self.engine.read(read, snapshot=True)
        more = len(rows) > limit
        rows = rows[:limit]
        # the columns in FeedEntry's order (seq, tbl, row_id, stamp, fields, replaced, operator)
        entries = [FeedEntry._make(r) for r in rows]
        # With nothing more to send, jump to the feed's end: the entries skipped on the way
        # (other stations', the device's own) need not be scanned again next time.
        new_cursor = entries[-1].seq if more else max(cursor, end)
        return PullResult(
            changes=entries,
            cursor=new_cursor,
            more=more,
            digest=root[0] if root else None,
            values=root[1] if root else None,
            remaining=left,
        )

    def verify(
        self, device: Device, tables: dict[str, str], kind: str = "stamps"
    ) -> dict[str, str]:
        return self.engine.read(
            lambda c: replica_digest.differing_tables(c, device.station_id, tables, kind),
            snapshot=True,
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
            lock_station(c, station_id)
            row = period_store.current_row(c, table, row_id)
            fields = make(row if row is None or row["station_id"] == station_id else None)
            self._server_write(c, station_id, table, row_id, fields, operator)
            if audit is not None:
                self._audit(c, *audit, station_id)
            return fields

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
