"""Changes the server set aside (docs/architecture.md, decision 1): a well-formed change that a
rule refuses is kept here — station, device, seq, the change, code, Chinese message, time —
shown on the sync-health page; the rest of its batch applies and its seq counts as received.

Functions run inside the storage's writer transaction (or on a reader connection for listing).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pzh_core import schema, stored_clocks
from sync.server.db.conn import Conn

# The table is migration 4 (sync/server/db/migrations.py).


def record(
    conn: Conn, station: str, device: str, items: Sequence[dict[str, Any]], now: int
) -> None:
    conn.executemany(
        "INSERT INTO srv_set_aside (station_id, device_id, seq, tbl, row_id, stamp, fields, code,"
        " message, errors, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                station,
                device,
                it["seq"],
                it["table"],
                it["id"],
                it["stamp"],
                json.dumps(it["fields"], ensure_ascii=False),
                it["code"],
                it["message"],
                json.dumps(it["errors"], ensure_ascii=False),
                now,
            )
            for it in items
        ],
    )


def answer_items(items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The set-aside items as an answer lists them — a ``/v1/sync`` answer and a USB return
    bundle alike: the desk holds the change under its seq, so the field names are enough."""
    return [
        {**{k: v for k, v in item.items() if k != "stamp"}, "fields": sorted(item["fields"])}
        for item in items
    ]


def _item(r: Any) -> dict[str, Any]:
    return {
        "seq": r["seq"],
        "table": r["tbl"],
        "id": r["row_id"],
        "fields": json.loads(r["fields"]),
        "code": r["code"],
        "message": r["message"],
        "errors": json.loads(r["errors"]),
    }


def for_seqs(conn: Conn, device: str, seqs: Sequence[int]) -> list[dict[str, Any]]:
    """The set-aside items among resent seqs (the answer that listed them was lost), each with
    the server's value and stamp of its fields now (``current``): without them the desk would
    empty fields the server holds (docs/sync-client.md, "Digest repairs")."""
    if not seqs:
        return []
    rows = conn.execute(
        "SELECT * FROM srv_set_aside WHERE device_id = ? AND seq BETWEEN ? AND ? ORDER BY seq",
        (device, min(seqs), max(seqs)),
    ).fetchall()
    wanted = set(seqs)
    items = [_item(r) for r in rows if r["seq"] in wanted]
    for it in items:
        it["current"] = _current(conn, it["table"], it["id"], it["fields"])
    return items


def _current(conn: Conn, table: str, row_id: str, names: Sequence[str]) -> dict[str, Any]:
    """``{"f": values, "c": stamps}`` of the fields ``names`` the row holds now."""
    types = schema.TABLES.get(table)
    if types is None:
        return {"f": {}, "c": {}}
    row = conn.execute(f"SELECT * FROM {table} WHERE id = ?", (row_id,)).fetchone()
    stamps = stored_clocks.decode(table, row["clocks"]) if row is not None else {}
    held = [n for n in names if n in stamps and n in types]
    return {
        "f": {n: schema.decode_value(types[n], row[n]) for n in held},
        "c": {n: stamps[n] for n in held},
    }


def listing(conn: Conn, limit: int = 500) -> list[dict[str, Any]]:
    """The newest set-aside changes of every station (the web page filters by scope)."""
    rows = conn.execute("SELECT * FROM srv_set_aside ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
    return [
        {
            **_item(r),
            "station_id": r["station_id"],
            "device_id": r["device_id"],
            "created_ms": r["created_ms"],
            "stamp": r["stamp"],
        }
        for r in rows
    ]


def page(
    conn: Conn, where: str, params: list[Any], limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """The set-aside changes of the stations ``s`` matching ``where`` (trusted SQL over
    ``srv_stations s``), newest first: ``limit`` of them from ``offset``, with the station's
    name, and how many there are in all."""
    sql = (
        "SELECT a.*, s.name AS station_name FROM srv_set_aside a"
        f" JOIN srv_stations s ON s.id = a.station_id WHERE {where}"
    )
    rows = conn.all(f"{sql} ORDER BY a.id DESC LIMIT ? OFFSET ?", [*params, limit, offset])
    total = conn.scalar(
        "SELECT COUNT(*) FROM srv_set_aside a JOIN srv_stations s ON s.id = a.station_id"
        f" WHERE {where}",
        params,
    )
    return [
        {
            **_item(r),
            "station_id": r["station_id"],
            "station_name": r["station_name"],
            "device_id": r["device_id"],
            "created_ms": r["created_ms"],
            "stamp": r["stamp"],
        }
        for r in rows
    ], int(total or 0)
