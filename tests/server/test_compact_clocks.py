"""Compact clocks on the server (issue 16), on both engines: replica rows store their field
stamps through ``pzh_core.stored_clocks``; migration 11 converts a database whose rows hold the
JSON clocks in place — every value and stamp kept, the station's digest unchanged and equal to
a recomputation from the rows — and merging goes on by the same rule afterwards."""

from __future__ import annotations

import json
from pathlib import Path

from pzh_core import digest, stored_clocks
from sync.server import admin, auth, replica_digest
from sync.server.sql_storage import open_storage

NOW = 1_790_000_000_000


def _rows(storage) -> dict[tuple[str, str], dict]:
    out = {}
    for table in ("activities", "stations", "city_settings"):
        for r in storage.query(f"SELECT * FROM {table}"):
            out[(table, r["id"])] = {**r, "clocks": stored_clocks.decode(table, r["clocks"])}
    return out


def _digest(storage, station: str) -> tuple[str, str]:
    """The root the server keeps, and the root recomputed from the rows as they are stored."""
    kept = storage.engine.read(lambda c: replica_digest.root(c, station))
    values = {}
    for table in digest.tables():
        rows = storage.query(f"SELECT id, clocks FROM {table} WHERE station_id = ?", (station,))
        values[table] = digest.table_digest(table, [(r["id"], r["clocks"]) for r in rows]).value
    return kept, digest.root(values)


def _fill(storage) -> str:
    station = admin.create_station(storage, "大田镇综合文化站", "仁和区").id
    devices = []
    for name in ("甲", "乙"):
        code = admin.issue_code(storage, station).code
        dev, _ = storage.enroll(
            code, token_hash=auth.hash_token(name), device_name=name, app_version="1",
            device_id=None,
        )  # fmt: skip
        devices.append(dev)
    one, two = (d.id for d in devices)
    push = [
        {"seq": i + 1, "t": "activities", "id": f"a{i}", "s": f"{NOW + i:013d}.0000.{one}",
         "f": {"title": f"活动{i}", "attendance": i, "target_groups": ["elderly"], "notes": ""}}
        for i in range(40)
    ]  # fmt: skip
    storage.push(devices[0], push, client_time_ms=None)
    edit = [
        {"seq": 1, "t": "activities", "id": "a0", "s": f"{NOW + 99:013d}.0002.{two}",
         "f": {"title": "乙改的", "deleted": True}}
    ]  # fmt: skip
    storage.push(devices[1], edit, client_time_ms=None)
    storage.server_write(station, "activities", "a1", {"notes": "市里的备注"})
    return station


def test_rows_are_stored_compact_and_an_old_database_is_converted(empty_database) -> None:
    where: str | Path = empty_database
    storage = open_storage(where, now=lambda: NOW + 1000)
    try:
        station = _fill(storage)
        stored = [r["clocks"] for r in storage.query("SELECT clocks FROM activities")]
        assert all(c.startswith("1;") for c in stored)
        a0 = stored_clocks.decode("activities", storage.query(
            "SELECT clocks FROM activities WHERE id = 'a0'")[0]["clocks"])  # fmt: skip
        assert a0["title"] == a0["deleted"] and a0["title"].endswith(".0002." + a0["title"][-32:])
        assert a0["attendance"] != a0["title"]
        # Back to what the server stored before migration 11: JSON clocks.
        before = _rows(storage)
        for (table, row_id), row in before.items():
            storage.engine.write(
                lambda c, t=table, i=row_id, clocks=row["clocks"]: c.execute(
                    f"UPDATE {t} SET clocks = ? WHERE id = ?", (json.dumps(clocks), i)
                )
            )
        storage.engine.write(lambda c: c.execute("DELETE FROM srv_migrations WHERE number = 11"))
        assert storage.query("SELECT clocks FROM activities")[0]["clocks"].startswith("{")
        digest_before = _digest(storage, station)
        assert digest_before[0] == digest_before[1]
    finally:
        storage.close()
    storage = open_storage(where, now=lambda: NOW + 2000)
    try:
        assert _rows(storage) == before
        assert all(
            r["clocks"].startswith("1;") for r in storage.query("SELECT clocks FROM activities")
        )
        assert _digest(storage, station) == digest_before
        # merging goes on: a later server write wins its field, the others keep their stamps
        storage.server_write(station, "activities", "a0", {"title": "市里改的"})
        row = storage.query("SELECT title, clocks, updated_at FROM activities WHERE id = 'a0'")[0]
        clocks = stored_clocks.decode("activities", row["clocks"])
        assert row["title"] == "市里改的" and clocks["title"] == row["updated_at"]
        assert clocks["deleted"] == before[("activities", "a0")]["clocks"]["deleted"]
        kept, recomputed = _digest(storage, station)
        assert kept == recomputed != digest_before[0]
    finally:
        storage.close()
