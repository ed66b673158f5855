"""Queries over the activity log. The only place that knows the activities table's SQL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pzh_core.queries import in_list
from pzh_station.store.db import Store, decode_row

SORTABLE = {
    "date": "date, start_time",
    "title": "title",
    "kind": "kind",
    "delivery": "delivery",
    "attendance": "attendance",
    "place": "place",
}

LIST_COLUMNS = (
    "id, title, date, start_time, end_time, place, kind, delivery, attendance, target_groups, brand"
)


@dataclass
class ActivityFilter:
    """What the activity list shows. Empty values mean "no restriction"."""

    date_from: str = ""
    date_to: str = ""
    kind: str = ""
    target_group: str = ""
    text: str = ""  # substring of title, place or notes
    trash: bool = False  # the trash shows deleted rows only
    order_by: str = "date"
    descending: bool = True


def _where(f: ActivityFilter) -> tuple[str, list[Any]]:
    clauses = ["deleted = ?"]
    params: list[Any] = [1 if f.trash else 0]
    if f.date_from:
        clauses.append("date >= ?")
        params.append(f.date_from)
    if f.date_to:
        clauses.append("date <= ?")
        params.append(f.date_to)
    if f.kind:
        clauses.append("kind = ?")
        params.append(f.kind)
    if f.target_group:
        clauses.append("EXISTS (SELECT 1 FROM json_each(target_groups) WHERE value = ?)")
        params.append(f.target_group)
    text = f.text.strip()
    if text:
        like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        clauses.append(
            "(title LIKE ? ESCAPE '\\' OR place LIKE ? ESCAPE '\\' OR notes LIKE ? ESCAPE '\\')"
        )
        params += [like, like, like]
    return " AND ".join(clauses), params


def _order(f: ActivityFilter) -> str:
    cols = SORTABLE.get(f.order_by, SORTABLE["date"])
    direction = "DESC" if f.descending else "ASC"
    return ", ".join(f"{c.strip()} {direction}" for c in cols.split(",")) + f", id {direction}"


def _source(f: ActivityFilter) -> str:
    """A text search reads the rows in one pass (``activities_list`` holds no text columns:
    migration 15); everything else reads the index alone."""
    return "activities NOT INDEXED" if f.text.strip() else "activities"


def ids(store: Store, f: ActivityFilter) -> list[str]:
    """Ids of the matching activities in display order (cheap even for 50,000 rows)."""
    where, params = _where(f)
    cursor = store.conn.cursor()
    cursor.row_factory = (
        None  # plain tuples: building 50,000 sqlite3.Row objects costs more than the query
    )
    cursor.execute(f"SELECT id FROM {_source(f)} WHERE {where} ORDER BY {_order(f)}", params)
    return [r[0] for r in cursor]


def rows_by_id(store: Store, row_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The list columns of some activities, decoded, keyed by id (for a table model's page)."""
    out: dict[str, dict[str, Any]] = {}
    for start in range(0, len(row_ids), 500):
        chunk = row_ids[start : start + 500]
        for r in store.conn.execute(
            f"SELECT {LIST_COLUMNS} FROM activities WHERE {in_list('id', chunk)}", chunk
        ):
            out[r["id"]] = decode_row("activities", r)
    return out


def all_rows(store: Store, f: ActivityFilter) -> list[dict[str, Any]]:
    """Full rows of the matching activities, in display order (for exports)."""
    where, params = _where(f)
    return [
        decode_row("activities", r)
        for r in store.conn.execute(
            f"SELECT * FROM {_source(f)} WHERE {where} ORDER BY {_order(f)}", params
        )
    ]


def count(store: Store, *, trash: bool = False) -> int:
    return store.conn.execute(
        "SELECT count(*) FROM activities WHERE deleted = ?", (1 if trash else 0,)
    ).fetchone()[0]
