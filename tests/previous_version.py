"""Station files written by an earlier version of the desk, for migration tests: the store is
held at an older schema version and writes its change log the way that version did (every
value copied into each entry, no ``live`` column; before migration 14, issue 16)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pytest

from pzh_station.store import changelog, migrations


def _log_write(
    store: Any,
    table: str,
    row_id: str,
    stamp: str,
    fields: Mapping[str, Any],
    won: Mapping[str, Any],
    operator: str,
) -> None:
    store.conn.execute(
        "INSERT INTO changes (tbl, row_id, stamp, fields, operator) VALUES (?, ?, ?, ?, ?)",
        (table, row_id, stamp, changelog.dumps(fields), operator),
    )


def _keep_old(*args: Any, **kwargs: Any) -> None:
    """Version 13 and before kept every value in the entry: nothing to copy."""


def _entries(store: Any, where: str = "", params: Iterable[Any] = ()) -> list[dict[str, Any]]:
    import json

    sql = "SELECT seq, tbl, row_id, stamp, fields, operator FROM changes"
    rows = store.query(f"{sql} WHERE {where}" if where else sql, tuple(params))
    for r in rows:
        r["fields"] = json.loads(r["fields"])
    return rows


def write_as(monkeypatch: pytest.MonkeyPatch, version: int) -> None:
    """From now until ``monkeypatch.undo()``, a new ``Store`` migrates only up to ``version``
    (at most 13) and keeps its change log as versions 10–13 did."""
    assert version <= 13
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:version])
    monkeypatch.setattr(migrations, "LATEST", version)
    monkeypatch.setattr(changelog, "log_write", _log_write)
    monkeypatch.setattr(changelog, "keep_old", _keep_old)
    monkeypatch.setattr(changelog, "keep_row", _keep_old)
    monkeypatch.setattr(changelog, "entries", _entries)
