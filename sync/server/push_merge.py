"""Merging changes into the replica tables and the feed, on either engine.

:func:`apply_push` merges one pushed batch inside its transaction; :func:`apply_change` merges
one change the server writes itself. Both go through ``pzh_core.merge`` and append what won to
``srv_feed`` through :func:`append_feed`, the one place that writes the feed.

Concurrency (several server processes on PostgreSQL): a transaction that writes a station's
replica rows first locks that station's ``srv_stations`` row (:func:`lock_station`), so two
devices of one station, or a device and the server, merge one after the other and never lose a
field; the feed is appended last, under the feed lock held until commit, so seqs become visible
in order. The server's clock is the ``hlc_last`` row of ``srv_meta`` (:class:`ServerClock`),
locked only by the transactions that stamp something, so two processes never issue one stamp.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from pzh_core import hlc, merge, schema
from pzh_core.domain import certificate, rules
from sync.server import clamps, identity, period_store, replica_digest, set_aside
from sync.server.db import aggregates
from sync.server.db.conn import Conn
from sync.server.storage import REKEYED, BatchRejected, Device, PushResult, china_day

SERVER_DEVICE = "server"  # device part of stamps made by the server itself

CHUNK = 500  # ids per ``IN (…)``: well under SQLite's parameter limit

_FEED_INSERT = (
    "INSERT INTO srv_feed (station_id, tbl, row_id, stamp, fields, origin, replaced, operator)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


class RowState:
    """A row while a batch is merged into it: its field stamps, the values that won, whether it
    exists in the table already, and its values before the batch (for the rules' checks)."""

    __slots__ = ("clocks", "before", "values", "exists", "base")

    def __init__(
        self, clocks: dict[str, str], exists: bool, base: dict[str, Any] | None = None
    ) -> None:
        self.clocks = clocks
        self.before = dict(clocks)  # the field stamps before the batch (for the digest)
        self.values: dict[str, Any] = {}
        self.exists = exists
        self.base = base or {}

    def current(self) -> dict[str, Any]:
        return {**self.base, **self.values}


class Rules:
    """What a pushed change is checked against before it is merged (decision 1): the core's
    rules with the server's ``today``, or every change set aside for a desk too old."""

    def __init__(self, today: dt.date, too_old: tuple[str, str] | None = None) -> None:
        self.today = today
        self.too_old = too_old  # (the desk's version, the oldest accepted)
        self.periods: period_store.PeriodGuard | None = None  # bound by apply_push

    def problem(
        self, table: str, state: RowState, fields: dict[str, Any]
    ) -> tuple[str, dict[str, str]] | None:
        if self.too_old:
            return "desk_too_old", rules.desk_too_old_errors(fields, *self.too_old)
        if self.periods is not None:
            row = state.current() if state.exists or state.values else None
            locked = self.periods.problem(table, row, fields)
            if locked:
                return locked
        return rules.check_change(
            table, state.current() if state.exists or state.values else None, fields,
            today=self.today,
        )  # fmt: skip


def _set_aside_item(
    change: dict[str, Any], state: RowState, code: str, errors: dict[str, str]
) -> dict[str, Any]:
    """The answer's entry for a change set aside, with the server's current value and stamp of
    each field it wrote (``current``; a field absent there is one the server does not hold)."""
    table = change["t"]
    now = state.current()
    held = [n for n in change["f"] if n in state.clocks]
    return {
        "seq": change["seq"],
        "table": table,
        "id": change["id"],
        "stamp": change["s"],
        "fields": change["f"],
        "code": code,
        "message": rules.set_aside_message(table, code, errors),
        "errors": errors,
        "current": {"f": {n: now.get(n) for n in held}, "c": {n: state.clocks[n] for n in held}},
    }


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _row_meta(clocks: dict[str, str]) -> list[str]:
    """``updated_at``, ``device_id`` and ``clocks`` of a row with these field stamps."""
    top = merge.row_stamp(clocks)
    return [top, top.split(".", 2)[2], json.dumps(clocks, sort_keys=True, separators=(",", ":"))]


def lock_station(c: Conn, station_id: str) -> bool:
    """Lock a station's row until the transaction ends (PostgreSQL): every transaction that
    writes the station's replica rows takes it first. False when there is no such station."""
    return (
        c.one("SELECT id FROM srv_stations WHERE id = ?" + c.dialect.for_update, (station_id,))
        is not None
    )


class ServerClock:
    """The server's hybrid clock within one transaction: read (and locked) from ``srv_meta`` at
    the first stamp, written back after each, so every process continues the one sequence."""

    def __init__(self, c: Conn, wall: Callable[[], int]) -> None:
        self._c = c
        self._wall = wall
        self._clock: hlc.HybridClock | None = None
        self._seen = hlc.ZERO

    def observe(self, stamp: str) -> None:
        """Remember a stamp of this transaction; the next server stamp comes after it."""
        self._seen = max(self._seen, stamp)

    def now(self, observed: Iterable[str] = ()) -> str:
        """A new server stamp, after every stamp issued before, every one observed in this
        transaction and every one in ``observed`` (the stamps of the row it will be merged into,
        so it wins there)."""
        if self._clock is None:
            row = self._c.one(
                "SELECT value FROM srv_meta WHERE key = 'hlc_last'" + self._c.dialect.for_update
            )
            self._clock = hlc.HybridClock(
                SERVER_DEVICE, last=row[0] if row else None, wall=self._wall
            )
        for stamp in (self._seen, *observed):
            if stamp != hlc.ZERO:
                self._clock.observe(stamp)
        made = self._clock.now()
        self._c.execute(
            "INSERT INTO srv_meta (key, value) VALUES ('hlc_last', ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (made,),
        )
        return made


def append_feed(c: Conn, entries: Sequence[tuple[Any, ...]]) -> None:
    """Append ``(station_id, tbl, row_id, stamp, fields, origin, replaced, operator)`` entries to
    the feed:
    the last writes of a transaction, under the feed lock (see the module's notes)."""
    if entries:
        c.lock_feed()
        c.executemany(_FEED_INSERT, entries)


def apply_push(
    conn: Conn,
    device: Device,
    changes: Sequence[dict[str, Any]],
    *,
    client_time_ms: int | None,
    acked_seq: int | None = None,
    now: int,
    clamp_ms: int,
    wall: Callable[[], int],
    checks: Rules | None = None,
) -> PushResult:
    """Merge a pushed batch: skip seqs already held, merge the rest, record the device's state.

    Raises :class:`BatchRejected` (the transaction then rolls back whole)."""
    lock_station(conn, device.station_id)
    dev = conn.execute(
        "SELECT station_id, revoked_ms, revoke_reason, applied_seq, changes_day, changes_today"
        " FROM srv_devices WHERE id = ?",
        (device.id,),
    ).fetchone()
    if dev is None or dev["revoked_ms"] is not None:
        if dev is not None and dev["revoke_reason"] == REKEYED:
            identity.forked(dev["applied_seq"], "device re-keyed by another copy of its file")
        raise BatchRejected(403, "device_revoked", "device revoked")
    station, applied = dev["station_id"], dev["applied_seq"]
    # A history that is not the server's for this device (restore, copy, unseen seq): 409.
    identity.check_epoch(conn, device.id, applied, acked_seq, changes)
    result = PushResult(acked_seq=applied)
    todo = [(i, c) for i, c in enumerate(changes) if c["seq"] > applied]
    result.skipped = len(changes) - len(todo)
    # Few statements per batch, not per row: each database call gives the GIL away and, on
    # PostgreSQL, costs a round trip (see docs/benchmarks.md).
    checks = checks or Rules(dt.date.fromisoformat(china_day(now)) + dt.timedelta(days=1))
    checks.periods = period_store.PeriodGuard(conn, station, dt.date.fromisoformat(china_day(now)))
    stamps = [c["s"] for _, c in todo]
    rows, feed = _merge_batch(
        todo,
        fetch_rows(conn, todo),
        station,
        device.id,
        clamps.Clamps(conn, station, ServerClock(conn, wall), now + clamp_ms, stamps),
        result,
        checks,
    )
    set_aside.record(conn, station, device.id, result.set_aside, now)
    late = [it for it in result.set_aside if it["code"] == "locked"]
    write_rows(conn, station, rows)
    # A resent batch whose answer was lost: list again what was set aside from it.
    resent = [c["seq"] for c in changes if c["seq"] <= applied]
    result.set_aside = set_aside.for_seqs(conn, device.id, resent) + result.set_aside
    aggregates.after_write(conn, station, rows)
    conn.executemany(
        "INSERT INTO srv_seen (device_id, seq, stamp, body) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (device_id, seq) DO UPDATE SET stamp = excluded.stamp, body = excluded.body",
        [(device.id, c["seq"], c["s"], identity.change_body(c)) for _, c in todo],
    )
    result.feed_added = len(feed)
    result.acked_seq = todo[-1][1]["seq"] if todo else applied
    _record_sync(conn, dev, device.id, result, now=now, client_time_ms=client_time_ms)
    for entry in feed:
        if certificate.is_erasure(entry[1], json.loads(entry[4])):
            scrub_erased(conn, station, entry[2])
    append_feed(conn, feed)
    # A change to a locked period is kept for the county to accept or reject (issue 14).
    late_clock = ServerClock(conn, wall)
    for it in late:
        rid = period_store.late_change_id(device.id, it["seq"])
        apply_change(
            conn, station, "late_changes", rid, period_store.late_fields(device.id, it), late_clock
        )
    return result


def scrub_erased(conn: Conn, station: str, person_id: str) -> int:
    """A person's personal data was erased on request (issue 13, §5): replace the erased values
    in the feed and the set-aside list as well (stamps stay), so the server keeps none of it.
    :returns: entries changed."""
    changed = 0
    for table, row_id in certificate.erased_rows(person_id):
        for log, key in (("srv_feed", "seq"), ("srv_set_aside", "id")):
            for r in conn.execute(
                f"SELECT {key}, fields FROM {log} WHERE station_id = ? AND tbl = ? AND row_id = ?",
                (station, table, row_id),
            ).fetchall():
                old = json.loads(r[1] or "{}")
                new = certificate.scrub(table, old)
                if new != old:
                    conn.execute(
                        f"UPDATE {log} SET fields = ? WHERE {key} = ?", (_compact(new), r[0])
                    )
                    changed += 1
    identity.forget_bodies(conn, station)
    return changed


def _merge_batch(
    todo: Sequence[tuple[int, dict[str, Any]]],
    existing: dict[tuple[str, str], tuple[str, str, dict[str, Any]]],
    station: str,
    origin: str,
    clamp: clamps.Clamps,
    result: PushResult,
    checks: Rules,
) -> tuple[dict[tuple[str, str], RowState], list[tuple[Any, ...]]]:
    """Merge each change into its row's state (in memory); the feed entries of what won.
    A change the rules refuse is set aside (``result.set_aside``) and merges nothing."""
    rows: dict[tuple[str, str], RowState] = {}
    feed: list[tuple[Any, ...]] = []
    for index, change in todo:
        table, row_id, stamp, fields = change["t"], change["id"], change["s"], change["f"]
        state = rows.get((table, row_id))
        if state is None:
            state = rows[(table, row_id)] = _row_state(index, table, row_id, station, existing)
        problem = checks.problem(table, state, fields)
        if problem is not None:
            result.set_aside.append(_set_aside_item(change, state, *problem))
            continue
        # Too far in the future: a server stamp, the same each time this write comes.
        stamp, replaced = clamp.stamp(stamp, state.clocks.values())
        won, state.clocks = merge.merge(state.clocks, fields, stamp)
        if won:
            state.values.update(won)
            if checks.periods is not None:
                checks.periods.merged(table, row_id, state.current())
            operator = change.get("o") or ""
            feed.append((station, table, row_id, stamp, _compact(won), origin, replaced, operator))
        result.applied += 1
    result.clamped += clamp.count
    return rows, feed


def _row_state(
    index: int,
    table: str,
    row_id: str,
    station: str,
    existing: dict[tuple[str, str], tuple[str, str, dict[str, Any]]],
) -> RowState:
    """The state of a row a batch touches first; refuses rows of another station."""
    if table == "stations" and row_id != station:
        raise BatchRejected(
            403, "foreign_row", f"stations row {row_id} is not this device's station", index=index
        )
    found = existing.get((table, row_id))
    if found is not None and found[0] != station:
        raise BatchRejected(
            403, "foreign_row", f"{table} row {row_id} belongs to another station", index=index
        )
    if found is None:
        return RowState({}, False)
    return RowState(json.loads(found[1]), True, found[2])


def _record_sync(
    conn: Conn,
    dev: Any,
    device_id: str,
    result: PushResult,
    *,
    now: int,
    client_time_ms: int | None,
) -> None:
    """The device's state after a push: seq held, last sync, today's count, clock skew."""
    day = china_day(now)
    today = (dev["changes_today"] if dev["changes_day"] == day else 0) + result.applied
    skew = client_time_ms - now if client_time_ms is not None else None
    conn.execute(
        "UPDATE srv_devices SET applied_seq = ?, last_sync_ms = ?, last_seen_ms = ?,"
        " changes_day = ?, changes_today = ?, skew_ms = COALESCE(?, skew_ms),"
        " clamped_total = clamped_total + ?, last_error = '', last_error_ms = NULL WHERE id = ?",
        (result.acked_seq, now, now, day, today, skew, result.clamped, device_id),
    )


def _decode(table: str, row: Any) -> dict[str, Any]:
    """A replica row's field values as a change carries them (lists and objects parsed)."""
    return {
        name: schema.decode_value(kind, row[name]) for name, kind in schema.TABLES[table].items()
    }


def fetch_rows(
    conn: Conn, todo: Sequence[tuple[int, dict[str, Any]]]
) -> dict[tuple[str, str], tuple[str, str, dict[str, Any]]]:
    """``(table, id) -> (station_id, clocks, field values)`` of the rows a batch touches that
    exist."""
    ids: dict[str, set[str]] = {}
    for _, change in todo:
        ids.setdefault(change["t"], set()).add(change["id"])
    found: dict[tuple[str, str], tuple[str, str, dict[str, Any]]] = {}
    for table, wanted in ids.items():
        listed = sorted(wanted)
        for i in range(0, len(listed), CHUNK):
            chunk = listed[i : i + CHUNK]
            marks = ",".join("?" * len(chunk))
            for r in conn.execute(f"SELECT * FROM {table} WHERE id IN ({marks})", chunk):
                found[(table, r["id"])] = (r["station_id"], r["clocks"], _decode(table, r))
    return found


def write_rows(conn: Conn, station: str, rows: dict[tuple[str, str], RowState]) -> None:
    """Write the merged rows of a batch, grouped so that each shape is one executemany."""
    groups: dict[tuple[str, bool, tuple[str, ...]], list[tuple[Any, ...]]] = {}
    deltas: dict[tuple[str, str, int], int] = {}
    for (table, row_id), state in rows.items():
        if not state.values:
            continue
        replica_digest.row_delta(deltas, station, table, row_id, state.before, state.clocks)
        types = schema.TABLES[table]
        names = tuple(sorted(state.values))
        values = [schema.encode_value(types[n], state.values[n]) for n in names]
        meta = _row_meta(state.clocks)
        if state.exists:
            groups.setdefault((table, True, names), []).append((*values, *meta, row_id))
        else:
            groups.setdefault((table, False, names), []).append((row_id, station, *values, *meta))
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
    replica_digest.apply(conn, deltas)  # the station's digest moves with its rows


def apply_change(
    conn: Conn,
    station: str,
    table: str,
    row_id: str,
    fields: dict[str, Any],
    clock: ServerClock,
    origin: str = SERVER_DEVICE,
    operator: str = "",
) -> bool:
    """Merge one change the server makes, stamped by ``clock`` once it is known to be valid and
    after the row's own stamps (so it wins), into its replica row; append what won to the feed.

    Raises ``KeyError`` for fields the table does not sync and ``ValueError`` for a row of
    another station."""
    types = schema.fields_of(table)
    unknown = set(fields) - set(types)
    if unknown:
        raise KeyError(f"{table} has no synced fields {sorted(unknown)}")
    lock_station(conn, station)
    row = conn.execute(f"SELECT station_id, clocks FROM {table} WHERE id = ?", (row_id,)).fetchone()
    if row is not None and row["station_id"] != station:
        raise ValueError(f"{table} row {row_id} belongs to another station")
    state = RowState(json.loads(row["clocks"]) if row is not None else {}, row is not None)
    made = clock.now(state.clocks.values())
    won, state.clocks = merge.merge(state.clocks, dict(fields), made)
    if not won:
        return False
    state.values.update(won)
    write_rows(conn, station, {(table, row_id): state})
    aggregates.after_write(conn, station, {(table, row_id): state})
    append_feed(conn, [(station, table, row_id, made, _compact(won), origin, None, operator)])
    return True
