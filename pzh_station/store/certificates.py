"""The certificate register and erasure's scrubbing of the change log. The only place that knows
their SQL (issue 13, §5)."""

from __future__ import annotations

import json
from typing import Any

from pzh_core.domain.erasure import PERSONAL_FIELDS, erased_rows, scrub
from pzh_station.store.db import Store


def numbers_like(store: Store, prefix: str) -> list[str]:
    """Every certificate number starting with ``prefix`` (tombstoned rows too: a number once
    issued is never issued again)."""
    like = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return [
        r[0]
        for r in store.conn.execute(
            "SELECT number FROM volunteer_certificates WHERE number LIKE ? ESCAPE '\\'", (like,)
        )
    ]


def register_rows(store: Store, *, volunteer_id: str = "") -> list[dict[str, Any]]:
    """The register, newest first, with the volunteer's number and (registry) name."""
    where = "c.deleted = 0" + (" AND c.volunteer_id = ?" if volunteer_id else "")
    return store.query(
        "SELECT c.id, c.number, c.volunteer_id, c.period_from, c.period_to, c.hours, c.records,"
        " c.content, c.unit, c.head, c.handler, c.phone, c.issued_on,"
        " v.number AS volunteer_number, p.name AS name"
        " FROM volunteer_certificates c"
        " LEFT JOIN volunteers v ON v.id = c.volunteer_id"
        " LEFT JOIN people p ON p.id = v.person_id"
        f" WHERE {where} ORDER BY c.issued_on DESC, c.number DESC",
        (volunteer_id,) if volunteer_id else (),
    )


def scrub_logs(store: Store, person_id: str) -> int:
    """Replace an erased person's personal values in this PC's change log, the changes it
    received (the history) and its set-aside list (their stamps stay), and in the rows: a field
    edited here after the erasure (still waiting to go up, or beaten by nothing yet) holds the
    erased value too, as the scrubbed change it will push says. Call inside the transaction of
    the erasure. :returns: entries changed."""
    changed = 0
    for table, row_id in erased_rows(person_id):
        row = store.get(table, row_id)
        blank = PERSONAL_FIELDS[table]
        left = {k: v for k, v in blank.items() if row is not None and row.get(k) != v}
        if left:
            sets = ", ".join(f"{k} = ?" for k in left)
            store.conn.execute(f"UPDATE {table} SET {sets} WHERE id = ?", (*left.values(), row_id))
            store.note_changed(table, pulled=True)
        for log in ("changes", "received", "set_aside"):
            key = "seq" if log == "changes" else "id"
            for r in store.conn.execute(
                f"SELECT {key}, fields FROM {log} WHERE tbl = ? AND row_id = ?", (table, row_id)
            ).fetchall():
                old = json.loads(r[1] or "{}")
                new = scrub(table, old)
                if new != old:
                    store.conn.execute(
                        f"UPDATE {log} SET fields = ? WHERE {key} = ?",
                        (json.dumps(new, ensure_ascii=False), r[0]),
                    )
                    changed += 1
    return changed
