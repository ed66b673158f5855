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


# -- a PC joining a station (issue 12, situation 8; issue 13 §1) ------------------------------
HELD_FACTS_KEY = "held_facts"  # the facts typed here before joining, until the first full pull
CHOICE_KEY = "facts_choice"  # years whose facts typed here differ from the server's


def hold_facts(store: Store, station_id: str) -> int:
    """A PC joining a station: its annual facts typed offline leave the rows and the outbox and
    wait in meta ``held_facts`` until the first complete pull shows the server's
    (:func:`settle_facts`); never pushed over the station's. Call inside the transaction that
    moves the station. :returns: years held."""
    import json

    from pzh_core import hlc, schema, stored_clocks

    conn = store.conn
    types = schema.fields_of("annual_facts")
    held: dict[str, dict[str, Any]] = json.loads(store.meta(HELD_FACTS_KEY) or "{}")
    for raw in conn.execute(
        "SELECT * FROM annual_facts WHERE station_id = ? AND deleted = 0", (station_id,)
    ).fetchall():
        row = decode_row("annual_facts", raw)
        clocks = stored_clocks.decode("annual_facts", row["clocks"])
        typed = {f: row[f] for f, st in clocks.items() if f in types and st != hlc.ZERO}
        typed.pop("deleted", None)
        if typed:
            held[str(row["year"])] = {**typed, "year": row["year"]}
        conn.execute("DELETE FROM annual_facts WHERE id = ?", (row["id"],))
        conn.execute("DELETE FROM changes WHERE tbl = 'annual_facts' AND row_id = ?", (row["id"],))
    _put(store, HELD_FACTS_KEY, held)
    return len(held)


def _put(store: Store, key: str, value: dict[str, Any]) -> None:
    import json

    store.conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, json.dumps(value, ensure_ascii=False) if value else ""),
    )


def settle_facts(store: Store, value_fields: list[str]) -> dict[int, dict[str, list[Any]]]:
    """After the first complete pull since joining: a year the server has no facts for takes
    the held ones (written and pushed), as do fields the server has no value for; where the
    server's value of a typed item differs, the year waits for the user's choice
    (:func:`choose_facts`) and shows the server's meanwhile. :returns: the years waiting,
    ``{year: {field: [typed here, server's]}}``."""
    import json

    from pzh_core import hlc, stored_clocks

    held: dict[str, dict[str, Any]] = json.loads(store.meta(HELD_FACTS_KEY) or "{}")
    if not held:
        return {}
    station = store.station_id or ""
    choices = json.loads(store.meta(CHOICE_KEY) or "{}")
    for year, mine in held.items():
        row = facts_row(store, station, int(year))
        if row is None:
            store.write("annual_facts", facts_id(station, int(year)), mine)
            continue
        clocks = stored_clocks.decode("annual_facts", row["clocks"])
        lacking = {f: v for f, v in mine.items() if clocks.get(f, hlc.ZERO) == hlc.ZERO}
        if lacking:
            store.write("annual_facts", row["id"], lacking)
        differs = {
            f: [mine[f], row[f]]
            for f in value_fields
            if f in mine and f not in lacking and mine[f] != row[f]
        }
        if differs:
            choices[year] = {"differs": differs, "mine": mine}
    _put(store, HELD_FACTS_KEY, {})
    _put(store, CHOICE_KEY, choices)
    return {int(y): c["differs"] for y, c in choices.items()}


def facts_choices(store: Store) -> dict[int, dict[str, list[Any]]]:
    """The years whose facts typed here before joining differ from the server's, waiting for
    the user: ``{year: {field: [typed here, server's]}}``."""
    import json

    return {int(y): c["differs"] for y, c in json.loads(store.meta(CHOICE_KEY) or "{}").items()}


def choose_facts(store: Store, year: int, *, keep_mine: bool) -> dict[str, Any]:
    """The user's choice for one year: keep the values typed here (written as a new change, so
    they win everywhere; the year is then unconfirmed, to be looked at once more) or the
    server's (the typed ones are dropped). :returns: the fields written."""
    import json

    choices = json.loads(store.meta(CHOICE_KEY) or "{}")
    choice = choices.pop(str(year), None)
    written: dict[str, Any] = {}
    with store.transaction():
        if choice is not None and keep_mine:
            written = {f: pair[0] for f, pair in choice["differs"].items()}
            written.update(confirmed=False, confirmed_by="", confirmed_on="")
            station = store.station_id or ""
            store.write("annual_facts", facts_id(station, year), written)
        _put(store, CHOICE_KEY, choices)
    return written
