"""Changes the city server set aside (docs/architecture.md decision 1; migration m0008).

The push answer lists a refused change under ``set_aside`` with the server's current value of the
fields it wrote (``current``). In the same transaction as the rest of the answer, the desk keeps
the refused change here (what, why) and puts the server's value back into the row — unless the
field was written again since — so the copies agree; a field the server does not hold goes back
to empty, and a row the server does not hold at all is removed. Staff see the list on the sync
page and in ``pzh-station sync-status``, re-enter the value correctly, or dismiss it.
"""

from __future__ import annotations

import json
from typing import Any

from pzh_core import schema, stored_clocks
from pzh_core.schema import encode_value
from pzh_station.store import changelog
from pzh_station.store.db import Store

EMPTY = {"text": "", "date": "", "time": "", "int": 0, "real": 0, "bool": False}


def take(store: Store, refused: list[dict[str, Any]]) -> int:
    """Keep each refused change and give its row the server's values back (caller's
    transaction). Returns how many were new here."""
    added = 0
    for item in refused:
        if not isinstance(item, dict) or item.get("table") not in schema.TABLES:
            continue
        table, row_id = item["table"], str(item.get("id", ""))
        logged = changelog.entries(store, "seq = ?", (item.get("seq"),))
        stamp, values = (logged[0]["stamp"], logged[0]["fields"]) if logged else ("", {})
        cur = store.conn.execute(
            "INSERT OR IGNORE INTO set_aside (seq, tbl, row_id, stamp, fields, code, message,"
            " errors) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                int(item.get("seq") or 0),
                table,
                row_id,
                stamp,
                json.dumps(values, ensure_ascii=False),
                str(item.get("code", "")),
                str(item.get("message", "")),
                json.dumps(item.get("errors") or {}, ensure_ascii=False),
            ),
        )
        added += cur.rowcount
        found = item.get("current")
        current: dict[str, Any] = found if isinstance(found, dict) else {}
        _restore(store, table, row_id, stamp, list(values), current)
    return added


def _restore(
    store: Store, table: str, row_id: str, stamp: str, names: list[str], current: dict
) -> None:
    """The server's value (and stamp) of each refused field, where the row still holds the
    refused stamp; empty where the server holds none."""
    row = store.get(table, row_id)
    if row is None:
        return
    types = schema.fields_of(table)
    clocks = stored_clocks.decode(table, row["clocks"]) if isinstance(row["clocks"], str) else {}
    values, stamps = current.get("f"), current.get("c")
    theirs_values: dict[str, Any] = values if isinstance(values, dict) else {}
    theirs_stamps: dict[str, Any] = stamps if isinstance(stamps, dict) else {}
    cols: dict[str, Any] = {}
    for name in names:
        if name not in types or clocks.get(name) != stamp:
            continue  # written again since: that newer value goes up on its own
        if name in theirs_values and isinstance(theirs_stamps.get(name), str):
            cols[name] = encode_value(types[name], theirs_values[name])
            clocks[name] = theirs_stamps[name]
        else:
            cols[name] = encode_value(types[name], EMPTY.get(types[name]))
            clocks.pop(name, None)
    if not cols:
        return
    changelog.keep_old(store, table, row_id, stored_clocks.decode(table, row["clocks"]), cols)
    if not clocks:
        store.conn.execute(f"DELETE FROM {table} WHERE id = ?", (row_id,))
    else:
        cols.update(stored_clocks.row_columns(table, clocks))
        sets = ", ".join(f"{c} = ?" for c in cols)
        store.conn.execute(f"UPDATE {table} SET {sets} WHERE id = ?", (*cols.values(), row_id))
    store.note_changed(table, pulled=True)
    store.note_changed("set_aside", pulled=True)


def open_items(store: Store) -> list[dict[str, Any]]:
    """The set-aside changes not dismissed, newest first, with values and errors decoded."""
    rows = store.query(
        "SELECT id, seq, tbl, row_id, fields, code, message, errors, created_at FROM set_aside"
        " WHERE dismissed = 0 ORDER BY id DESC"
    )
    for r in rows:
        r["fields"] = json.loads(r["fields"])
        r["errors"] = json.loads(r["errors"])
    return rows


def count_open(store: Store) -> int:
    return store.conn.execute("SELECT count(*) FROM set_aside WHERE dismissed = 0").fetchone()[0]


def dismiss(store: Store, item_id: int) -> None:
    with store.transaction():
        store.conn.execute("UPDATE set_aside SET dismissed = 1 WHERE id = ?", (item_id,))
    store.note_changed("set_aside")
