"""The local store on real SQLite files: writes with their change log, tombstones, migrations,
refusing files it must not touch, one instance per data dir, backups."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from pathlib import Path

import pytest

from pzh_core import schema
from pzh_station.store import Store, StoreError, backup, migrations
from pzh_station.store.lock import InstanceLock

DATA = Path(__file__).resolve().parents[1] / "data"


def test_write_logs_change_in_same_transaction(services):
    store = services.store
    before = store.conn.execute("SELECT count(*) FROM changes").fetchone()[0]
    rid = store.write(
        "activities", None, {"title": "讲座", "date": "2025-01-02", "target_groups": ["elderly"]}
    )
    row = store.get("activities", rid)
    assert row["title"] == "讲座" and row["target_groups"] == ["elderly"]
    assert row["station_id"] == store.station_id and row["device_id"] == store.device_id
    assert set(row["clocks"]) >= {"title", "date", "target_groups"} or row["clocks"]
    change = store.pending_changes(before)[-1]
    assert change["row_id"] == rid and change["fields"]["title"] == "讲座"
    assert change["stamp"] == row["updated_at"]


def test_failed_write_leaves_nothing(services):
    store = services.store
    n_changes = store.conn.execute("SELECT count(*) FROM changes").fetchone()[0]
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.write("activities", None, {"title": "半截"})
            raise RuntimeError("power cut")
    assert (
        store.conn.execute("SELECT count(*) FROM activities WHERE title='半截'").fetchone()[0] == 0
    )
    assert store.conn.execute("SELECT count(*) FROM changes").fetchone()[0] == n_changes


def test_delete_is_a_tombstone_and_restore_undoes_it(services):
    store = services.store
    rid = store.write("activities", None, {"title": "展览"})
    store.delete("activities", rid)
    assert store.get("activities", rid)["deleted"] is True
    store.restore("activities", rid)
    assert store.get("activities", rid)["deleted"] is False


def test_every_synced_table_matches_schema(services):
    for table, fields in schema.TABLES.items():
        cols = {r["name"] for r in services.store.query(f"PRAGMA table_info({table})")}
        assert cols == set(schema.META_COLUMNS) | set(fields), table


def test_v1_file_is_upgraded_in_place_and_keeps_its_records(tmp_path):
    db = tmp_path / "station.sqlite3"
    shutil.copy(DATA / "station-v1.sqlite3", db)
    store = Store(db)
    assert store.schema_version == migrations.LATEST
    assert [r["title"] for r in store.query("SELECT title FROM activities ORDER BY date")] == [
        "旧版活动0",
        "旧版活动1",
        "旧版活动2",
    ]
    assert store.get("stations", store.station_id)["name"] == "旧版测试站"
    assert [r["number"] for r in store.query("SELECT number FROM migrations")] == list(
        range(1, migrations.LATEST + 1)
    )
    # the clock continues after the old file's stamps
    rid = store.write("activities", None, {"title": "新活动"})
    assert store.get("activities", rid)["updated_at"] > "1700000000012"
    store.close()


def test_file_from_a_newer_version_is_refused_and_untouched(tmp_path):
    db = tmp_path / "station.sqlite3"
    Store(db).close()
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {migrations.LATEST + 1}")
    conn.close()
    before = db.read_bytes()
    with pytest.raises(StoreError) as err:
        Store(db)
    assert err.value.kind == "newer" and "更新版本" in err.value.message
    assert db.read_bytes() == before


def test_not_sqlite_file_is_refused_and_untouched(tmp_path):
    db = tmp_path / "station.sqlite3"
    db.write_bytes(b"PK\x03\x04 this is a zip, not a database" * 10)
    with pytest.raises(StoreError) as err:
        Store(db)
    assert err.value.kind == "not_sqlite" and err.value.can_restore
    assert db.read_bytes().startswith(b"PK")


def test_second_instance_is_refused(tmp_path):
    first = InstanceLock(tmp_path)
    first.acquire()
    with pytest.raises(StoreError) as err:
        InstanceLock(tmp_path).acquire()
    assert err.value.kind == "in_use" and "已经在运行" in err.value.message
    first.release()
    InstanceLock(tmp_path).acquire()


def test_auto_backup_at_most_daily_and_keeps_last_n(services, tmp_path):
    db = services.store.path
    out = tmp_path / "backups"
    day = dt.datetime(2026, 1, 1, 8, 0)
    assert backup.auto_backup(db, out, keep=3, now=day) is not None
    assert backup.auto_backup(db, out, keep=3, now=day + dt.timedelta(hours=5)) is None
    for i in range(1, 6):
        backup.auto_backup(db, out, keep=3, now=day + dt.timedelta(days=i))
    files = backup.list_backups(out)
    assert len(files) == 3 and files[0].name == "station-20260106-080000.sqlite3"
    copy = Store(files[0], readonly=True)
    assert copy.station_id == services.store.station_id
    copy.close()


def test_read_only_file_gives_message_and_keeps_data(services, tmp_path):
    store = services.store
    rid = store.write("activities", None, {"title": "已保存"})
    ro = Store(store.path, readonly=True)
    with pytest.raises(StoreError) as err:
        ro.write("activities", None, {"title": "写不进"})
    assert err.value.kind == "readonly"
    assert ro.get("activities", rid)["title"] == "已保存"
    ro.close()


def test_people_registry_minimal_core(services):
    from pzh_core.domain.errors import ValidationError
    from pzh_core.domain.person import Person
    from pzh_station.services.people import PeopleService

    people = PeopleService(services)
    pid = people.save(Person(name=" 张三 ", phone="１３８ 0000-1111", village="大田村"))
    assert people.get(pid).phone == "13800001111" and people.get(pid).created_by == "李明"
    assert [p["id"] for p in people.search("张")] == [pid]
    assert [p["id"] for p in people.search("0000")] == [pid]
    with pytest.raises(ValidationError) as err:
        people.save(Person(name="", phone="12"))
    assert set(err.value.errors) == {"name", "phone"}


def test_local_edit_wins_over_a_newer_stamp_just_pulled(services):
    """The store is the file's only writer: its clock moves past every pulled stamp, so the next
    local edit wins over what the user saw."""
    store = services.store
    rid = store.write("activities", None, {"title": "原名"})
    future = f"{int(store.clock.last.split('.')[0]) + 60_000:013d}.0000.other-device"
    with store.transaction():
        store.apply_remote("activities", rid, store.station_id, {"title": "别的电脑改的"}, future)
    store.write("activities", rid, {"title": "本机刚改的"})
    row = store.get("activities", rid)
    assert row["title"] == "本机刚改的" and row["updated_at"] > future
