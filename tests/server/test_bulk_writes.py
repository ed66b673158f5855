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
        where, params = c.in_texts("id", [*ids[::2], "missing", "文化", "引号\"'"])
        return sorted(r[0] for r in c.all(f"SELECT id FROM t_bulk WHERE {where}", params))

    assert storage.engine.read(read) == sorted(ids[::2])


def _seen(storage, device: str) -> dict[int, tuple[str, str]]:
    return {
        r["seq"]: (r["stamp"], r["body"])
        for r in storage.query(
            "SELECT seq, stamp, body FROM srv_seen WHERE device_id = ?", (device,)
        )
    }


def _changes(seqs, tag: str) -> list[tuple[int, dict]]:
    return [
        (i, {"seq": q, "t": "activities", "id": f"a{q}", "s": f"{tag}{q:04d}", "f": {"title": tag}})
        for i, q in enumerate(seqs)
    ]


def test_seen_seqs_are_inserted_or_upserted_alike(make_storage) -> None:
    """``srv_seen``: new rising seqs above the device's highest go as a plain insert (COPY on
    PostgreSQL); a batch that meets a held seq, or whose seqs do not rise, is upserted — the
    rows come out the same either way."""
    from pzh_core import digest
    from sync.server import identity, push_merge

    storage = make_storage()

    def record(device: str, todo: list[tuple[int, dict]]) -> bool:
        def tx(c) -> bool:
            rows = [(device, ch["seq"], ch["s"], "") for _, ch in todo]
            plain = push_merge._seen_is_new(c, rows)
            push_merge._record_seen(
                c, device, todo, [digest.sorted_json(ch["f"]) for _, ch in todo]
            )
            return plain

        return storage.engine.write(tx)

    def expected(todo):
        return {ch["seq"]: (ch["s"], identity.change_body(ch)) for _, ch in todo}

    postgres = storage.engine.dialect.postgres
    first = _changes(range(1, 6), "a")
    assert record("d1", first) is postgres  # nothing held yet
    assert record("d2", _changes([3], "b")) is postgres  # another device's seqs do not count
    later = _changes(range(6, 9), "c")
    assert record("d1", later) is postgres  # above the highest held
    assert _seen(storage, "d1") == expected(first) | expected(later)
    again = _changes([4, 9], "d")  # meets seq 4, held: upserted
    assert record("d1", again) is False
    assert _seen(storage, "d1") == expected(first) | expected(later) | expected(again)
    assert record("d3", _changes([5, 2], "e")) is False  # not rising: upserted
    assert _seen(storage, "d3") == expected(_changes([5, 2], "e"))
    assert _seen(storage, "d2") == expected(_changes([3], "b"))
