"""The server's numbered migrations on both engines: a new database gets every one once, also
when two processes open it at the same moment; a city's file from before the numbered
migrations is adopted with its data; a database from a newer server is refused."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from sync.server.db import open_engine
from sync.server.db.migrations import MIGRATIONS, SchemaTooNew
from sync.server.sql_storage import open_storage

NUMBERS = [n for n, _ in MIGRATIONS]


def _applied(engine) -> list[int]:
    return [r[0] for r in engine.all("SELECT number FROM srv_migrations ORDER BY number")]


def test_two_processes_opening_a_new_database_migrate_it_once(empty_database) -> None:
    engines, errors = [], []

    def open_one() -> None:
        try:
            engines.append(open_engine(empty_database))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        assert _applied(engines[0]) == NUMBERS
        assert engines[0].scalar("SELECT value FROM srv_meta WHERE key = 'hlc_last'")
    finally:
        for e in engines:
            e.close()


def test_a_database_from_a_newer_server_is_refused(empty_database) -> None:
    engine = open_engine(empty_database)
    try:
        engine.write(
            lambda c: c.execute(
                "INSERT INTO srv_migrations (number, name) VALUES (?, ?)", (999, "future")
            )
        )
    finally:
        engine.close()
    with pytest.raises(SchemaTooNew, match="升级"):
        open_engine(empty_database)


def test_a_city_file_from_before_numbered_migrations_is_adopted(tmp_path: Path, engine) -> None:
    if engine != "sqlite":
        pytest.skip("the cities' files from before are SQLite")
    path = tmp_path / "server.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(
        """
        CREATE TABLE srv_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO srv_meta VALUES ('hlc_last', '1790000000000.0003.server');
        CREATE TABLE srv_stations (id TEXT PRIMARY KEY, name TEXT NOT NULL,
            county TEXT NOT NULL, created_ms INTEGER NOT NULL);
        INSERT INTO srv_stations VALUES ('st-1', '老站', '东区', 1);
        CREATE TABLE srv_feed (seq INTEGER PRIMARY KEY AUTOINCREMENT, station_id TEXT NOT NULL,
            tbl TEXT NOT NULL, row_id TEXT NOT NULL, stamp TEXT NOT NULL, fields TEXT NOT NULL,
            origin TEXT NOT NULL, replaced TEXT);
        INSERT INTO srv_feed (station_id, tbl, row_id, stamp, fields, origin)
            VALUES ('st-1', 'stations', 'st-1', '1790000000000.0003.server', '{}', 'server');
        CREATE TABLE activities (id TEXT PRIMARY KEY, station_id TEXT NOT NULL,
            updated_at TEXT NOT NULL DEFAULT '', device_id TEXT NOT NULL DEFAULT '',
            clocks TEXT NOT NULL DEFAULT '{}', title TEXT NOT NULL DEFAULT '');
        INSERT INTO activities (id, station_id, title) VALUES ('a-1', 'st-1', '旧活动');
        """
    )
    old.commit()
    old.close()
    storage = open_storage(path, now=lambda: 1_700_000_000_000)
    try:
        assert _applied(storage.engine) == NUMBERS
        assert [s.name for s in storage.list_stations()] == ["老站"]
        row = storage.query("SELECT title, attendance, deleted FROM activities")[0]
        assert row == {"title": "旧活动", "attendance": 0, "deleted": 0}  # columns added
        # The clock goes on after the stamp the file holds, though the wall clock is behind.
        storage.server_write("st-1", "stations", "st-1", {"name": "新名"})
        stamp = storage.query("SELECT updated_at FROM stations WHERE id = 'st-1'")[0]
        assert stamp["updated_at"] > "1790000000000.0003.server"
        assert [r["seq"] for r in storage.query("SELECT seq FROM srv_feed ORDER BY seq")] == [1, 2]
    finally:
        storage.close()


def test_copy_database_moves_a_city_file_and_verifies_it(
    tmp_path: Path, empty_database, capsys
) -> None:
    from sync.server import admin, auth, cli

    city = tmp_path / "city" / "server.sqlite3"
    source = open_storage(city, now=lambda: 1_790_000_000_000)
    try:
        sid = admin.create_station(source, "大田镇综合文化站", "仁和区").id
        code = admin.issue_code(source, sid).code
        dev, _ = source.enroll(
            code, token_hash=auth.hash_token("t"), device_name="电脑", app_version="1",
            device_id=None,
        )  # fmt: skip
        push = [
            {"seq": i, "t": "activities", "id": f"a{i}", "s": f"1790000000000.000{i}.{dev.id}",
             "f": {"title": f"活动{i}", "attendance": 10 * i, "target_groups": ["elderly"]}}
            for i in range(1, 4)
        ]  # fmt: skip
        source.push(dev, push, client_time_ms=None)
        before = source.pull(source.get_device(dev.id), 0, 100)
    finally:
        source.close()
    args = ["admin", "copy-database", "--database", str(city), "--to", str(empty_database)]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "activities\t3" in out and "逐表核对行数一致" in out
    target = open_storage(empty_database, now=lambda: 1_790_000_000_000)
    try:
        assert [s.name for s in target.list_stations()] == ["大田镇综合文化站"]
        moved = target.device_by_token(auth.hash_token("t"))
        assert moved is not None and moved.applied_seq == 3
        assert target.pull(moved, 0, 100) == before
        rows = target.query("SELECT id, attendance, target_groups FROM activities ORDER BY id")
        assert [(r["id"], r["attendance"], r["target_groups"]) for r in rows] == [
            (f"a{i}", 10 * i, '["elderly"]') for i in range(1, 4)
        ]
        # The feed goes on after what was copied.
        target.server_write(sid, "stations", sid, {"name": "大田镇文化站"})
        seqs = [r["seq"] for r in target.query("SELECT seq FROM srv_feed ORDER BY seq")]
        assert seqs == sorted(set(seqs)) and len(seqs) == 5
    finally:
        target.close()
    # Copying again into the now filled database is refused, and changes nothing.
    assert cli.main(args) == 2
    assert "不是空的" in capsys.readouterr().err


def test_three_openings_of_one_new_file_never_hang(tmp_path: Path, engine) -> None:
    """A new file's switch to WAL meets another opener's migration: SQLite answers "locked" at
    once. It used to kill the writer thread before it said ready, and the opener waited for ever
    (CI hung here)."""
    if engine != "sqlite":
        pytest.skip("the WAL switch is SQLite's")
    for i in range(15):
        path = tmp_path / str(i) / "server.sqlite3"
        engines, errors = [], []

        def open_one(path: Path = path, engines: list = engines, errors: list = errors) -> None:
            try:
                engines.append(open_engine(path))
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=open_one, daemon=True) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        try:
            assert not any(t.is_alive() for t in threads), "an opener hangs"
            assert errors == []
        finally:
            for e in engines:
                e.close()


def test_a_file_that_cannot_be_opened_is_an_error_not_a_hang(tmp_path: Path, engine) -> None:
    if engine != "sqlite":
        pytest.skip("SQLite's writer thread")
    from sync.server.db.sqlite_writer import Writer

    where = tmp_path / "a-folder"
    where.mkdir()
    with pytest.raises(sqlite3.OperationalError):
        Writer(where)


def _indexes(engine) -> set[str]:
    if engine.dialect.postgres:
        sql = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'index'"
    return {r[0] for r in engine.all(sql)}


def _as_before(database, number: int, *ddl: str) -> tuple[set[str], set[str]]:
    """Make a migrated ``database`` one from before migration ``number`` (``ddl`` undoes it);
    its indexes as migrated, and after."""
    engine = open_engine(database)
    try:
        migrated = _indexes(engine)

        def undo(c) -> None:
            for statement in ddl:
                c.ddl(statement)
            c.execute("DELETE FROM srv_migrations WHERE number = ?", (number,))

        engine.write(undo)
        return migrated, _indexes(engine)
    finally:
        engine.close()


def test_a_station_index_covered_by_station_and_date_is_dropped(empty_database) -> None:
    """Migration 17: each pushed row pays one index insert less (issue 16); a database that
    had the index loses it, and the composite index is still there."""
    have, before = _as_before(
        empty_database, 17, "CREATE INDEX activities_station ON activities(station_id)"
    )
    assert {"activities_station_date", "people_station"} <= have
    assert not {"activities_station", "sessions_station", "service_records_station"} & have
    assert "activities_station" in before
    engine = open_engine(empty_database)
    try:
        assert _applied(engine) == NUMBERS
        have = _indexes(engine)
        assert "activities_station" not in have and "activities_station_date" in have
    finally:
        engine.close()


def test_the_feed_row_index_is_by_station_first(empty_database) -> None:
    """Migration 18 (issue 16): a record's history is found by station, table and row; a
    database from before it loses the city-wide ``(tbl, row_id)`` index, and the history's
    query is planned on the new one."""
    _, before = _as_before(
        empty_database,
        18,
        "CREATE INDEX srv_feed_row ON srv_feed(tbl, row_id)",
        "DROP INDEX srv_feed_station_row",
    )
    assert "srv_feed_row" in before
    engine = open_engine(empty_database)
    try:
        assert _applied(engine) == NUMBERS
        have = _indexes(engine)
        assert "srv_feed_station_row" in have and "srv_feed_row" not in have
        query = (
            "SELECT stamp, fields, operator FROM srv_feed WHERE tbl = 'people' AND row_id = 'p1'"
            " AND station_id = 'st-1' ORDER BY seq"
        )  # feed_history.entries' query, with values

        def plan(c) -> str:
            # a station's feed of many rows (the planners choose by the table's statistics)
            c.executemany(
                "INSERT INTO srv_feed (station_id, tbl, row_id, stamp, fields, origin)"
                " VALUES ('st-1', 'people', ?, '1790000000000.0001.d1', '{}', 'd1')",
                [(f"p{i}",) for i in range(2_000)],
            )
            c.execute("ANALYZE srv_feed")
            if c.dialect.postgres:
                return " ".join(r[0] for r in c.all("EXPLAIN " + query))
            return " ".join(str(r[-1]) for r in c.all("EXPLAIN QUERY PLAN " + query))

        assert "srv_feed_station_row" in engine.write(plan)
    finally:
        engine.close()


def test_an_upgrade_says_which_migration_runs(empty_database, caplog) -> None:
    """An admin upgrading a province's database sees which migration runs and how long it
    took (one may take minutes); a new database's first start says nothing of it."""
    with caplog.at_level("WARNING", logger="pzh.sync.db"):
        open_engine(empty_database).close()  # a new database: created, every migration run
    assert "迁移" not in caplog.text
    _as_before(empty_database, 18)  # (its index stays: CREATE INDEX IF NOT EXISTS)
    with caplog.at_level("WARNING", logger="pzh.sync.db"):
        open_engine(empty_database).close()
    assert "迁移 18（m0018_feed_row_by_station）" in caplog.text
    assert "迁移 18 完成，用时" in caplog.text
