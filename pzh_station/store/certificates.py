"""The certificate register and erasure's scrubbing of the change log. The only place that knows
their SQL (issue 13, §5)."""

from __future__ import annotations

import json
from typing import Any

from pzh_core.domain.erasure import PERSONAL_FIELDS, erased_rows, scrub
from pzh_station.store.db import Store

# -- this PC's part of the numbers (issue 13, §5; docs/volunteers.md, "The register") -------
PC_NUMBER_KEY = "certificate_pc_number"  # meta: "<device id>:<number>" as the server gave it


def learn_pc_number(store: Store, number: int) -> None:
    """Keep the number the city server gave this device in its station (every sync answer says
    it). Kept with the device id: a file that re-keys is a new device with a new number."""
    store.conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (PC_NUMBER_KEY, f"{store.device_id}:{number}"),
    )


def pc_number(store: Store) -> int | None:
    """This device's number in its station, or None before the server gave one."""
    device, _, number = (store.meta(PC_NUMBER_KEY) or "").partition(":")
    return int(number) if device and device == store.device_id and number.isdigit() else None


def _marker_name(store: Store) -> str:
    return f"certificate-last-{store.device_id or 'none'}"


def last_issued(store: Store) -> str:
    """The last certificate number this device issued, as kept outside the data folder (a
    backup does not carry it back: a restored file continues after it); "" when none."""
    from pzh_station import credentials

    return credentials.default().get(_marker_name(store)) or ""


def note_issued(store: Store, number: str) -> None:
    from pzh_station import credentials

    credentials.default().put(_marker_name(store), number)


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
