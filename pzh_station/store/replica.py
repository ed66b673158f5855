"""Sync's writes to the replica: pulled changes, stamps the server rewrote, a station id that
came from the server, and setting back a clock that ran ahead. Every function runs inside the
caller's transaction (the sync client stores its cursor in the same one)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any

from pzh_core import hlc, merge, schema
from pzh_station.store.db import Store
from pzh_station.store.sync_state import put

log = logging.getLogger(__name__)

REWIND_KEY = "clock_rewind"  # the stamp the clock was set back to, last time it was


def apply_feed(store: Store, feed: Iterable[dict[str, Any]]) -> set[str]:
    """Merge a page of the server's feed; returns the tables that received rows."""
    station = store.station_id or ""
    tables: set[str] = set()
    for change in feed:
        if change.get("r"):
            replace_stamp(store, change["t"], change["id"], change["r"], change["s"])
        if store.apply_remote(change["t"], change["id"], station, change["f"], change["s"]):
            tables.add(change["t"])
    return tables


def replace_stamp(store: Store, table: str, row_id: str, old: str, new: str) -> None:
    """The server rewrote a stamp of ours that was too far in the future (clamping): put its
    stamp where ours still stands, so this row agrees with the server's."""
    row = store.conn.execute(f"SELECT clocks FROM {table} WHERE id = ?", (row_id,)).fetchone()
    if row is None:
        return
    clocks = json.loads(row[0])
    if old not in clocks.values():
        return
    clocks = {f: (new if s == old else s) for f, s in clocks.items()}
    top = merge.row_stamp(clocks)
    store.conn.execute(
        f"UPDATE {table} SET clocks = ?, updated_at = ?, device_id = ? WHERE id = ?",
        (json.dumps(clocks, sort_keys=True), top, top.split(".", 2)[2], row_id),
    )
    store.note_changed(table, pulled=True)


def set_station(store: Store, station_id: str, seed: dict[str, str]) -> None:
    """Take the server's station: move every local row from a station id made on this PC to it
    (re-keying the profile row and its change-log entries, so the push describes the server's
    station), and seed the profile with the server's values at the lowest stamp — any real
    write wins over them, and they are not pushed back."""
    old = store.station_id
    conn = store.conn
    if old and old != station_id:
        for table in schema.TABLES:
            conn.execute(
                f"UPDATE {table} SET station_id = ? WHERE station_id = ?", (station_id, old)
            )
        if conn.execute("SELECT 1 FROM stations WHERE id = ?", (station_id,)).fetchone():
            conn.execute("DELETE FROM stations WHERE id = ?", (station_id,))
        conn.execute("UPDATE stations SET id = ? WHERE id = ?", (station_id, old))
        conn.execute(
            "UPDATE changes SET row_id = ? WHERE tbl = 'stations' AND row_id = ?",
            (station_id, old),
        )
        for table in schema.TABLES:
            store.note_changed(table, pulled=True)
    if old != station_id:
        put(store, station_id=station_id)
    if seed:
        store.apply_remote("stations", station_id, station_id, seed, hlc.ZERO)
    store.note_changed("stations", pulled=True)


def rewind_if_ahead(store: Store, limit_ms: int) -> int:
    """Re-stamp fields stamped after ``limit_ms`` and set the clock back.

    :returns: how many rows were re-stamped (0 when the clock was not ahead).
    """
    if hlc.parse(store.clock.last).ms <= limit_ms:
        return 0
    limit_stamp = hlc.encode(limit_ms, hlc.COUNTER_MAX, "\uffff")  # above every stamp at limit_ms
    device = store.clock.device
    # The clock restarts at the limit: new stamps sort after every stamp that stays.
    rewound = hlc.encode(limit_ms, 0, device)
    store.clock = hlc.HybridClock(
        device,
        last=rewound,
        offset_ms=store.clock.offset_ms,
        wall=store.clock._wall,  # noqa: SLF001 - keep the same time source (tests skew it)
    )
    rows = 0
    with store.transaction() as conn:
        for table in schema.TABLES:
            found = conn.execute(
                f"SELECT * FROM {table} WHERE updated_at > ?", (limit_stamp,)
            ).fetchall()
            for row in found:
                clocks = json.loads(row["clocks"])
                ahead = [f for f, s in clocks.items() if s > limit_stamp]
                # Lower the future stamps first, so the fresh write below wins over them.
                for f in ahead:
                    clocks[f] = hlc.ZERO
                conn.execute(
                    f"UPDATE {table} SET clocks = ? WHERE id = ?",
                    (json.dumps(clocks, sort_keys=True), row["id"]),
                )
                current = store.get(table, row["id"]) or {}
                store.write(table, row["id"], {f: current[f] for f in ahead})
                rows += 1
        put(store, **{REWIND_KEY: rewound, "hlc_last": store.clock.last})
    log.warning("clock was ahead of the server: re-stamped %d rows, clock set back", rows)
    return rows
