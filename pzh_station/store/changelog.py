"""The change log (``changes``) without a second copy of every value (issue 16, migration m0014).

An entry is one local write: ``(seq, tbl, row_id, stamp, fields, operator)``. Its values are kept
in one of two places:

- a value the row still holds at the entry's stamp is *live*: the entry (``live = 1``) does not
  copy it, it is read from the row — the fields of an entry are the fields of ``fields`` plus
  every field of its row whose stamp is the entry's stamp;
- ``fields`` (JSON) holds the values the row no longer has at that stamp (copied out by
  :func:`keep_old` before they were overwritten or re-stamped), and the values that would not read
  back from the row as the same JSON value (an ``int`` written into a ``real`` field).

So every path that changes a row's value or stamp calls :func:`keep_old` first (``Store.write``,
``Store.apply_remote``, set-aside restores, stamp replacement, a row removed under its entries);
a path that changes a value *at the same stamp* (erasure scrubbing) changes what the entry says
too, as it should. Entries with ``live = 0`` (written by a repair, or older entries the migration
could not prove equal to the row) hold all their values in ``fields``. Every reader goes through
:func:`entries`, which gives each entry's fields exactly as they were written.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from pzh_core import schema, stored_clocks

if TYPE_CHECKING:
    from pzh_station.store.db import Store

_SQL = "SELECT seq, tbl, row_id, stamp, fields, operator, live FROM changes"
LOGS = (("changes", "seq"), ("received", "id"))  # the logs whose entries read from the rows


def dumps(fields: Mapping[str, Any]) -> str:
    """A change's fields as the change log and ``received`` keep them (compact JSON)."""
    return json.dumps(dict(fields), ensure_ascii=False, separators=(",", ":"))


def reads_back(kind: str, value: Any) -> bool:
    """Whether ``value`` stored in a field of ``kind`` reads back as the same JSON value (then
    the change log need not copy it)."""
    if kind in ("text", "date", "time"):
        return type(value) is str
    if kind == "int":
        return type(value) is int
    if kind == "real":
        return type(value) is float
    if kind == "bool":
        return type(value) is bool
    if kind == "list":
        return type(value) is list
    if kind == "json":
        return type(value) is dict
    return False


def log_write(
    store: Store,
    table: str,
    row_id: str,
    stamp: str,
    fields: Mapping[str, Any],
    won: Mapping[str, Any],
    operator: str,
) -> None:
    """Append a local write; the fields that won (the row now holds them at ``stamp``) and read
    back as written stay live, the others are copied."""
    store.conn.execute(
        "INSERT INTO changes (tbl, row_id, stamp, fields, operator, live)"
        " VALUES (?, ?, ?, ?, ?, 1)",
        (table, row_id, stamp, dumps(_copied(table, fields, won)), operator),
    )


def log_received(
    store: Store,
    table: str,
    row_id: str,
    stamp: str,
    fields: Mapping[str, Any],
    won: Mapping[str, Any],
    clocks: Mapping[str, str],
    operator: str,
) -> None:
    """Keep a change pulled from the server for the record's history (``received``), the same
    way: the fields the row holds at ``stamp`` with the value pulled (``clocks``: the row's
    stamps after the merge) read from the row. A change already kept is left as it is."""
    held = dict(won)
    tied = [k for k in fields if k not in won and clocks.get(k) == stamp]
    if tied:  # this PC's own change coming back (after a re-key), or a repair's
        row = store.get(table, row_id) or {}
        held.update({k: fields[k] for k in tied if k in row and _same(fields[k], row[k])})
    store.conn.execute(
        "INSERT OR IGNORE INTO received (tbl, row_id, stamp, fields, operator, live)"
        " VALUES (?, ?, ?, ?, ?, 1)",
        (table, row_id, stamp, dumps(_copied(table, fields, held)), operator),
    )


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def _copied(table: str, fields: Mapping[str, Any], won: Mapping[str, Any]) -> dict[str, Any]:
    """The values an entry must keep itself: those the row does not hold as written."""
    types = schema.fields_of(table)
    return {k: v for k, v in fields.items() if k not in won or not reads_back(types[k], v)}


def keep_old(
    store: Store, table: str, row_id: str, clocks: Mapping[str, str], names: Iterable[str]
) -> None:
    """Before the fields ``names`` of a row change value or stamp: copy the values they hold now
    into the live entries they came from (``clocks``: the row's stamps before the change)."""
    by_stamp: dict[str, list[str]] = {}
    for name in names:
        if name in clocks:
            by_stamp.setdefault(clocks[name], []).append(name)
    if not by_stamp:
        return
    marks = ", ".join("?" for _ in by_stamp)
    row: dict[str, Any] | None = None
    for log, key in LOGS:
        found = store.conn.execute(
            f"SELECT {key}, stamp, fields FROM {log} WHERE tbl = ? AND row_id = ? AND live = 1"
            f" AND stamp IN ({marks})",
            (table, row_id, *by_stamp),
        ).fetchall()
        if found and row is None:
            row = store.get(table, row_id)
        for number, stamp, text in found:
            kept = json.loads(text)
            missing = {n: row[n] for n in by_stamp[stamp] if n not in kept} if row else {}
            if missing:
                store.conn.execute(
                    f"UPDATE {log} SET fields = ? WHERE {key} = ?",
                    (dumps({**missing, **kept}), number),
                )


def keep_row(store: Store, table: str, row_id: str) -> None:
    """Before a row is removed or replaced: copy every live value into its entries."""
    found = store.conn.execute(f"SELECT clocks FROM {table} WHERE id = ?", (row_id,)).fetchone()
    if found is not None:
        clocks = stored_clocks.decode(table, found[0])
        keep_old(store, table, row_id, clocks, list(clocks))


def entries(store: Store, where: str = "", params: Iterable[Any] = ()) -> list[dict[str, Any]]:
    """Change-log entries (``where`` is SQL after ``WHERE``, with ``ORDER BY`` / ``LIMIT`` if
    wanted), each with ``fields`` as it was written."""
    return _expand(store, store.query(f"{_SQL} WHERE {where}" if where else _SQL, tuple(params)))


def received(store: Store, table: str, row_id: str) -> list[dict[str, Any]]:
    """The changes of one row pulled from the server, each with ``fields`` as it came."""
    rows = store.query(
        "SELECT id, tbl, row_id, stamp, fields, operator, live FROM received"
        " WHERE tbl = ? AND row_id = ?",
        (table, row_id),
    )
    return _expand(store, rows)


def _expand(store: Store, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each entry's ``fields`` decoded, the values it reads from its row added."""
    found: dict[tuple[str, str], dict[str, Any] | None] = {}
    for r in rows:
        fields = json.loads(r["fields"])
        if r.pop("live"):
            key = (r["tbl"], r["row_id"])
            if key not in found:
                found[key] = store.get(*key)
            fields = {**_live(r["tbl"], found[key], r["stamp"]), **fields}
            order = schema.fields_of(r["tbl"])
            fields = dict(sorted(fields.items(), key=lambda kv: _rank(order, kv[0])))
        r["fields"] = fields
    return rows


def _rank(order: Mapping[str, str], name: str) -> int:
    """A field's place in its table's schema (the order an entry lists its fields in)."""
    return list(order).index(name) if name in order else len(order)


def _live(table: str, row: dict[str, Any] | None, stamp: str) -> dict[str, Any]:
    """The fields of ``row`` still at ``stamp``, with their values."""
    if row is None:
        return {}
    clocks = stored_clocks.decode(table, row["clocks"])
    types = schema.fields_of(table)
    return {name: row[name] for name, s in clocks.items() if s == stamp and name in types}
