"""Sync's writes to the replica: pulled changes, stamps the server rewrote, a station id that
came from the server, and setting back a clock that ran ahead. Every function runs inside the
caller's transaction (the sync client stores its cursor in the same one)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any

from pzh_core import hlc, schema, stored_clocks
from pzh_core.domain.annual_facts import value_fields
from pzh_core.domain.erasure import is_erasure
from pzh_station.store import annual, certificates, changelog
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
            replace_stamp(store, change["t"], change["id"], change["r"], change["s"], change["f"])
        operator = change.get("o")
        who = operator if isinstance(operator, str) else ""
        if store.apply_remote(change["t"], change["id"], station, change["f"], change["s"], who):
            tables.add(change["t"])
        if is_erasure(change["t"], change["f"]):
            certificates.scrub_logs(store, change["id"])  # erased on another PC (issue 13, §5)
    return tables


def replace_stamp(
    store: Store, table: str, row_id: str, old: str, new: str, fields: dict | None = None
) -> None:
    """The server rewrote a stamp of ours that was too far in the future (clamping): put its
    stamp where ours still stands, so this row agrees with the server's. After a re-key the
    row may hold that write under this device's id (``store.restamp``, same time and counter):
    it is the same write when it holds the values the server's entry has (``fields``)."""
    row = store.get(table, row_id)
    if row is None or not hlc.is_stamp(old):
        return
    clocks = stored_clocks.decode(table, row["clocks"])
    p = hlc.parse(old)
    mine = hlc.encode(p.ms, p.counter, store.clock.device)
    same = [f for f, s in clocks.items() if s == mine and fields and f in fields]
    if mine != old and same and all(row[f] == fields[f] for f in same if fields):
        old = mine
    if old not in clocks.values():
        return
    changelog.keep_old(store, table, row_id, clocks, [f for f, s in clocks.items() if s == old])
    cols = stored_clocks.row_columns(
        table, {f: (new if s == old else s) for f, s in clocks.items()}
    )
    store.conn.execute(
        f"UPDATE {table} SET clocks = ?, updated_at = ?, device_id = ? WHERE id = ?",
        (cols["clocks"], cols["updated_at"], cols["device_id"], row_id),
    )
    store.note_changed(table, pulled=True)


def set_station(store: Store, station_id: str, seed: dict[str, str]) -> dict[str, tuple]:
    """Take the server's station: move every local row from a station id made on this PC to it,
    hold back the profile typed here (:func:`hold_profile`), and seed the profile with the
    server's values at the lowest stamp (they are not pushed back). Returns the fields whose
    value typed here gave way to the server's: ``{field: (typed here, server's)}``."""
    old = store.station_id
    conn = store.conn
    if old and old != station_id:
        for table in schema.TABLES:
            conn.execute(
                f"UPDATE {table} SET station_id = ? WHERE station_id = ?", (station_id, old)
            )
        if conn.execute("SELECT 1 FROM stations WHERE id = ?", (station_id,)).fetchone():
            changelog.keep_row(store, "stations", station_id)
            conn.execute("DELETE FROM stations WHERE id = ?", (station_id,))
        conn.execute("UPDATE stations SET id = ? WHERE id = ?", (station_id, old))
        conn.execute(
            "UPDATE changes SET row_id = ? WHERE tbl = 'stations' AND row_id = ?",
            (station_id, old),
        )
        annual.hold_facts(store, station_id)  # the server's facts first (issue 13, §1)
        for table in schema.TABLES:
            store.note_changed(table, pulled=True)
    if old != station_id:
        put(store, station_id=station_id)
    adopted = hold_profile(store, station_id, seed)
    if seed:
        store.apply_remote("stations", station_id, station_id, seed, hlc.ZERO)
    store.note_changed("stations", pulled=True)
    return adopted


HELD_KEY = "held_profile"


def hold_profile(store: Store, station_id: str, seed: dict[str, str]) -> dict[str, tuple]:
    """A PC joining a station adopts the server's profile for the fields the server has; what
    it typed offline is kept only for the fields the server lacks (issue 12, situation 8). The
    profile typed here leaves the row and the outbox and waits in meta ``held_profile`` until
    the first complete pull (:func:`settle_profile`) shows which fields the server has; the
    fields the enrollment answer already names (name, county) are the server's at once."""
    row = store.get("stations", station_id)
    if row is None:
        return {}
    types = schema.fields_of("stations")
    clocks = stored_clocks.decode("stations", row["clocks"])
    typed = {f: row[f] for f, st in clocks.items() if f in types and st != hlc.ZERO}
    adopted = {f: (typed[f], seed[f]) for f in seed if f in typed and typed[f] != seed[f]}
    held = {f: v for f, v in typed.items() if f not in seed}
    store.conn.execute("DELETE FROM stations WHERE id = ?", (station_id,))
    store.conn.execute("DELETE FROM changes WHERE tbl = 'stations' AND row_id = ?", (station_id,))
    put(store, **{HELD_KEY: json.dumps(held, ensure_ascii=False) if held else ""})
    return adopted


def settle_profile(store: Store) -> dict[str, Any]:
    """After the first complete pull since enrolling: the held profile fields the server has no
    value for are written (and pushed); the others give way. Returns what was kept."""
    annual.settle_facts(store, value_fields())
    held = json.loads(store.meta(HELD_KEY) or "{}")
    if not held:
        return {}
    station = store.station_id or ""
    row = store.get("stations", station) or {}
    clocks = stored_clocks.decode("stations", row.get("clocks"))
    keep = {f: v for f, v in held.items() if clocks.get(f, hlc.ZERO) == hlc.ZERO}
    put(store, **{HELD_KEY: ""})
    if keep:
        store.write("stations", station, keep)
    return keep


def rewind_if_ahead(store: Store, limit_ms: int) -> int:
    """Set a clock that ran ahead of the server back — never below a stamp the file holds, and
    never rewriting one: history stays as it was written (issue 12, situation 3). Stamps pushed
    from the future are rewritten by the server and come back with ``"r"``
    (:func:`replace_stamp`); once they have, the clock follows them back.

    :returns: 0 (no row is re-stamped; kept for the callers' counts).
    """
    last = hlc.parse(store.clock.last)
    if last.ms <= limit_ms:
        return 0
    floor = hlc.encode(limit_ms, 0, store.clock.device)
    for table in schema.TABLES:
        top = store.conn.execute(f"SELECT max(updated_at) FROM {table}").fetchone()[0]
        if top and hlc.is_stamp(top) and top > floor:
            floor = top
    back = hlc.parse(floor)
    if (back.ms, back.counter) >= (last.ms, last.counter):
        return 0
    store.clock = hlc.HybridClock(
        store.clock.device,
        last=hlc.encode(back.ms, back.counter, store.clock.device),
        offset_ms=store.clock.offset_ms,
        wall=store.clock._wall,  # noqa: SLF001 - keep the same time source (tests skew it)
    )
    put(store, **{REWIND_KEY: store.clock.last, "hlc_last": store.clock.last})
    log.warning("clock was ahead of the server: set back to %s", store.clock.last)
    return 0
