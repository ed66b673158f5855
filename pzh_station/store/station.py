"""Queries over the station's own tables (its staff). The profile row itself is read and written
with :meth:`Store.get` / :meth:`Store.write` like every synced row."""

from __future__ import annotations

from typing import Any

from pzh_station.store.db import Store


def active_staff_names(store: Store) -> list[str]:
    """Names of the staff who are active and not deleted, in pinyin order."""
    rows = store.query(
        "SELECT name FROM staff WHERE deleted = 0 AND active = 1 ORDER BY name COLLATE pinyin"
    )
    return [r["name"] for r in rows]


def staff_by_name(store: Store) -> dict[str, dict[str, Any]]:
    """Every staff row, deleted and inactive ones too: ``{name: {id, name, active, deleted}}``."""
    return {
        r["name"]: r for r in store.query("SELECT id, name, active, deleted, pin_hash FROM staff")
    }
