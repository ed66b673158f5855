"""The server's side of erasure on request (issue 13, §5; the rule is
:mod:`pzh_core.domain.erasure`).

- :class:`ErasureGuard`: every pushed batch passes it. A change that would write a personal field
  of a person already erased (a PC that edited offline without having seen the erasure) is set
  aside with code ``erased`` (decision 1); the PC shows it on its sync page and its row takes the
  server's erased values again.
- :func:`unerased`: an erasure that arrives *after* an edit it predates loses those fields in the
  merge (last writer wins); the fields still holding personal data are then written over by the
  server itself (decision 2), so the erasure always wins.
- :func:`scrub_logs`: the erased values also replace the personal values in the feed and the
  set-aside list (stamps kept), so the server keeps none of the erased data.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pzh_core import schema
from pzh_core.domain import erasure
from sync.server.db.conn import Conn


class ErasureGuard:
    """Who is erased, for one station while one pushed batch merges (an erasure earlier in the
    batch counts for the changes after it). Erased people are few: they are read once, in one
    query, when the batch first touches a person's row."""

    def __init__(self, conn: Conn, station: str) -> None:
        self.conn = conn
        self.station = station
        self.erased_on: dict[str, str] | None = None  # person id -> the date erased

    def _erased(self) -> dict[str, str]:
        if self.erased_on is None:
            self.erased_on = {
                r[0]: str(r[1])
                for r in self.conn.all(
                    "SELECT id, erased_on FROM people WHERE station_id = ? AND erased_on <> ''",
                    (self.station,),
                )
            }
        return self.erased_on

    def problem(
        self, table: str, row_id: str, row: Mapping[str, Any] | None, fields: Mapping[str, Any]
    ) -> tuple[str, dict[str, str]] | None:
        """``("erased", {field: message})`` for a change that would bring erased data back."""
        person = erasure.person_of(table, row_id, {**(row or {}), **fields})
        if person is None:
            return None
        if table == "people":
            erased_on = str((row or {}).get("erased_on") or "")
        else:
            erased_on = self._erased().get(person, "")
        errors = erasure.refused(table, fields, erased_on)
        if errors:
            return erasure.CODE, errors
        if erasure.is_erasure(table, fields):
            self._erased()[person] = str(fields["erased_on"])
        return None


def unerased(conn: Conn, person_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    """``(table, row id, fields)`` the server must write so that an erased person's rows hold
    the erased values (empty when the erasure won every field, as it does unless it arrived
    after a later edit)."""
    person = conn.one("SELECT erased_on FROM people WHERE id = ?", (person_id,))
    if person is None or not person[0]:
        return []
    out = []
    for table, row_id in erasure.erased_rows(person_id):
        blank = erasure.PERSONAL_FIELDS[table]
        row = conn.one(f"SELECT {', '.join(blank)} FROM {table} WHERE id = ?", (row_id,))
        if row is None:
            continue
        types = schema.TABLES[table]
        left = {
            name: value
            for i, (name, value) in enumerate(blank.items())
            if schema.decode_value(types[name], row[i]) != value
        }
        if left:
            out.append((table, row_id, left))
    return out


def scrub_logs(conn: Conn, station: str, person_id: str) -> int:
    """Replace the erased values in the feed and the set-aside list (stamps stay).
    :returns: entries changed."""
    changed = 0
    for table, row_id in erasure.erased_rows(person_id):
        for log, key in (("srv_feed", "seq"), ("srv_set_aside", "id")):
            for r in conn.execute(
                f"SELECT {key}, fields FROM {log} WHERE station_id = ? AND tbl = ? AND row_id = ?",
                (station, table, row_id),
            ).fetchall():
                old = json.loads(r[1] or "{}")
                new = erasure.scrub(table, old)
                if new != old:
                    conn.execute(
                        f"UPDATE {log} SET fields = ? WHERE {key} = ?",
                        (json.dumps(new, ensure_ascii=False, separators=(",", ":")), r[0]),
                    )
                    changed += 1
    return changed
