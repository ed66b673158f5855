"""Floor-area parts "where known" (issue 13) on the server, on both engines: migration 14 lets
their replica columns hold null and turns a stored 0 into null by a change of the server's own
(in the feed, so every desk receives it; the digest follows the rows); a 0 typed afterwards
stays 0; and the empty value travels between two desks of a station like any other."""

from __future__ import annotations

import json

import pytest

from pzh_core import schema
from pzh_core.schema import det_id
from pzh_station.services.annual_facts import AnnualFactsService
from pzh_station.services.context import Services
from sync.server import admin, auth
from sync.server.db import facts_unknown
from sync.server.sql_storage import open_storage
from tests import server_fixtures
from tests.server.test_compact_clocks import _digest  # the kept and recomputed roots
from tests.sync_helpers import PC

sync_server = server_fixtures.sync_server
NOW = 1_790_000_000_000
PARTS = ("floor_area_activity", "floor_area_office")


def _station_device(storage):
    """A station and one enrolled device of it, in this storage."""
    station = admin.create_station(storage, "大田镇综合文化站", "仁和区").id
    code = admin.issue_code(storage, station).code
    dev, _ = storage.enroll(
        code, token_hash=auth.hash_token("甲"), device_name="甲", app_version="1", device_id=None
    )
    return station, dev


def _make_old(c) -> None:
    """The replica table as servers before migration 14 made it: the parts NOT NULL DEFAULT 0."""
    if c.dialect.postgres:
        for name in PARTS:
            c.ddl(f"UPDATE annual_facts SET {name} = 0 WHERE {name} IS NULL")
            c.ddl(f"ALTER TABLE annual_facts ALTER COLUMN {name} SET DEFAULT 0")
            c.ddl(f"ALTER TABLE annual_facts ALTER COLUMN {name} SET NOT NULL")
    else:
        old = dict(schema.COLUMN_SQL, opt_real="REAL NOT NULL DEFAULT 0")
        cols = [
            "id TEXT PRIMARY KEY",
            "station_id TEXT NOT NULL",
            "updated_at TEXT NOT NULL DEFAULT ''",
            "device_id TEXT NOT NULL DEFAULT ''",
            "clocks TEXT NOT NULL DEFAULT '{}'",
            *(f"{n} {old[k]}" for n, k in schema.TABLES["annual_facts"].items()),
        ]
        c.ddl(f"CREATE TABLE old_facts ({', '.join(cols)})")
        c.execute("INSERT INTO old_facts SELECT * FROM annual_facts")
        c.ddl("DROP TABLE annual_facts")
        c.ddl("ALTER TABLE old_facts RENAME TO annual_facts")
        c.ddl("CREATE INDEX annual_facts_station ON annual_facts(station_id)")
    c.execute("DELETE FROM srv_migrations WHERE number = 14")


def test_migration_14_turns_stored_zeros_into_unknown_by_a_server_change(empty_database) -> None:
    storage = open_storage(empty_database, now=lambda: NOW + 1000)
    try:
        station, dev = _station_device(storage)
        rows = {year: det_id("annual_facts", station, str(year)) for year in (2024, 2025)}
        push = [
            {"seq": i + 1, "t": "annual_facts", "id": rows[year],
             "s": f"{NOW + i:013d}.0000.{dev.id}",
             "f": {"year": year, "floor_area": 800.0, **parts}}
            for i, (year, parts) in enumerate((
                (2024, {"floor_area_activity": 0, "floor_area_office": 0}),
                (2025, {"floor_area_activity": 0, "floor_area_office": 60.5}),
            ))
        ]  # fmt: skip
        storage.push(dev, push, client_time_ms=None)
        storage.engine.write(_make_old)
        feed_before = storage.query("SELECT count(*) AS n FROM srv_feed")[0]["n"]
    finally:
        storage.close()
    storage = open_storage(empty_database, now=lambda: NOW + 2000)
    try:
        applied = storage.query("SELECT number FROM srv_migrations WHERE number = 14")
        assert applied == [{"number": 14}]
        got = {
            r["year"]: (r["floor_area_activity"], r["floor_area_office"], r["floor_area"])
            for r in storage.query("SELECT * FROM annual_facts")
        }
        assert got == {2024: (None, None, 800.0), 2025: (None, 60.5, 800.0)}
        feed = storage.query(
            "SELECT row_id, fields, origin FROM srv_feed WHERE seq > ? ORDER BY seq",
            (feed_before,),
        )
        assert {f["row_id"]: (json.loads(f["fields"]), f["origin"]) for f in feed} == {
            rows[2024]: ({"floor_area_activity": None, "floor_area_office": None}, "server"),
            rows[2025]: ({"floor_area_activity": None}, "server"),
        }
        assert len(feed) == 2
        kept, recomputed = _digest(storage, station)
        assert kept == recomputed
        # a 0 typed from now on is a fact: it stays 0, and the column takes null again
        storage.server_write(station, "annual_facts", rows[2025], {"floor_area_activity": 0})
        storage.server_write(station, "annual_facts", rows[2025], {"floor_area_office": None})
        row = storage.query("SELECT * FROM annual_facts WHERE year = 2025")[0]
        assert (row["floor_area_activity"], row["floor_area_office"]) == (0, None)
        # the columns of a new database take null from the start (nothing to make nullable)
        assert storage.engine.read(facts_unknown._not_null) == set()
    finally:
        storage.close()


@pytest.fixture
def two_pcs(sync_server, tmp_path):
    from pzh_station.services.station import StationProfile, StationService

    sid = sync_server.create_station("甲镇综合文化站", "东区")
    pcs = []
    for name in ("甲一", "甲二"):
        pc = PC(tmp_path, name)
        services = Services(pc.data_dir, pc.store, "李明")
        if not pcs:
            StationService(services).save_profile(
                StationProfile(name="甲镇综合文化站", county="东区", staff=["李明"])
            )
        pc.enroll(sync_server.url, sync_server.issue_code(sid))
        pcs.append((pc, services))
    yield sync_server, pcs
    for pc, _ in pcs:
        pc.store.close()


def test_an_unknown_part_travels_and_merges_like_any_value(two_pcs) -> None:
    server, ((one, one_svc), (two, two_svc)) = two_pcs
    typed = {"floor_area": "800", "floor_area_activity": "", "floor_area_office": "0"}
    AnnualFactsService(one_svc).save(2025, typed)
    one.sync()
    row = server.query("SELECT * FROM annual_facts")[0]
    assert (row["floor_area_activity"], row["floor_area_office"]) == (None, 0)
    two.sync()
    facts = AnnualFactsService(two_svc).view(2025).facts
    assert (facts.floor_area_activity, facts.floor_area_office) == (None, 0)
    # the other PC knows the activity rooms and no longer the office: both cross back
    AnnualFactsService(two_svc).save(2025, {"floor_area_activity": "500", "floor_area_office": ""})
    two.sync()
    one.sync()
    facts = AnnualFactsService(one_svc).view(2025).facts
    assert (facts.floor_area_activity, facts.floor_area_office) == (500, None)
    row = server.query("SELECT * FROM annual_facts")[0]
    assert (row["floor_area_activity"], row["floor_area_office"]) == (500, None)
    assert one.snapshot()["annual_facts"] == two.snapshot()["annual_facts"]


def test_the_server_checks_the_parts_by_the_desks_rule(empty_database) -> None:
    """A change that did not come through the desk's form (an old or foreign client) meets the
    same rule on the server: parts not negative, the known ones not above the total."""
    storage = open_storage(empty_database, now=lambda: NOW + 1000)
    try:
        station, dev = _station_device(storage)
        row = det_id("annual_facts", station, "2025")

        def change(seq, fields):
            stamp = f"{NOW + seq:013d}.0000.{dev.id}"
            return {"seq": seq, "t": "annual_facts", "id": row, "s": stamp, "f": fields}

        base = {"year": 2025, "floor_area": 100.0}
        result = storage.push(
            dev,
            [
                change(1, {**base, "floor_area_activity": 80.0, "floor_area_office": 30.0}),
                change(2, {**base, "floor_area_activity": -1.0, "floor_area_office": None}),
                change(3, {**base, "floor_area_activity": None, "floor_area_office": 100.0}),
            ],
            client_time_ms=None,
        )
        aside = {it["seq"]: it["errors"] for it in result.set_aside}
        assert aside == {
            1: {"floor_area_office": "各项用房面积之和不能大于实际使用面积"},
            2: {"floor_area_activity": "不能为负数"},
        }
        held = storage.query("SELECT * FROM annual_facts")
        assert [(r["floor_area_activity"], r["floor_area_office"]) for r in held] == [(None, 100)]
    finally:
        storage.close()
