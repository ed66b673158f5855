"""Queries over the people registry. The only place that knows the people tables' SQL."""

from __future__ import annotations

from typing import Any

from pzh_core.domain.person import pinyin_keys
from pzh_core.queries import in_list
from pzh_station.store.db import Store

LIST_COLUMNS = (
    "p.id, p.name, p.gender, p.birth_year, p.phone, p.village, p.ethnicity, p.notes, p.erased_on"
)


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def refresh_search_index(store: Store) -> int:
    """Fill the pinyin keys of people whose row the triggers marked stale (new or renamed,
    here or by sync). :returns: rows indexed."""
    stale = store.conn.execute("SELECT id, name FROM people_search WHERE initials = ''").fetchall()
    if stale and not store.readonly:
        with store.transaction() as conn:
            conn.executemany(
                "UPDATE people_search SET initials = ?, full = ? WHERE id = ? AND name = ?",
                [(*pinyin_keys(r["name"]), r["id"], r["name"]) for r in stale],
            )
    return len(stale)


def index_person(store: Store, person_id: str, name: str) -> None:
    """Keep one person's pinyin keys current (called with the write that set the name)."""
    store.conn.execute(
        "INSERT INTO people_search (id, name, initials, full) VALUES (?, ?, ?, ?)"
        " ON CONFLICT(id) DO UPDATE SET name = excluded.name, initials = excluded.initials,"
        " full = excluded.full",
        (person_id, name, *pinyin_keys(name)),
    )


def search(
    store: Store,
    text: str,
    *,
    digits: str = "",
    pinyin: bool = False,
    limit: int = 50,
    exclude_ids: tuple[str, ...] = (),
) -> list[dict[str, Any]]:
    """Live people (not deleted, not merged) matching ``text``.

    Pinyin queries match the start of the initials (``zs``) or of the full pinyin (``zhangs``),
    then initials anywhere; a name substring and phone digits match as well. Exact and prefix
    matches come first.
    """
    where = ["p.deleted = 0", "p.merged_into = ''"]
    params: list[Any] = []
    rank = "1"
    rank_params: list[Any] = []
    text = text.strip()
    if text:
        ors = ["p.name LIKE ? ESCAPE '\\'"]
        params.append(f"%{_like(text)}%")
        rank = "CASE WHEN p.name = ? THEN 0 WHEN p.name LIKE ? ESCAPE '\\' THEN 1"
        rank_params += [text, f"{_like(text)}%"]
        if pinyin:
            refresh_search_index(store)
            q = _like(text.lower())
            ors += [
                "s.initials LIKE ? ESCAPE '\\'",
                "s.full LIKE ? ESCAPE '\\'",
                "s.initials LIKE ? ESCAPE '\\'",
            ]
            params += [f"%|{q}%", f"%|{q}%", f"%{q}%"]
            rank += (
                " WHEN s.initials LIKE ? ESCAPE '\\' THEN 1"
                " WHEN s.initials LIKE ? ESCAPE '\\' THEN 2"
            )
            rank_params += [f"%|{q}", f"%|{q}%"]
            rank += " WHEN s.full LIKE ? ESCAPE '\\' THEN 3"
            rank_params.append(f"%|{q}%")
        if digits:
            ors.append("p.phone LIKE ?")
            params.append(f"%{digits}%")
            rank += " WHEN p.phone LIKE ? THEN 2"
            rank_params.append(f"{digits}%")
        rank += " ELSE 4 END"
        where.append("(" + " OR ".join(ors) + ")")
    if exclude_ids:
        where.append(f"NOT {in_list('p.id', exclude_ids)}")
        params += list(exclude_ids)
    join = " LEFT JOIN people_search s ON s.id = p.id" if pinyin and text else ""
    sql = (
        f"SELECT {LIST_COLUMNS} FROM people p{join} WHERE {' AND '.join(where)}"
        f" ORDER BY {rank if text else 'p.name COLLATE pinyin'}, p.name COLLATE pinyin, p.id"
        f" LIMIT ?"
    )
    return store.query(sql, [*params, *(rank_params if text else []), limit])


def same_name(store: Store, name: str) -> list[dict[str, Any]]:
    """Live people with exactly this name (the candidates of the duplicate rule)."""
    return store.query(
        f"SELECT {LIST_COLUMNS} FROM people p WHERE p.name = ? AND p.deleted = 0 AND"
        f" p.merged_into = ''"
        " ORDER BY p.id",
        (name,),
    )


def all_live(store: Store) -> list[dict[str, Any]]:
    return store.query(
        f"SELECT {LIST_COLUMNS} FROM people p WHERE p.deleted = 0 AND p.merged_into = '' ORDER"
        f" BY p.name COLLATE pinyin, p.id"
    )


def count(store: Store) -> int:
    return store.conn.execute(
        "SELECT count(*) FROM people WHERE deleted = 0 AND merged_into = ''"
    ).fetchone()[0]


def rows_where_person(store: Store, table: str, person_id: str) -> list[dict[str, Any]]:
    """Live rows of ``table`` (enrollments, attendance, volunteers, service_records) that
    point at a person — what a merge has to move."""
    if table not in ("enrollments", "attendance", "volunteers", "service_records"):
        raise KeyError(table)
    from pzh_station.store.db import decode_row

    return [
        decode_row(table, r)
        for r in store.conn.execute(
            f"SELECT * FROM {table} WHERE person_id = ? AND deleted = 0", (person_id,)
        )
    ]


def service_records_of_volunteer(store: Store, volunteer_id: str) -> list[dict[str, Any]]:
    return store.query(
        "SELECT id, person_id FROM service_records WHERE volunteer_id = ? AND deleted = 0",
        (volunteer_id,),
    )


def merged_with_leftovers(store: Store) -> list[tuple[str, str]]:
    """``(merged person, merged_into)`` for merged people that live rows still point at."""
    tables = ("enrollments", "attendance", "volunteers", "service_records")
    exists = " OR ".join(
        f"EXISTS (SELECT 1 FROM {t} x WHERE x.person_id = p.id AND x.deleted = 0)" for t in tables
    )
    return [
        (r[0], r[1])
        for r in store.conn.execute(
            f"SELECT p.id, p.merged_into FROM people p WHERE p.merged_into != '' AND"
            f" ({exists}) ORDER BY p.id"
        )
    ]
