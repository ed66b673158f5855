"""A record's history on the server (issue 14; the replay is pzh_core.history): the feed holds
every change that won a field, with its stamp (device and time) and operator; the set-aside
table the changes that were refused. Read-only."""

from __future__ import annotations

import json
from typing import Any

from pzh_core import history
from sync.server.db.conn import Conn


def entries(conn: Conn, station: str, table: str, row_id: str) -> list[history.Entry]:
    out = [
        history.Entry(r["stamp"], json.loads(r["fields"]), r["operator"] or "")
        for r in conn.all(
            "SELECT stamp, fields, operator FROM srv_feed WHERE tbl = ? AND row_id = ?"
            " AND station_id = ? ORDER BY seq",
            (table, row_id, station),
        )
    ]
    out += [
        history.Entry(r["stamp"], json.loads(r["fields"]), "", refused=True)
        for r in conn.all(
            "SELECT stamp, fields FROM srv_set_aside WHERE tbl = ? AND row_id = ?"
            " AND station_id = ?",
            (table, row_id, station),
        )
    ]
    return out


def recent(conn: Conn, station: str, limit: int = 100) -> list[dict[str, Any]]:
    """The station's latest changes (newest first): table, row, stamp, fields, operator."""
    return [
        {
            "table": r["tbl"],
            "row_id": r["row_id"],
            "stamp": r["stamp"],
            "fields": json.loads(r["fields"]),
            "operator": r["operator"] or "",
        }
        for r in conn.all(
            "SELECT tbl, row_id, stamp, fields, operator FROM srv_feed WHERE station_id = ?"
            " ORDER BY seq DESC LIMIT ?",
            (station, limit),
        )
    ]
