"""The sqlite-utils helpers future migrations use: a synced table made from field types is the
table the shipped migrations make by hand, and transform() stays inside the migration's
transaction (a failed migration leaves the file as it was)."""

from __future__ import annotations

import sqlite3

import pytest

from pzh_core import schema
from pzh_station.store.migrations import create_synced_table, synced_table_sql, transform_table


def _columns(conn: sqlite3.Connection, table: str) -> list[tuple]:
    # name, type, notnull, default (as SQL text, quotes normalised), pk
    return [
        (r[1], r[2], r[3], (r[4] or "").replace('"', "'"), r[5])
        for r in conn.execute(f"PRAGMA table_info({table})")
    ]


@pytest.mark.parametrize("table", sorted(schema.TABLES))
def test_a_table_from_field_types_is_the_hand_written_one(table):
    fields = {k: v for k, v in schema.TABLES[table].items() if k != "deleted"}
    conn = sqlite3.connect(":memory:")
    conn.execute(synced_table_sql("by_hand", fields))
    create_synced_table(conn, "by_types", fields)
    assert _columns(conn, "by_types") == _columns(conn, "by_hand")
    conn.execute("INSERT INTO by_types (id, station_id) VALUES ('r1', 's1')")
    conn.execute("INSERT INTO by_hand (id, station_id) VALUES ('r1', 's1')")
    assert (
        conn.execute("SELECT * FROM by_types").fetchall()
        == conn.execute("SELECT * FROM by_hand").fetchall()
    )


def test_transform_keeps_rows_and_rolls_back_with_the_migration():
    conn = sqlite3.connect(":memory:", isolation_level=None)
    create_synced_table(conn, "things", {"size": "text", "note": "text"})
    conn.execute("INSERT INTO things (id, station_id, size, note) VALUES ('a', 's', '12', 'x')")
    conn.execute("BEGIN IMMEDIATE")
    transform_table(conn, "things", types={"size": int}, drop={"note"})
    assert [c[0] for c in _columns(conn, "things")].count("note") == 0
    conn.execute("ROLLBACK")
    assert "note" in [c[0] for c in _columns(conn, "things")]  # the failed migration left it

    conn.execute("BEGIN IMMEDIATE")
    transform_table(conn, "things", types={"size": int}, drop={"note"})
    conn.execute("COMMIT")
    cols = {c[0]: c for c in _columns(conn, "things")}
    assert "note" not in cols and cols["size"][1] == "INTEGER"
    assert conn.execute("SELECT id, size FROM things").fetchall() == [("a", 12)]
