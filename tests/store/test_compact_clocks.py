"""Compact clocks on the desk (issue 16): migration 12 converts an older station file's field
clocks in place — every value and every stamp kept, the digest unchanged — and the store
writes and reads the compact form from then on."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from pzh_core import digest, hlc, stored_clocks
from pzh_station.store import Store, migrations
from pzh_station.store.migrations import m0012_compact_clocks
from tests import previous_version

DATA = Path(__file__).resolve().parents[1] / "data"
OTHER = "b" * 32


def _rows(path: Path) -> dict[tuple[str, str], dict]:
    """Every row of every table with a ``clocks`` column: its columns, clocks decoded."""
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    out = {}
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type='table'")]
        for table in names:
            if "clocks" not in {c[1] for c in conn.execute(f'PRAGMA table_info("{table}")')}:
                continue
            for r in conn.execute(f'SELECT * FROM "{table}"'):
                row = dict(r)
                row["clocks"] = stored_clocks.decode(table, row["clocks"])
                out[(table, row["id"])] = row
    finally:
        conn.close()
    return out


def _stored(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [c for (c,) in conn.execute("SELECT clocks FROM activities")]
    finally:
        conn.close()


def test_the_v1_fixture_keeps_every_value_and_stamp(tmp_path):
    db = tmp_path / "station.sqlite3"
    shutil.copy(DATA / "station-v1.sqlite3", db)
    before = _rows(db)
    assert before and all(c.startswith("{") for c in _stored(db))
    Store(db).close()
    after = _rows(db)
    # later migrations add columns; every column the old file had keeps its value
    assert {k: {c: after[k][c] for c in row} for k, row in before.items()} == before
    assert all(c.startswith(stored_clocks.VERSION + ";") for c in _stored(db))
    for (table, row_id), row in before.items():
        assert digest.row_hash(table, row_id, row["clocks"]) == digest.row_hash(
            table, row_id, after[(table, row_id)]["clocks"]
        )


def _v11_file(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A version-11 file with the JSON clocks version 11 wrote: rows by this PC, rows pulled
    from another PC and the server (some fields at the zero stamp), edits and a tombstone."""
    previous_version.write_as(monkeypatch, 11)
    store = Store(path)
    assert store.schema_version == 11
    store.set_meta("station_id", "st-1")
    with store.transaction():
        ids = [
            store.write("activities", None, {"title": f"活动{i}", "attendance": i, "notes": "备注"})
            for i in range(300)
        ]
        store.write("activities", ids[0], {"title": "改过的标题"})
        store.delete("activities", ids[1])
        store.apply_remote(
            "activities", ids[2], "st-1", {"place": "村委会"}, f"{'9' * 13}.0001.{OTHER}"
        )
        store.apply_remote("activities", "from-server", "st-1", {"title": "市里"}, hlc.ZERO)
        store.apply_remote(
            "activities", "from-server", "st-1", {"deleted": True}, "1800000000000.0000.server"
        )
        store.write("staff", None, {"name": "李明", "active": True})
    for table, row_id in [("activities", i) for i in (*ids, "from-server")]:
        clocks = stored_clocks.decode(table, store.get(table, row_id)["clocks"])
        store.conn.execute(
            f"UPDATE {table} SET clocks = ? WHERE id = ?", (json.dumps(clocks), row_id)
        )
    store.close()
    monkeypatch.undo()


def test_a_v11_file_is_converted_in_place_and_shrinks(tmp_path, monkeypatch):
    db = tmp_path / "station.sqlite3"
    _v11_file(db, monkeypatch)
    before, size, text_before = _rows(db), db.stat().st_size, _stored(db)
    assert sum(c.startswith("{") for c in text_before) == 301
    store = Store(db)
    assert store.schema_version == migrations.LATEST >= 12
    assert _rows(db) == before
    text = store.get("activities", "from-server")["clocks"]
    assert stored_clocks.decode("activities", text) == {
        "title": hlc.ZERO,
        "deleted": "1800000000000.0000.server",
    }
    # the typical row: one device, one stamp for every field written
    typical = [c for c in _stored(db) if c.count(";") == 2]
    assert len(typical) >= 297 and max(len(c) for c in typical) < 60
    # writing on goes on with the merge rule as before
    row_id = before[("activities", "from-server")]["id"]
    store.write("activities", row_id, {"deleted": False})
    row = store.get("activities", row_id)
    assert stored_clocks.decode("activities", row["clocks"])["deleted"] == row["updated_at"]
    assert row["updated_at"] > "1800000000000.0000.server" and not row["deleted"]
    store.close()
    assert sum(map(len, _stored(db))) * 3 < sum(map(len, text_before))
    assert db.stat().st_size < size  # VACUUM gave the freed pages back
    # running the migration again changes nothing
    conn = sqlite3.connect(db)
    m0012_compact_clocks.up(conn)
    conn.commit()
    conn.close()
    assert _rows(db)[("activities", row_id)]["clocks"] == stored_clocks.decode(
        "activities", row["clocks"]
    )
