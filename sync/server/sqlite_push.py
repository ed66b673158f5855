"""Merging changes into the embedded storage's replica tables and its feed.

:func:`apply_push` merges one pushed batch (on the writer thread, inside its transaction);
:func:`apply_change` merges one change the server writes itself. Both go through
``pzh_core.merge`` and append what won to ``srv_feed``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from pzh_core import hlc, merge, schema
from sync.server.storage import BatchRejected, Device, PushResult, china_day

CHUNK = 500  # ids per ``IN (…)``: well under SQLite's parameter limit

_FEED_INSERT = (
    "INSERT INTO srv_feed (station_id, tbl, row_id, stamp, fields, origin, replaced)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)


class RowState:
    """A row while a batch is merged into it: its field stamps, the values that won, and
    whether it exists in the table already."""

    __slots__ = ("clocks", "values", "exists")

    def __init__(self, clocks: dict[str, str], exists: bool) -> None:
        self.clocks = clocks
        self.values: dict[str, Any] = {}
        self.exists = exists


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _row_meta(clocks: dict[str, str]) -> list[str]:
    """``updated_at``, ``device_id`` and ``clocks`` of a row with these field stamps."""
    top = merge.row_stamp(clocks)
    return [top, top.split(".", 2)[2], json.dumps(clocks, sort_keys=True, separators=(",", ":"))]


def apply_push(
    conn: sqlite3.Connection,
    clock: hlc.HybridClock,
    device: Device,
    changes: Sequence[dict[str, Any]],
    *,
    client_time_ms: int | None,
    now: int,
    clamp_ms: int,
) -> PushResult:
    """Merge a pushed batch: skip seqs already held, merge the rest, record the device's state.

    Raises :class:`BatchRejected` (the transaction then rolls back whole)."""
    dev = conn.execute(
        "SELECT station_id, revoked_ms, applied_seq, changes_day, changes_today"
        " FROM srv_devices WHERE id = ?",
        (device.id,),
    ).fetchone()
    if dev is None or dev["revoked_ms"] is not None:
        raise BatchRejected(403, "device_revoked", "device revoked")
    station, applied = dev["station_id"], dev["applied_seq"]
    result = PushResult(acked_seq=applied)
    todo = [(i, c) for i, c in enumerate(changes) if c["seq"] > applied]
    result.skipped = len(changes) - len(todo)
    if result.skipped:
        resent = [(i, c) for i, c in enumerate(changes) if c["seq"] <= applied]
        check_resent(conn, device.id, resent)
    # Few statements per batch, not per row: the writer thread shares the GIL with every
    # request being parsed, and each SQLite call gives it away (see docs/benchmarks.md).
    rows, feed = _merge_batch(
        todo, fetch_rows(conn, todo), station, device.id, clock, now + clamp_ms, result
    )
    write_rows(conn, station, rows)
    conn.executemany(_FEED_INSERT, feed)
    conn.executemany(
        "INSERT OR REPLACE INTO srv_seen (device_id, seq, stamp) VALUES (?, ?, ?)",
        [(device.id, c["seq"], c["s"]) for _, c in todo],
    )
    result.feed_added = len(feed)
    result.acked_seq = todo[-1][1]["seq"] if todo else applied
    _record_sync(conn, dev, device.id, result, now=now, client_time_ms=client_time_ms)
    return result


def _merge_batch(
    todo: Sequence[tuple[int, dict[str, Any]]],
    existing: dict[tuple[str, str], tuple[str, str]],
    station: str,
    origin: str,
    clock: hlc.HybridClock,
    limit_ms: int,
    result: PushResult,
) -> tuple[dict[tuple[str, str], RowState], list[tuple[Any, ...]]]:
    """Merge each change into its row's state (in memory); the feed entries of what won."""
    rows: dict[tuple[str, str], RowState] = {}
    feed: list[tuple[Any, ...]] = []
    for index, change in todo:
        table, row_id, stamp, fields = change["t"], change["id"], change["s"], change["f"]
        state = rows.get((table, row_id))
        if state is None:
            state = rows[(table, row_id)] = _row_state(index, table, row_id, station, existing)
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
            feed.append((station, table, row_id, stamp, _compact(won), origin, replaced))
        result.applied += 1
    return rows, feed


def _row_state(
    index: int,
    table: str,
    row_id: str,
    station: str,
    existing: dict[tuple[str, str], tuple[str, str]],
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
    return RowState(json.loads(found[1]) if found else {}, found is not None)


def _record_sync(
    conn: sqlite3.Connection,
    dev: sqlite3.Row,
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


def check_resent(
    conn: sqlite3.Connection, device_id: str, resent: Sequence[tuple[int, dict[str, Any]]]
) -> None:
    """Refuse (409) a resent seq whose stamp differs from the one applied under that seq."""
    seen: dict[int, str] = {}
    seqs = [c["seq"] for _, c in resent]
    for i in range(0, len(seqs), CHUNK):
        chunk = seqs[i : i + CHUNK]
        marks = ",".join("?" * len(chunk))
        for seq, stamp in conn.execute(
            f"SELECT seq, stamp FROM srv_seen WHERE device_id = ? AND seq IN ({marks})",
            (device_id, *chunk),
        ):
            seen[seq] = stamp
    for index, change in resent:
        held = seen.get(change["seq"])
        if held is not None and held != change["s"]:
            raise BatchRejected(
                409,
                "seq_reused",
                f"seq {change['seq']} was applied with another stamp",
                index=index,
            )


def fetch_rows(
    conn: sqlite3.Connection, todo: Sequence[tuple[int, dict[str, Any]]]
) -> dict[tuple[str, str], tuple[str, str]]:
    """``(table, id) -> (station_id, clocks)`` of the rows a batch touches that exist."""
    ids: dict[str, set[str]] = {}
    for _, change in todo:
        ids.setdefault(change["t"], set()).add(change["id"])
    found: dict[tuple[str, str], tuple[str, str]] = {}
    for table, wanted in ids.items():
        listed = sorted(wanted)
        for i in range(0, len(listed), CHUNK):
            chunk = listed[i : i + CHUNK]
            marks = ",".join("?" * len(chunk))
            for r in conn.execute(
                f"SELECT id, station_id, clocks FROM {table} WHERE id IN ({marks})", chunk
            ):
                found[(table, r[0])] = (r[1], r[2])
    return found


def write_rows(
    conn: sqlite3.Connection, station: str, rows: dict[tuple[str, str], RowState]
) -> None:
    """Write the merged rows of a batch, grouped so that each shape is one executemany."""
    groups: dict[tuple[str, bool, tuple[str, ...]], list[tuple[Any, ...]]] = {}
    for (table, row_id), state in rows.items():
        if not state.values:
            continue
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


def apply_change(
    conn: sqlite3.Connection,
    station: str,
    table: str,
    row_id: str,
    fields: dict[str, Any],
    stamp: Callable[[], str],
    origin: str,
) -> bool:
    """Merge one change, stamped by ``stamp()`` once it is known to be valid, into its replica
    row and append what won to the feed.

    Raises ``KeyError`` for fields the table does not sync and ``ValueError`` for a row of
    another station."""
    types = schema.fields_of(table)
    unknown = set(fields) - set(types)
    if unknown:
        raise KeyError(f"{table} has no synced fields {sorted(unknown)}")
    row = conn.execute(f"SELECT station_id, clocks FROM {table} WHERE id = ?", (row_id,)).fetchone()
    if row is not None and row["station_id"] != station:
        raise ValueError(f"{table} row {row_id} belongs to another station")
    state = RowState(json.loads(row["clocks"]) if row is not None else {}, row is not None)
    made = stamp()
    won, state.clocks = merge.merge(state.clocks, dict(fields), made)
    if not won:
        return False
    state.values.update(won)
    write_rows(conn, station, {(table, row_id): state})
    conn.execute(_FEED_INSERT, (station, table, row_id, made, _compact(won), origin, None))
    return True
