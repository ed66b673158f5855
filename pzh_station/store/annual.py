"""Queries over the annual return's tables (annual facts, art teams, city settings).
The only place that knows their desk SQL."""

from __future__ import annotations

from typing import Any

from pzh_core.schema import det_id
from pzh_station.store.db import Store, decode_row


def facts_id(station_id: str, year: int) -> str:
    """The row of a station's facts of one year (the same on every PC)."""
    return det_id("annual_facts", station_id, str(year))


def facts_row(store: Store, station_id: str, year: int) -> dict[str, Any] | None:
    """The stored facts of one year (not deleted), decoded, or None."""
    row = store.conn.execute(
        "SELECT * FROM annual_facts WHERE id = ? AND deleted = 0", (facts_id(station_id, year),)
    ).fetchone()
    return decode_row("annual_facts", row) if row else None


def rekey_facts(store: Store, station_id: str) -> int:
    """After a PC that worked offline takes the server's station id, give its annual facts the
    ids the station's other PCs use (the id is made from the station and the year), with their
    change-log entries, so the push lands on the station's one row per year. Call inside the
    transaction that moves the station. :returns: rows re-keyed."""
    conn = store.conn
    moved = 0
    for row in conn.execute(
        "SELECT id, year FROM annual_facts WHERE station_id = ?", (station_id,)
    ).fetchall():
        new = facts_id(station_id, row["year"])
        if (
            new == row["id"]
            or conn.execute("SELECT 1 FROM annual_facts WHERE id = ?", (new,)).fetchone()
        ):
            continue
        conn.execute("UPDATE annual_facts SET id = ? WHERE id = ?", (new, row["id"]))
        conn.execute(
            "UPDATE changes SET row_id = ? WHERE tbl = 'annual_facts' AND row_id = ?",
            (new, row["id"]),
        )
        moved += 1
    return moved


def latest_facts_before(store: Store, station_id: str, year: int) -> dict[str, Any] | None:
    """The most recent stored facts of a year before ``year`` (the carry-over source)."""
    row = store.conn.execute(
        "SELECT * FROM annual_facts WHERE station_id = ? AND deleted = 0 AND year < ?"
        " ORDER BY year DESC LIMIT 1",
        (station_id, year),
    ).fetchone()
    return decode_row("annual_facts", row) if row else None


def facts_years(store: Store, station_id: str) -> list[int]:
    return [
        r[0]
        for r in store.conn.execute(
            "SELECT year FROM annual_facts WHERE station_id = ? AND deleted = 0 ORDER BY year",
            (station_id,),
        )
    ]


def active_staff_count(store: Store) -> int:
    """Staff registered to enter records on this station's PCs (a first guess of 从业人员)."""
    return store.conn.execute(
        "SELECT count(*) FROM staff WHERE deleted = 0 AND active = 1"
    ).fetchone()[0]


# -- city settings ----------------------------------------------------------------------------
def setting_rows(store: Store, key: str) -> list[dict[str, Any]]:
    """Every copy of a setting held here (its scopes), newest first."""
    return [
        decode_row("city_settings", r)
        for r in store.conn.execute(
            "SELECT * FROM city_settings WHERE key = ? AND deleted = 0 AND device_id = 'server'"
            " ORDER BY updated_at DESC",
            (key,),
        )
    ]
