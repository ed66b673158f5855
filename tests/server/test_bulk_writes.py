"""Many rows in one statement, on both engines (issue 16, ingest): ``Conn.insert_many`` — on
PostgreSQL a plain insert goes by ``COPY`` and an upsert by ``unnest`` of one array per column,
falling back to ``VALUES`` for a column the arrays cannot type — and ``Conn.in_texts``. The
values come back exactly as written, an upsert updates, and a refused row takes the whole
transaction with it."""

from __future__ import annotations

import pytest

TABLE = "CREATE TABLE IF NOT EXISTS t_bulk (id TEXT PRIMARY KEY, n INTEGER, x REAL, s TEXT)"
# What COPY's text format must escape, and what it could mistake for a NULL.
AWKWARD = ["a\tb", "line\nbreak\r\n", "back\\slash", "\\N", "", "文化站 · 舞蹈", "'quote\"", ","]


def _rows(storage) -> dict[str, tuple]:
    return {
        r["id"]: (r["n"], r["x"], r["s"])
        for r in storage.query("SELECT id, n, x, s FROM t_bulk ORDER BY id")
    }


def _write(storage, fn) -> None:
    def tx(c):
        c.ddl(TABLE)
        fn(c)

    storage.engine.write(tx)


def test_plain_insert_keeps_every_value(make_storage) -> None:
    storage = make_storage()
    rows = [
        (f"r{i:04d}", i - 600, i / 7 if i % 3 else None, AWKWARD[i % len(AWKWARD)] + str(i))
        for i in range(1_200)  # more than one multi-row chunk (1,000)
    ]
    rows[5] = ("r0005", None, None, None)
    _write(storage, lambda c: c.insert_many("INSERT INTO t_bulk (id, n, x, s)", rows))
    assert _rows(storage) == {r[0]: r[1:] for r in rows}


def test_upsert_updates_and_types_each_column(make_storage) -> None:
    storage = make_storage()
    tail = " ON CONFLICT (id) DO UPDATE SET n = excluded.n, x = excluded.x, s = excluded.s"
    first = [("a", 1, 1, "一"), ("b", 2, 2.5, "二"), ("c", 3, None, "三")]  # ints and floats in x
    _write(storage, lambda c: c.insert_many("INSERT INTO t_bulk (id, n, x, s)", first, tail))
    assert _rows(storage) == {"a": (1, 1.0, "一"), "b": (2, 2.5, "二"), "c": (3, None, "三")}
    # a column of NULLs only (its array's type unknown: the VALUES path) and a big integer
    second = [("b", 2**40, None, None), ("d", -4, None, "a\tb\\N")]
    _write(storage, lambda c: c.insert_many("INSERT INTO t_bulk (id, n, x, s)", second, tail))
    assert _rows(storage) == {
        "a": (1, 1.0, "一"),
        "b": (2**40, None, None),
        "c": (3, None, "三"),
        "d": (-4, None, "a\tb\\N"),
    }


def test_a_refused_row_leaves_nothing_of_its_transaction(make_storage) -> None:
    storage = make_storage()
    _write(storage, lambda c: c.insert_many("INSERT INTO t_bulk (id, n)", [("kept", 1)]))

    def tx(c):
        c.execute("INSERT INTO t_bulk (id, n) VALUES ('before', 0)")
        c.insert_many("INSERT INTO t_bulk (id, n)", [("new", 2), ("kept", 3)])

    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        storage.engine.write(tx)
    assert _rows(storage) == {"kept": (1, None, None)}


def test_in_texts_finds_every_id(make_storage) -> None:
    storage = make_storage()
    ids = [f"id-{i}" for i in range(700)]
    _write(storage, lambda c: c.insert_many("INSERT INTO t_bulk (id, n)", [(i, 0) for i in ids]))

    def read(c):
        where, params = c.in_texts([*ids[::2], "missing", "文化"])
        return sorted(r[0] for r in c.all(f"SELECT id FROM t_bulk WHERE id {where}", params))

    assert storage.engine.read(read) == sorted(ids[::2])
