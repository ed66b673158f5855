"""Queries over the amateur art teams (art_teams). The only place that knows their desk SQL."""

from __future__ import annotations

from typing import Any

from pzh_core.queries import in_list
from pzh_station.store.db import Store, decode_row


def rows(store: Store, *, trash: bool = False) -> list[dict[str, Any]]:
    """Teams (or the deleted ones), active first, by name; with the leader's name."""
    return [
        decode_row("art_teams", r)
        for r in store.conn.execute(
            "SELECT t.*, COALESCE(p.name, '') AS leader_name FROM art_teams t"
            " LEFT JOIN people p ON p.id = t.leader_id WHERE t.deleted = ?"
            " ORDER BY t.status = 'dissolved', t.name, t.id",
            (1 if trash else 0,),
        )
    ]


def names(store: Store, person_ids: list[str]) -> dict[str, str]:
    """``{person id: name}`` of some people (for a team's members)."""
    out: dict[str, str] = {}
    for start in range(0, len(person_ids), 500):
        chunk = person_ids[start : start + 500]
        sql = f"SELECT id, name FROM people WHERE {in_list('id', chunk)}"
        for r in store.conn.execute(sql, chunk):
            out[r["id"]] = r["name"]
    return out


def active_choices(store: Store, day: str = "") -> list[tuple[str, str]]:
    """``(id, name)`` of the teams an activity on ``day`` can name (not deleted; not dissolved
    before that day)."""
    return [
        (r["id"], r["name"])
        for r in store.conn.execute(
            "SELECT id, name FROM art_teams WHERE deleted = 0"
            " AND (status <> 'dissolved' OR dissolved_on >= ?) ORDER BY name, id",
            (day or "9999",),
        )
    ]


def with_person(store: Store, person_id: str) -> list[dict[str, Any]]:
    """Teams (deleted ones too) that a person leads or belongs to."""
    return [
        decode_row("art_teams", r)
        for r in store.conn.execute(
            "SELECT * FROM art_teams WHERE leader_id = ?"
            " OR EXISTS (SELECT 1 FROM json_each(members) WHERE value = ?)",
            (person_id, person_id),
        )
    ]


def live_ids(store: Store) -> set[str]:
    return {r[0] for r in store.conn.execute("SELECT id FROM art_teams WHERE deleted = 0")}
