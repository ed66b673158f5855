"""The digest of values on the server (issue 12, verified convergence), on both engines: kept
incrementally beside the digest of stamps in every write of replica rows (pushes, merges that
lose or win part of a row, the server's own writes, erasures), equal to a recomputation from the
rows as stored; built by migration 13 for rows held before; and served by a sync's answer
(``values``) and a ``verify_values`` request."""

from __future__ import annotations

import json
from pathlib import Path

from pzh_core import digest, stored_clocks
from sync.server import admin, auth, exchange, replica_digest
from sync.server.sql_storage import open_storage

NOW = 1_790_000_000_000


def _recomputed(storage, station: str) -> tuple[str, str]:
    """Both roots recomputed from the station's rows as stored (the definition)."""
    stamps, values = {}, {}
    for table in digest.tables():
        rows = storage.query(f"SELECT * FROM {table} WHERE station_id = ?", (station,))
        s, v = digest.TableDigest(), digest.TableDigest()
        for r in rows:
            s.add(table, r["id"], r["clocks"])
            v.add_values(table, r["id"], r, r["clocks"])
        stamps[table], values[table] = s.value, v.value
    return digest.root(stamps), digest.root(values)


def _kept(storage, station: str) -> tuple[str, str]:
    return storage.engine.read(lambda c: replica_digest.roots(c, station))


def _devices(storage, station: str, n: int = 2) -> list:
    out = []
    for i in range(n):
        code = admin.issue_code(storage, station).code
        token = auth.hash_token(f"{station}-{len(out)}-{n}")
        dev, _ = storage.enroll(
            code, token_hash=token, device_name=f"d{i}", app_version="1", device_id=None
        )
        out.append(dev)
    return out


def _stamp(ms: int, counter: int, device) -> str:
    return f"{ms:013d}.{counter:04d}.{device.id}"


def _fill(storage) -> str:
    """Rows of several kinds written by pushes, partial merges and the server itself."""
    station = admin.create_station(storage, "大田镇综合文化站", "仁和区").id
    one, two = _devices(storage, station)
    push = [
        {"seq": i + 1, "t": "activities", "id": f"a{i}", "s": _stamp(NOW + i, 0, one),
         "f": {"title": f"活动{i}", "attendance": i, "target_groups": ["elderly", "minors"],
               "deleted": False, "date": "2026-09-01"}}
        for i in range(30)
    ]  # fmt: skip
    push.append(
        {"seq": 31, "t": "service_records", "id": "s1", "s": _stamp(NOW, 1, one),
         "f": {"hours": 1.5, "date": "2026-09-01", "status": "recorded"}}
    )  # fmt: skip
    storage.push(one, push, client_time_ms=None)
    later = [
        # one field wins (newer), one loses (older): the row's values change in part
        {"seq": 1, "t": "activities", "id": "a0", "s": _stamp(NOW + 99, 2, two),
         "f": {"title": "乙改的", "deleted": True}},
        {"seq": 2, "t": "activities", "id": "a1", "s": _stamp(NOW - 5, 0, two),
         "f": {"title": "更早的，输了"}},
        {"seq": 3, "t": "service_records", "id": "s1", "s": _stamp(NOW + 99, 3, two),
         "f": {"hours": 2.0}},
    ]  # fmt: skip
    storage.push(two, later, client_time_ms=None)
    storage.server_write(station, "activities", "a2", {"notes": "市里的备注", "attendance": 7})
    return station


def test_the_values_digest_moves_with_every_write_and_equals_a_recomputation(empty_database):
    storage = open_storage(empty_database, now=lambda: NOW + 1000)
    try:
        station = _fill(storage)
        kept = _kept(storage, station)
        assert kept == _recomputed(storage, station)
        # A write that changes a value (and its stamp) moves both roots.
        storage.server_write(station, "service_records", "s1", {"hours": 2.5})
        moved = _kept(storage, station)
        assert moved == _recomputed(storage, station)
        assert moved[0] != kept[0] and moved[1] != kept[1]
        # A value changed under its stamp (a storage bug, a hand edit) is not in the kept values:
        # the kept digest says what the server wrote, and a recomputation sees the difference.
        storage.engine.write(
            lambda c: c.execute("UPDATE activities SET title = '手改的' WHERE id = 'a3'")
        )
        assert _recomputed(storage, station)[0] == moved[0]
        assert _recomputed(storage, station)[1] != moved[1]
    finally:
        storage.close()


def test_migration_13_builds_the_values_of_rows_held_before(empty_database) -> None:
    where: str | Path = empty_database
    storage = open_storage(where, now=lambda: NOW + 1000)
    try:
        station = _fill(storage)
        expected = _recomputed(storage, station)
        # Back to a database before migration 13: no values kept.
        storage.engine.write(lambda c: c.execute("UPDATE srv_digest SET vals = 0"))
        storage.engine.write(lambda c: c.execute("UPDATE srv_digest_table SET vals = 0"))
        storage.engine.write(lambda c: c.execute("DELETE FROM srv_migrations WHERE number = 13"))
        assert _kept(storage, station)[1] != expected[1]
    finally:
        storage.close()
    storage = open_storage(where, now=lambda: NOW + 2000)
    try:
        assert _kept(storage, station) == expected
        assert (
            storage.query("SELECT count(*) AS n FROM srv_migrations WHERE number = 13")[0]["n"] == 1
        )
    finally:
        storage.close()


def test_a_sync_answer_carries_the_values_root_and_verify_values_finds_the_buckets(
    empty_database,
) -> None:
    storage = open_storage(empty_database, now=lambda: NOW + 1000)
    try:
        station = _fill(storage)
        device = _devices(storage, station, 1)[0]
        answer = _run(storage, device, {"push": [], "cursor": 0})
        assert (answer["digest"], answer["values"]) == _kept(storage, station)
        # The client's replica: the server's rows, but one value differs under its stamp.
        rows = {r["id"]: r for r in storage.query("SELECT * FROM activities")}
        mine = digest.TableDigest()
        for row_id, r in rows.items():
            held = {**r, "title": "别的值"} if row_id == "a5" else r
            mine.add_values("activities", row_id, held, r["clocks"])
        held = {t: digest.hex64(v) for t, v in _table_values(storage, station).items()}
        claim = {**held, "activities": digest.hex64(mine.value)}
        answer = _run(storage, device, {"push": [], "cursor": 0, "verify_values": claim})
        differ = answer["verify_values"]
        assert sorted(differ) == ["activities"]
        buckets = digest.differing_buckets(
            mine.buckets, digest.TableDigest.decode(differ["activities"])
        )
        assert buckets == [digest.bucket_of("a5")]
        fetched = _run(storage, device, {"push": [], "cursor": 0, "fetch": {"activities": buckets}})
        got = {r[1]: r for r in fetched["rows"]}
        assert got["a5"][2]["title"] == "活动5"
        assert got["a5"][3] == stored_clocks.decode("activities", rows["a5"]["clocks"])
        # Equal values: no table listed.
        answer = _run(storage, device, {"push": [], "cursor": 0, "verify_values": held})
        assert answer["verify_values"] == {}
    finally:
        storage.close()


def _table_values(storage, station: str) -> dict[str, int]:
    return storage.engine.read(lambda c: replica_digest.table_values(c, station, "values"))


def _run(storage, device, body: dict) -> dict:
    return json.loads(exchange.run(storage, device, exchange.parse(body)))
