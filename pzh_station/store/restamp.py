"""At a re-key (docs/sync-client.md, "Device epoch"), the file's never-acknowledged writes take
the new device id as their stamps' node — the same time and counter — in the change log and in
the row fields that still carry those stamps (issue 12).

A restored backup or a copied folder may have issued, under the old id, the very stamps the lost
copy issued for other values (a clock that stood behind its own stamps gives the next counter
at the same time to both). Until the server acknowledges them, these writes are this file's
alone: with the new node no stamp is ever shared by two different writes, and the merge rule
(``pzh_core.merge``) orders them against the lost copy's like any two concurrent writes."""

from __future__ import annotations

from pzh_core import hlc, stored_clocks
from pzh_station.store import changelog
from pzh_station.store.db import Store


def pending_to_device(store: Store, old: str, new: str) -> int:
    """Re-stamp the change-log entries after the acked mark whose node is ``old`` and the row
    fields holding those stamps (caller's transaction). Returns how many entries moved."""
    acked = int(store.meta("sync_acked_seq") or 0)
    moved: dict[tuple[str, str], dict[str, str]] = {}
    updates: list[tuple[str, int]] = []
    for seq, table, row_id, stamp in store.conn.execute(
        "SELECT seq, tbl, row_id, stamp FROM changes WHERE seq > ? ORDER BY seq", (acked,)
    ).fetchall():
        if not hlc.is_stamp(stamp):
            continue
        s = hlc.parse(stamp)
        if s.device != old:
            continue
        fresh = hlc.encode(s.ms, s.counter, new)
        updates.append((fresh, seq))
        moved.setdefault((table, row_id), {})[stamp] = fresh
    for (table, row_id), stamps in moved.items():  # before the log moves (``keep_old``)
        _restamp_row(store, table, row_id, stamps)
    store.conn.executemany("UPDATE changes SET stamp = ? WHERE seq = ?", updates)
    return len(updates)


def _restamp_row(store: Store, table: str, row_id: str, stamps: dict[str, str]) -> None:
    row = store.conn.execute(f"SELECT clocks FROM {table} WHERE id = ?", (row_id,)).fetchone()
    if row is None:
        return
    clocks = stored_clocks.decode(table, row[0])
    names = [f for f, s in clocks.items() if s in stamps]
    if not names:
        return  # a later write (pulled) holds every field
    # An entry that reads these values from the row (``store.changelog``) keeps a copy first.
    changelog.keep_old(store, table, row_id, clocks, names)
    cols = stored_clocks.row_columns(table, {f: stamps.get(s, s) for f, s in clocks.items()})
    store.conn.execute(
        f"UPDATE {table} SET clocks = ?, updated_at = ?, device_id = ? WHERE id = ?",
        (cols["clocks"], cols["updated_at"], cols["device_id"], row_id),
    )
    store.note_changed(table)
