"""The change log without a second copy of the values (issue 16, migration m0014): an entry reads
the values its row still holds at its stamp, and every path that overwrites or re-stamps a field
copies the old value into the entry first — so what is pushed and what the history shows are the
values each change wrote, as before; and a file written by the previous version is converted in
place with the same answers."""

from __future__ import annotations

import itertools
import json
import random
import sqlite3
from pathlib import Path

import pytest

from pzh_core import digest, hlc, stored_clocks
from pzh_core import history as core_history
from pzh_station.store import Store, changelog, digest_rows, migrations, replica, set_aside
from pzh_station.store import activities as activity_q
from pzh_station.store import history as store_history
from tests import previous_version

STATION = "st-1"
OTHER = "b" * 32


def _store(path: Path) -> Store:
    store = Store(path)
    store.set_meta("station_id", STATION)
    store.operator = "李明"
    return store


def _remote(store: Store, row_id: str, fields: dict, *, ahead_ms: int = 1) -> str:
    """A change of another PC, stamped just after everything this file has seen."""
    last = hlc.parse(store.clock.last)
    stamp = f"{last.ms + ahead_ms:013d}.{next(_COUNTER) % 10_000:04d}.{OTHER}"  # each its own
    with store.transaction():
        store.apply_remote("activities", row_id, STATION, fields, stamp, "王芳")
    return stamp


_COUNTER = itertools.count()


def _received(store: Store) -> dict[tuple[str, str], dict]:
    """Every change received, ``{(row id, stamp): fields}`` as the history reads them."""
    rows = store.conn.execute("SELECT DISTINCT row_id FROM received").fetchall()
    return {
        (e["row_id"], e["stamp"]): e["fields"]
        for (row_id,) in rows
        for e in changelog.received(store, "activities", row_id)
    }


def _log(store: Store) -> list[tuple[int, str, str, dict]]:
    return [
        (e["seq"], e["row_id"], e["stamp"], e["fields"])
        for e in changelog.entries(store, "1 ORDER BY seq")
    ]


def test_a_pushed_change_after_later_overwrites_sends_its_own_values(tmp_path):
    store = _store(tmp_path / "s.sqlite3")
    row = store.write("activities", None, {"title": "广场舞", "attendance": 80, "place": "广场"})
    store.write("activities", row, {"title": "广场舞展演", "attendance": 95})
    _remote(store, row, {"place": "村委会"})
    store.write("activities", row, {"attendance": 120})
    sent = store.pending_changes(0)
    assert [c["fields"] for c in sent] == [
        {"title": "广场舞", "place": "广场", "attendance": 80},
        {"title": "广场舞展演", "attendance": 95},
        {"attendance": 120},
    ]
    # the row keeps the latest values; the first entry copied only what was overwritten
    assert store.get("activities", row)["place"] == "村委会"
    stored = store.conn.execute("SELECT fields, live FROM changes ORDER BY seq").fetchall()
    assert [(json.loads(f), live) for f, live in stored] == [
        ({"title": "广场舞", "attendance": 80, "place": "广场"}, 1),
        ({"attendance": 95}, 1),
        ({}, 1),
    ]
    store.close()


def test_history_shows_the_old_values_after_overwrites(tmp_path):
    store = _store(tmp_path / "s.sqlite3")
    row = store.write("activities", None, {"title": "讲座", "attendance": 30})
    store.write("activities", row, {"title": "健康讲座"})
    _remote(store, row, {"attendance": 45})
    store.write("activities", row, {"title": "健康知识讲座", "deleted": True, "attendance": 50})
    steps = core_history.steps(store_history.entries(store, "activities", row))
    assert [s.changes for s in steps] == [
        [("title", None, "讲座"), ("attendance", None, 30)],
        [("title", "讲座", "健康讲座")],
        [("attendance", 30, 45)],
        [("title", "健康讲座", "健康知识讲座"), ("attendance", 45, 50), ("deleted", None, True)],
    ]
    # the change received kept the value the later write overwrote
    assert store.query("SELECT fields, live FROM received") == [
        {"fields": '{"attendance":45}', "live": 1}
    ]
    assert [s.operator for s in steps] == ["李明", "李明", "王芳", "李明"]
    store.close()


def test_values_that_do_not_read_back_alike_are_copied(tmp_path):
    store = _store(tmp_path / "s.sqlite3")
    row = store.write("service_records", None, {"hours": 2, "date": "2026-03-01"})
    [entry] = store.pending_changes(0)
    assert entry["fields"] == {"date": "2026-03-01", "hours": 2}
    assert type(entry["fields"]["hours"]) is int  # as written, not the column's 2.0
    assert store.get("service_records", row)["hours"] == 2.0
    store.close()


def test_a_set_aside_change_keeps_its_values_after_the_servers_come_back(tmp_path):
    store = _store(tmp_path / "s.sqlite3")
    row = store.write("activities", None, {"title": "旧标题", "attendance": 10})
    _remote(store, row, {"notes": "备注"})
    store.write("activities", row, {"title": "被拒的标题"})
    seq = changelog.entries(store, "1 ORDER BY seq DESC LIMIT 1")[0]["seq"]
    old_stamp = stored_clocks.decode("activities", store.get("activities", row)["clocks"])
    current = {"f": {"title": "旧标题"}, "c": {"title": old_stamp["attendance"]}}
    with store.transaction():
        set_aside.take(store, [{"table": "activities", "id": row, "seq": seq, "current": current}])
    assert store.get("activities", row)["title"] == "旧标题"
    assert [c["fields"] for c in store.pending_changes(0)] == [
        {"title": "旧标题", "attendance": 10},
        {"title": "被拒的标题"},
    ]
    assert set_aside.open_items(store)[0]["fields"] == {"title": "被拒的标题"}
    steps = core_history.steps(store_history.entries(store, "activities", row))
    assert steps[-1].refused and steps[-1].changes == [("title", "旧标题", "被拒的标题")]
    store.close()


def test_a_stamp_the_server_replaced_keeps_the_entry_whole(tmp_path):
    store = _store(tmp_path / "s.sqlite3")
    row = store.write("activities", None, {"title": "活动", "attendance": 5})
    [entry] = store.pending_changes(0)
    with store.transaction():
        replica.replace_stamp(store, "activities", row, entry["stamp"], "1700000000000.0000.server")
    assert store.pending_changes(0)[0]["fields"] == {"title": "活动", "attendance": 5}
    store.close()


def _random_op(store: Store, rng: random.Random, rows: list[str], shadow: dict) -> None:
    """One random write, pull, stamp replacement or set-aside restore; ``shadow`` keeps what
    the previous version's log held ({seq: fields}, every value copied)."""
    op = rng.choice(["write", "write", "new", "remote", "replace", "refuse"])
    fields = {
        name: value
        for name, value in {
            "title": f"标题{rng.randrange(99)}",
            "attendance": rng.randrange(200),
            "target_groups": rng.sample(["老年人", "儿童", "妇女"], rng.randrange(3)),
            "deleted": rng.random() < 0.2,
        }.items()
        if rng.random() < 0.6
    } or {"notes": f"备注{rng.randrange(9)}"}
    if op == "new" or not rows:
        rows.append(store.write("activities", None, fields))
    elif op == "write":
        store.write("activities", rng.choice(rows), fields)
    elif op == "remote":
        row_id = rng.choice(rows)
        stamp = _remote(store, row_id, fields, ahead_ms=rng.choice([1, -5_000]))
        shadow[(row_id, stamp)] = fields
        return
    elif op == "replace":
        entry = rng.choice(_log(store))
        with store.transaction():
            replica.replace_stamp(store, "activities", entry[1], entry[2], store.clock.now())
        return
    else:
        seq, row_id, _, _ = rng.choice(_log(store))
        with store.transaction():
            set_aside.take(store, [{"table": "activities", "id": row_id, "seq": seq}])
        return
    seq = changelog.entries(store, "1 ORDER BY seq DESC LIMIT 1")[0]["seq"]
    shadow[seq] = fields


def test_a_random_walk_of_writes_pulls_and_restores_keeps_every_entrys_values(tmp_path):
    store = _store(tmp_path / "s.sqlite3")
    rng, rows, shadow = random.Random(16), [], {}
    for _ in range(600):
        _random_op(store, rng, rows, shadow)
        log: dict = {seq: fields for seq, _, _, fields in _log(store)}
        log.update(_received(store))
        assert log.keys() == shadow.keys()
        for key, fields in shadow.items():
            assert log[key] == fields, key
    store.close()


def _previous_file(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A version-13 file: every value copied into its entry, with overwrites, pulls, an entry a
    repair logged again at an existing stamp, and an int in a real field."""
    previous_version.write_as(monkeypatch, 13)
    store = _store(path)
    assert store.schema_version == 13
    rng, rows, shadow = random.Random(12), [], {}
    with store.transaction():
        for _ in range(300):
            _random_op(store, rng, rows, shadow)
        store.write("service_records", None, {"hours": 3, "date": "2026-01-02"})
        for i in range(50):  # activities nobody touched again: their values are the row's
            store.write("activities", None, {"title": f"未改的活动{i}", "attendance": i})
        entry = changelog.entries(store, "tbl = 'activities' ORDER BY seq DESC LIMIT 1")[0]
        store.conn.execute(
            "INSERT INTO changes (tbl, row_id, stamp, fields) VALUES (?, ?, ?, ?)",
            ("activities", entry["row_id"], entry["stamp"], json.dumps(entry["fields"])),
        )
    store.close()
    monkeypatch.undo()


def _answers(store: Store) -> tuple[list, dict]:
    rows = {r for (r,) in store.conn.execute("SELECT DISTINCT row_id FROM changes")}
    tables = dict(store.conn.execute("SELECT row_id, tbl FROM changes").fetchall())
    # an entry lists its fields in the schema's order now (before: in the order written)
    shown = {
        r: [
            (s.when, s.operator, s.refused, sorted(s.changes))
            for s in core_history.steps(store_history.entries(store, tables[r], r))
        ]
        for r in rows
    }
    return store.pending_changes(0, limit=10**6), shown


def test_a_file_of_the_previous_version_is_converted_with_the_same_answers(tmp_path, monkeypatch):
    db = tmp_path / "station.sqlite3"
    _previous_file(db, monkeypatch)
    previous_version.write_as(monkeypatch, 13)
    old = Store(db, readonly=True)
    sent_before, shown_before = _answers(old)
    old.close()
    monkeypatch.undo()
    conn = sqlite3.connect(db)
    stored_before = sum(len(f) for (f,) in conn.execute("SELECT fields FROM changes"))
    conn.close()
    store = Store(db)
    assert store.schema_version == migrations.LATEST >= 16
    sent, shown = _answers(store)
    assert [(c["seq"], c["stamp"], c["operator"]) for c in sent] == [
        (c["seq"], c["stamp"], c["operator"]) for c in sent_before
    ]
    assert [c["fields"] for c in sent] == [c["fields"] for c in sent_before]
    assert shown == shown_before
    stored = sum(len(f) for (f,) in store.conn.execute("SELECT fields FROM changes"))
    assert (
        store.query("SELECT count(*) AS n FROM received WHERE live = 1 AND fields = '{}'")[0]["n"]
        > 0
    )
    assert stored * 3 < stored_before * 2
    untouched = store.query(
        "SELECT fields FROM changes WHERE rowid > (SELECT max(seq) - 50 FROM changes)"
    )
    assert [r["fields"] for r in untouched] == ["{}"] * 50
    # the entry logged twice at one stamp stays whole; an int in a real field stays copied
    whole = store.query("SELECT tbl, fields FROM changes WHERE live = 0")
    assert len([r for r in whole if r["tbl"] == "activities"]) >= 2
    [record] = store.query("SELECT fields, live FROM changes WHERE tbl = 'service_records'")
    assert (json.loads(record["fields"]), record["live"]) == ({"hours": 3}, 1)
    # one activity index for the list and the reports (migration 15)
    index = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_schema")}
    assert not index & {"activities_date", "activities_report"} and "activities_list" in index
    columns = [r[2] for r in store.conn.execute("PRAGMA index_info(activities_list)")]
    assert columns[:4] == ["deleted", "date", "start_time", "id"] and "station_id" in columns
    store.close()


def test_a_repair_taking_the_servers_value_under_the_same_stamp_keeps_the_entrys(tmp_path):
    store = _store(tmp_path / "s.sqlite3")
    row = store.write("activities", None, {"title": "本机的标题", "attendance": 7})
    [entry] = store.pending_changes(0)
    server = [["activities", row, {"title": "服务器的标题"}, {"title": entry["stamp"]}]]
    with store.transaction():
        digest_rows.repair(store, {"activities": [digest.bucket_of(row)]}, server)
    assert store.get("activities", row)["title"] == "服务器的标题"
    assert store.pending_changes(0)[0]["fields"] == {"title": "本机的标题", "attendance": 7}
    store.close()


def test_the_one_activity_index_lists_filters_and_searches_in_order(tmp_path):
    store = _store(tmp_path / "s.sqlite3")
    rng = random.Random(15)
    with store.transaction():
        for i in range(300):
            store.write(
                "activities",
                None,
                {
                    "title": rng.choice(["书法讲座", "广场舞", "电影放映"]) + str(i),
                    "place": rng.choice(["文化广场", "村委会", "站内"]),
                    "notes": rng.choice(["", "与派出所合办", "下雨改期"]),
                    "kind": rng.choice(["lecture", "film", "dance"]),
                    "date": f"2026-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
                    "start_time": rng.choice(["09:00", "14:30", "19:00"]),
                    "deleted": rng.random() < 0.1,
                },
            )
    rows = store.query("SELECT * FROM activities")

    def expected(keep) -> list[str]:  # noqa: ANN001
        live = [r for r in rows if not r["deleted"] and keep(r)]
        live.sort(key=lambda r: (r["date"], r["start_time"], r["id"]), reverse=True)
        return [r["id"] for r in live]

    assert activity_q.ids(store, activity_q.ActivityFilter()) == expected(lambda r: True)
    assert activity_q.ids(store, activity_q.ActivityFilter(kind="film")) == expected(
        lambda r: r["kind"] == "film"
    )
    found = activity_q.ids(store, activity_q.ActivityFilter(text="派出所", date_from="2026-06-01"))
    assert found == expected(lambda r: "派出所" in r["notes"] and r["date"] >= "2026-06-01")
    assert found and [
        r["id"] for r in activity_q.all_rows(store, activity_q.ActivityFilter(text="广场"))
    ] == expected(lambda r: "广场" in r["title"] + r["place"] + r["notes"])
    store.close()
