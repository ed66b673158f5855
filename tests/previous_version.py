"""Station files written by an earlier version of the desk, for migration tests: the store is
held at an older schema version and writes its logs the way that version did — before
migration 14 every value copied into each change-log entry (no ``live`` column), before
migration 16 every value copied into each change received (issue 16)."""

from __future__ import annotations

import json
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


def _log_received(
    store: Any,
    table: str,
    row_id: str,
    stamp: str,
    fields: Mapping[str, Any],
    won: Mapping[str, Any],
    clocks: Mapping[str, str],
    operator: str,
) -> None:
    store.conn.execute(
        "INSERT OR IGNORE INTO received (tbl, row_id, stamp, fields, operator)"
        " VALUES (?, ?, ?, ?, ?)",
        (table, row_id, stamp, changelog.dumps(fields), operator),
    )


def _keep_nothing(*args: Any, **kwargs: Any) -> None:
    """Version 13 and before kept every value in the entry: nothing to copy."""


def _entries(store: Any, where: str = "", params: Iterable[Any] = ()) -> list[dict[str, Any]]:
    sql = "SELECT seq, tbl, row_id, stamp, fields, operator FROM changes"
    rows = store.query(f"{sql} WHERE {where}" if where else sql, tuple(params))
    for r in rows:
        r["fields"] = json.loads(r["fields"])
    return rows


def _received(store: Any, table: str, row_id: str) -> list[dict[str, Any]]:
    rows = store.query(
        "SELECT id, tbl, row_id, stamp, fields, operator FROM received WHERE tbl = ? AND"
        " row_id = ?",
        (table, row_id),
    )
    for r in rows:
        r["fields"] = json.loads(r["fields"])
    return rows


def write_as(monkeypatch: pytest.MonkeyPatch, version: int) -> None:
    """From now until ``monkeypatch.undo()``, a new ``Store`` migrates only up to ``version``
    (at most 15) and keeps its logs as that version did."""
    assert version <= 15
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:version])
    monkeypatch.setattr(migrations, "LATEST", version)
    monkeypatch.setattr(changelog, "log_received", _log_received)
    monkeypatch.setattr(changelog, "received", _received)
    monkeypatch.setattr(changelog, "LOGS", (("changes", "seq"),))
    if version <= 13:
        monkeypatch.setattr(changelog, "log_write", _log_write)
        monkeypatch.setattr(changelog, "keep_old", _keep_nothing)
        monkeypatch.setattr(changelog, "keep_row", _keep_nothing)
        monkeypatch.setattr(changelog, "entries", _entries)
