"""A connection of either engine with the shape of ``sqlite3``'s: ``execute`` (``?`` markers),
``executemany``, rows readable by name and by position, plus ``one``/``all``/``scalar``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from pzh_core import queries
from sync.server.db.dialect import Dialect

Params = Sequence[Any] | dict[str, Any]
INSERT_ROWS = 1000  # rows per multi-row INSERT on PostgreSQL
PG_PARAMS = 65_535  # PostgreSQL's limit of parameters in one statement
_INSERT = "INSERT INTO "


_PG_TYPES = {int: "bigint", float: "float8", str: "text"}


def _pg_array_types(rows: Sequence[Sequence[Any]]) -> list[str] | None:
    """The PostgreSQL type of each column's array for ``unnest`` (an integer column holding a
    float is ``float8``), or None when a column holds anything else (only NULLs, whose type
    the database would not know, a bool, bytes, a mix of text and numbers): such rows go as
    ``VALUES``."""
    out = []
    for column in zip(*rows, strict=True):
        kinds = {v.__class__ for v in column if v is not None}
        if kinds <= {int, float} and float in kinds:
            out.append("float8")
        elif len(kinds) == 1 and kinds <= _PG_TYPES.keys():
            out.append(_PG_TYPES[kinds.pop()])
        else:
            return None
    return out


class Row:
    """A PostgreSQL row read like ``sqlite3.Row``: ``row["name"]``, ``row[0]``, ``keys()``,
    ``dict(row)``."""

    __slots__ = ("_index", "_values")

    def __init__(self, index: dict[str, int], values: Sequence[Any]) -> None:
        self._index = index
        self._values = values

    def __getitem__(self, key: str | int) -> Any:
        if isinstance(key, str):
            return self._values[self._index[key]]
        return self._values[key]

    def keys(self) -> list[str]:
        return list(self._index)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Row({dict(zip(self._index, self._values, strict=False))!r})"


def row_factory(cursor: Any) -> Any:
    """psycopg row factory making :class:`Row` objects."""
    desc = cursor.description or []
    index = {d.name: i for i, d in enumerate(desc)}
    return lambda values: Row(index, values)


class Conn:
    """One engine connection inside one transaction (or a read)."""

    __slots__ = ("raw", "dialect")

    def __init__(self, raw: Any, dialect: Dialect) -> None:
        self.raw = raw
        self.dialect = dialect

    def execute(self, sql: str, params: Params = ()) -> Any:
        return self.raw.execute(self.dialect.sql(sql), params)

    def executemany(self, sql: str, seq: Iterable[Params]) -> None:
        seq = list(seq)
        if not seq:
            return
        if self.dialect.postgres:
            with self.raw.cursor() as cur:
                cur.executemany(self.dialect.sql(sql), seq)
        else:
            self.raw.executemany(sql, seq)

    def insert_many(self, head: str, rows: Iterable[Sequence[Any]], tail: str = "") -> None:
        """``head VALUES (?, …) tail`` for each of ``rows`` (``head``: ``INSERT INTO t (a, b)``,
        ``tail``: e.g. ``ON CONFLICT … DO UPDATE …``; no two rows may hit one conflict key).
        SQLite runs it as ``executemany`` (one prepared statement, in C). PostgreSQL: a plain
        insert as ``COPY … FROM STDIN`` (rows formatted in C), an upsert as a few multi-row
        ``VALUES`` statements; psycopg's ``executemany`` costs tens of microseconds of Python
        per row, and it parses a long statement's placeholders in Python (a few microseconds
        each, docs/benchmarks.md)."""
        rows = list(rows)
        if not rows:
            return
        marks = "(" + ", ".join("?" * len(rows[0])) + ")"
        if not self.dialect.postgres:
            self.raw.executemany(f"{head} VALUES {marks}{tail}", rows)
            return
        if not tail and head.startswith(_INSERT):
            with (
                self.raw.cursor() as cur,
                cur.copy(f"COPY {head[len(_INSERT) :]} FROM STDIN") as cp,
            ):
                for row in rows:
                    cp.write_row(row)
            return
        columns = _pg_array_types(rows)
        if columns is not None:  # one array per column: a short statement, parsed once
            arrays = ", ".join(f"%s::{t}[]" for t in columns)
            self.raw.execute(
                f"{head} SELECT * FROM unnest({arrays}){self.dialect.sql(tail)}",
                [
                    [v if v is None else float(v) for v in col] if t == "float8" else list(col)
                    for t, col in zip(columns, zip(*rows, strict=True), strict=True)
                ],
            )
            return
        head, tail, marks = (self.dialect.sql(s) for s in (head, tail, marks))
        per = max(1, min(INSERT_ROWS, PG_PARAMS // len(rows[0])))
        for i in range(0, len(rows), per):
            chunk = rows[i : i + per]
            sql = f"{head} VALUES {', '.join([marks] * len(chunk))}{tail}"
            self.raw.execute(sql, [v for row in chunk for v in row])

    def in_texts(self, column: str, values: Sequence[str]) -> tuple[str, list[Any]]:
        """The condition ``column`` is one of these strings, and its parameters: the shared
        queries' one definition (``pzh_core.queries.Dialect.in_texts``; on PostgreSQL one JSON
        parameter, which psycopg passes without adapting each string)."""
        return (queries.POSTGRES if self.dialect.postgres else queries.SQLITE).in_texts(
            column, values
        )

    def one(self, sql: str, params: Params = ()) -> Any:
        return self.execute(sql, params).fetchone()

    def all(self, sql: str, params: Params = ()) -> list[Any]:
        return list(self.execute(sql, params).fetchall())

    def scalar(self, sql: str, params: Params = ()) -> Any:
        row = self.one(sql, params)
        return None if row is None else row[0]

    def ddl(self, sql: str) -> None:
        self.raw.execute(self.dialect.ddl(sql))

    def lock_feed(self) -> None:
        """Call right before appending to the feed (see :meth:`Dialect.lock_feed_sql`)."""
        stmt = self.dialect.lock_feed_sql()
        if stmt:
            self.raw.execute(stmt)

    def columns(self, table: str) -> set[str]:
        """The column names of ``table`` (empty when it does not exist)."""
        if self.dialect.postgres:
            rows = self.raw.execute(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_schema = current_schema() AND table_name = %s",
                (table,),
            ).fetchall()
            return {r[0] for r in rows}
        return {r[1] for r in self.raw.execute(f"PRAGMA table_info({table})")}

    def tables(self) -> list[str]:
        """The tables of the database (the server's and the replica tables), sorted."""
        if self.dialect.postgres:
            rows = self.raw.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            ).fetchall()
        else:
            rows = self.raw.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            ).fetchall()
        return sorted(r[0] for r in rows)
