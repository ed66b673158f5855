"""The migrations make their tables with sqlite-utils from field types: a new file's synced tables
are the tables the first migrations made with hand-written SQL (files made then have them), and
transform() stays inside the migration's transaction (a failed migration leaves the file as it
was)."""

from __future__ import annotations

import sqlite3

import pytest

from pzh_core import schema
from pzh_station.store import Store
from pzh_station.store.migrations import create_synced_table, transform_table

# The column SQL the shipped migrations wrote by hand until sqlite-utils made it (v1-v7).
HAND_SQL = {
    "text": "TEXT NOT NULL DEFAULT ''",
    "int": "INTEGER NOT NULL DEFAULT 0",
    "real": "REAL NOT NULL DEFAULT 0",
    "bool": "INTEGER NOT NULL DEFAULT 0",
    "date": "TEXT NOT NULL DEFAULT ''",
    "time": "TEXT NOT NULL DEFAULT ''",
    "list": "TEXT NOT NULL DEFAULT '[]'",
    "json": "TEXT NOT NULL DEFAULT '{}'",
    "opt_real": "REAL",  # v13: a part filled where known (null = not known)
}
META_SQL = [
    "id TEXT PRIMARY KEY",
    "station_id TEXT NOT NULL",
    "updated_at TEXT NOT NULL DEFAULT ''",
    "device_id TEXT NOT NULL DEFAULT ''",
    "clocks TEXT NOT NULL DEFAULT '{}'",
]


def _columns(conn: sqlite3.Connection, table: str) -> dict[str, tuple]:
    # name -> type, notnull, default (as SQL text, quotes normalised), pk
    return {
        r[1]: (r[2], r[3], (r[4] or "").replace('"', "'"), r[5])
        for r in conn.execute(f"PRAGMA table_info({table})")
    }


@pytest.fixture(scope="module")
def new_file(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("new") / "station.sqlite3")
    yield store.conn
    store.close()


@pytest.mark.parametrize("table", sorted(schema.TABLES))
def test_a_new_files_table_is_the_one_the_hand_written_sql_made(new_file, table):
    fields = schema.TABLES[table]
    cols = META_SQL + [f"{col} {HAND_SQL[kind]}" for col, kind in fields.items()]
    by_hand = sqlite3.connect(":memory:")
    by_hand.execute(f"CREATE TABLE {table} ({', '.join(cols)})")
    assert _columns(new_file, table) == _columns(by_hand, table)


def test_a_synced_table_from_field_types_takes_its_defaults():
    conn = sqlite3.connect(":memory:")
    create_synced_table(conn, "things", {"size": "int", "tags": "list", "done": "bool"})
    conn.execute("INSERT INTO things (id, station_id) VALUES ('r1', 's1')")
    assert conn.execute("SELECT * FROM things").fetchall() == [
        ("r1", "s1", "", "", "{}", 0, "[]", 0, 0)
    ]
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO things (id) VALUES ('r2')")  # station_id has no default


def test_transform_keeps_rows_and_rolls_back_with_the_migration():
    conn = sqlite3.connect(":memory:", isolation_level=None)
    create_synced_table(conn, "things", {"size": "text", "note": "text"})
    conn.execute("INSERT INTO things (id, station_id, size, note) VALUES ('a', 's', '12', 'x')")
    conn.execute("BEGIN IMMEDIATE")
    transform_table(conn, "things", types={"size": int}, drop={"note"})
    assert "note" not in _columns(conn, "things")
    conn.execute("ROLLBACK")
    assert "note" in _columns(conn, "things")  # the failed migration left it

    conn.execute("BEGIN IMMEDIATE")
    transform_table(conn, "things", types={"size": int}, drop={"note"})
    conn.execute("COMMIT")
    cols = _columns(conn, "things")
    assert "note" not in cols and cols["size"][0] == "INTEGER"
    assert conn.execute("SELECT id, size FROM things").fetchall() == [("a", 12)]
