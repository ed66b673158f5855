"""The certificate register's numbers on the server (issue 13, §5): a pushed certificate whose
number another row of the station already holds is set aside (code ``duplicate_number``,
decision 1) — the backstop behind the desk's numbering (server-given PC numbers, the last
number kept outside the data folder), for a file restored onto another PC and used offline.
The first row to reach the server keeps the number; the PC whose row was set aside shows it on
its sync page, and its register row goes (docs/volunteers.md, "The register")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pzh_core.domain import certificate
from sync.server.db.conn import Conn

TABLE = "volunteer_certificates"


class NumberGuard:
    """Certificate numbers of one station while one pushed batch merges (a number taken earlier
    in the batch counts for the changes after it)."""

    def __init__(self, conn: Conn, station: str) -> None:
        self.conn = conn
        self.station = station
        self.taken: dict[str, str] = {}  # number -> row id, of this batch

    def problem(
        self, table: str, row_id: str, fields: Mapping[str, Any]
    ) -> tuple[str, dict[str, str]] | None:
        number = fields.get("number") if table == TABLE else None
        if not number or not isinstance(number, str):
            return None
        holder = self.taken.get(number)
        if holder is None:
            found = self.conn.one(
                f"SELECT id FROM {TABLE} WHERE station_id = ? AND number = ? AND id <> ?",
                (self.station, number, row_id),
            )
            holder = found[0] if found is not None else None
        if holder is not None and holder != row_id:
            return certificate.DUPLICATE, certificate.duplicate_errors(number)
        self.taken[number] = row_id
        return None
