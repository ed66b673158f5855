"""Desk migration 13 (issue 13): a file whose annual facts hold the floor-area parts as 0 (the
form's default: nobody could leave them unknown) gets them as null — the rows and the changes
not pushed yet alike, so what the file pushes is what it holds; a change the server already
acknowledged keeps its record; a 0 typed afterwards stays 0."""

from __future__ import annotations

from pzh_station.store import Store, changelog, migrations
from pzh_station.store.annual import facts_id
from tests import previous_version

PARTS = ("floor_area_activity", "floor_area_office")


def _v12_file(path, monkeypatch) -> tuple[str, int]:
    previous_version.write_as(monkeypatch, 12)
    store = Store(path)
    assert store.schema_version == 12
    store.set_meta("station_id", "st-1")
    store.write("annual_facts", facts_id("st-1", 2024), {"year": 2024, "floor_area": 800.0})
    pushed = store.conn.execute("SELECT max(seq) FROM changes").fetchone()[0]
    store.set_meta("sync_acked_seq", str(pushed))  # the server has 2024's first save
    store.write("annual_facts", facts_id("st-1", 2024), {"floor_area_activity": 0.0})
    store.write(
        "annual_facts",
        facts_id("st-1", 2025),
        {"year": 2025, "floor_area": 900.0, "floor_area_activity": 0.0, "floor_area_office": 80.0},
    )
    store.close()
    monkeypatch.undo()
    return "st-1", pushed


def _log(store) -> list[tuple[int, dict]]:
    return [(e["seq"], e["fields"]) for e in changelog.entries(store, "1 ORDER BY seq")]


def test_stored_zero_parts_become_unknown_in_rows_and_outbox(tmp_path, monkeypatch):
    db = tmp_path / "station.sqlite3"
    station, pushed = _v12_file(db, monkeypatch)
    store = Store(db)
    assert store.schema_version == migrations.LATEST >= 13
    rows = {
        r["year"]: (r["floor_area"], r["floor_area_activity"], r["floor_area_office"])
        for r in store.query("SELECT * FROM annual_facts")
    }
    assert rows == {2024: (800.0, None, None), 2025: (900.0, None, 80.0)}
    log = _log(store)
    assert [f for seq, f in log if seq > pushed] == [
        {"floor_area_activity": None},
        {"year": 2025, "floor_area": 900.0, "floor_area_activity": None, "floor_area_office": 80.0},
    ]
    assert [f for seq, f in log if seq <= pushed] == [{"year": 2024, "floor_area": 800.0}]
    # a 0 typed from now on is a 0, and the columns take null
    store.write("annual_facts", facts_id(station, 2025), {"floor_area_office": 0.0})
    store.write("annual_facts", facts_id(station, 2024), {"floor_area": 0.0})
    row = store.query("SELECT * FROM annual_facts WHERE year = 2025")[0]
    assert (row["floor_area_activity"], row["floor_area_office"]) == (None, 0.0)
    assert _log(store)[-2][1] == {"floor_area_office": 0.0}
    store.close()
