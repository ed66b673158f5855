"""Merging a pushed batch into the replica tables and the feed, on either engine.

:func:`apply_push` merges one pushed batch inside its transaction: each change is checked by the
rules (:class:`Rules`), merged through ``pzh_core.merge`` in memory, and what won is written by
:mod:`sync.server.replica_write` (rows, feed, the server's clock; its notes say how several
server processes take turns).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from typing import Any

from pzh_core import digest, merge, stored_clocks
from pzh_core.china_tz import china_day
from pzh_core.domain import erasure, rules
from sync.server import certificate_guard, clamps, erasure_store, identity, period_store, set_aside
from sync.server.db import aggregates
from sync.server.db.conn import Conn
from sync.server.replica_write import (
    RowState,
    ServerClock,
    append_feed,
    apply_change,
    compact,
    fetch_rows,
    lock_station,
    write_rows,
)
from sync.server.storage import REKEYED, BatchRejected, Device, PushResult


class Rules:
    """What a pushed change is checked against before it is merged (decision 1): the core's
    rules with the server's ``today``, or every change set aside for a desk too old."""

    def __init__(self, today: dt.date, too_old: tuple[str, str] | None = None) -> None:
        self.today = today
        self.too_old = too_old  # (the desk's version, the oldest accepted)
        self.periods: period_store.PeriodGuard | None = None  # bound by apply_push
        self.erased: erasure_store.ErasureGuard | None = None  # bound by apply_push
        self.numbers: certificate_guard.NumberGuard | None = None  # bound by apply_push

    def problem(
        self, table: str, state: RowState, fields: dict[str, Any], row_id: str = ""
    ) -> tuple[str, dict[str, str]] | None:
        if self.too_old:
            return "desk_too_old", rules.desk_too_old_errors(fields, *self.too_old)
        row = state.current() if state.exists or state.values else None
        if self.periods is not None:
            locked = self.periods.problem(table, row, fields)
            if locked:
                return locked
        found = rules.check_change(table, row, fields, today=self.today)
        if found is None and self.numbers is not None:
            found = self.numbers.problem(table, row_id, fields)
        if found is None and self.erased is not None:  # last: it notes the erasures it passes
            found = self.erased.problem(table, row_id, row, fields)
        return found


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
        # refused to keep an erasure: what the change said is not kept either (issue 13, §5)
        "fields": erasure.scrub(table, change["f"]) if code == erasure.CODE else change["f"],
        "code": code,
        "message": rules.set_aside_message(table, code, errors),
        "errors": errors,
        "current": {"f": {n: now.get(n) for n in held}, "c": {n: state.clocks[n] for n in held}},
    }


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
    dev = _pushing_device(conn, device)
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
    checks.erased = erasure_store.ErasureGuard(conn, station)
    checks.numbers = certificate_guard.NumberGuard(conn, station)
    stamps = [c["s"] for _, c in todo]
    rows, feed, jsons = _merge_batch(
        todo,
        fetch_rows(conn, todo),
        station,
        device.id,
        clamps.Clamps(conn, station, ServerClock(conn, wall), now + clamp_ms, stamps, device.id),
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
    _record_seen(conn, device.id, todo, jsons)
    result.feed_added = len(feed)
    result.acked_seq = todo[-1][1]["seq"] if todo else applied
    _record_sync(conn, dev, device.id, result, now=now, client_time_ms=client_time_ms)
    erased = _erased_people(feed)
    append_feed(conn, feed)
    _complete_erasures(conn, station, erased, ServerClock(conn, wall))
    _keep_late(conn, station, device.id, late, ServerClock(conn, wall))
    return result


def _pushing_device(conn: Conn, device: Device) -> Any:
    """The pushing device's row, its station locked first; refuses a revoked device (403) and
    one re-keyed by another copy of its file (409)."""
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
    return dev


def _record_seen(
    conn: Conn, device_id: str, todo: Sequence[tuple[int, dict[str, Any]]], jsons: list[str]
) -> None:
    """Each seq's stamp and change hash (``srv_seen``: a resent seq must be the same change)."""
    conn.insert_many(
        "INSERT INTO srv_seen (device_id, seq, stamp, body)",
        # seqs rise within a batch: no two rows hit one key
        [
            (device_id, c["seq"], c["s"], identity.change_body(c, fields_json))
            for (_, c), fields_json in zip(todo, jsons, strict=True)
        ],
        " ON CONFLICT (device_id, seq) DO UPDATE SET stamp = excluded.stamp, body = excluded.body",
    )


def _erased_people(feed: Sequence[tuple[Any, ...]]) -> list[str]:
    """The people a batch's feed entries erase: only a change of ``people`` that names
    ``erased_on`` can (its fields parsed only then)."""
    return [
        e[2]
        for e in feed
        if e[1] == "people" and '"erased_on"' in e[4] and erasure.is_erasure(e[1], json.loads(e[4]))
    ]


def _complete_erasures(conn: Conn, station: str, erased: list[str], clock: ServerClock) -> None:
    """Issue 13, §5: the erasure of each person in ``erased`` wins over the fields still
    unerased, and no log keeps the data."""
    for person_id in erased:
        for table, row_id, fields in erasure_store.unerased(conn, person_id):
            apply_change(conn, station, table, row_id, fields, clock)
        erasure_store.scrub_logs(conn, station, person_id)
        identity.forget_bodies(conn, station)  # a hash of a change could confirm a guess


def _keep_late(
    conn: Conn, station: str, device_id: str, late: list[dict[str, Any]], clock: ServerClock
) -> None:
    """A change to a locked period is kept for the county to accept or reject (issue 14)."""
    for it in late:
        rid = period_store.late_change_id(device_id, it["seq"])
        apply_change(
            conn, station, "late_changes", rid, period_store.late_fields(device_id, it), clock
        )


def _merge_batch(
    todo: Sequence[tuple[int, dict[str, Any]]],
    existing: dict[tuple[str, str], tuple[str, str, dict[str, Any]]],
    station: str,
    origin: str,
    clamp: clamps.Clamps,
    result: PushResult,
    checks: Rules,
) -> tuple[dict[tuple[str, str], RowState], list[tuple[Any, ...]], list[str]]:
    """Merge each change into its row's state (in memory); the feed entries of what won, and
    each change's fields as ``digest.sorted_json`` (for its hash, and the feed's when all won).
    A change the rules refuse is set aside (``result.set_aside``) and merges nothing."""
    rows: dict[tuple[str, str], RowState] = {}
    feed: list[tuple[Any, ...]] = []
    jsons: list[str] = []
    for index, change in todo:
        table, row_id, stamp, fields = change["t"], change["id"], change["s"], change["f"]
        fields_json = digest.sorted_json(fields)
        jsons.append(fields_json)
        state = rows.get((table, row_id))
        if state is None:
            state = rows[(table, row_id)] = _row_state(index, table, row_id, station, existing)
        problem = checks.problem(table, state, fields, row_id)
        if problem is not None:
            result.set_aside.append(_set_aside_item(change, state, *problem))
            continue
        # Too far in the future: a server stamp, the same each time this write comes.
        stamp, replaced = clamp.stamp(stamp, state.clocks.values(), fields)
        won, state.clocks = merge.merge(state.clocks, fields, stamp)
        if won:
            state.values.update(won)
            if checks.periods is not None:
                checks.periods.merged(table, row_id, state.current())
            operator = change.get("o") or ""
            text = fields_json if len(won) == len(fields) else compact(won)
            feed.append((station, table, row_id, stamp, text, origin, replaced, operator))
        result.applied += 1
    result.clamped += clamp.count
    return rows, feed, jsons


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
    return RowState(stored_clocks.decode(table, found[1]), True, found[2])


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
