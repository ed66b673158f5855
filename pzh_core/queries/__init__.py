"""The core's one query package: the only SQL in ``pzh_core``.

The indicator definitions (:mod:`pzh_core.indicators`) get their rows from here, and the same
queries run on the desk's SQLite file, the city server's SQLite replica and (the province issue)
PostgreSQL. The SQL is standard where it can be (explicit ``GROUP BY`` columns, aliased
subqueries, no bare ``0`` as a condition); what differs between engines goes through
:class:`Dialect`: the parameter marker (written ``?`` here) and the test "a JSON list column has
one of these values". Names sort ``COLLATE pinyin``: every SQLite connection registers that
collation (``pzh_core.text``); a PostgreSQL database defines one of that name with ICU
(``CREATE COLLATION pinyin (provider = icu, locale = 'zh-u-co-pinyin')``). Rows come back as
dicts through the DB-API cursor, whatever the connection's row factory.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

Stations = Collection[str]


@dataclass(frozen=True)
class Dialect:
    """What differs between the engines the queries run on."""

    name: str  # sqlite | postgres

    def sql(self, text: str) -> str:
        """The SQL as this engine's driver takes it (queries are written with ``?`` markers)."""
        if self.name == "postgres":
            return text.replace("%", "%%").replace("?", "%s")
        return text

    def json_list_has_any(self, column: str, count: int) -> str:
        """A condition: the JSON list in ``column`` holds one of ``count`` parameters."""
        marks = ",".join("?" * count)
        if self.name == "postgres":
            return (
                f"EXISTS (SELECT 1 FROM jsonb_array_elements_text(CAST({column} AS jsonb))"
                f" AS j(value) WHERE j.value IN ({marks}))"
            )
        return f"EXISTS (SELECT 1 FROM json_each({column}) WHERE value IN ({marks}))"

    def in_texts(self, column: str, values: Sequence[str]) -> tuple[str, list[Any]]:
        """A condition: ``column`` is one of ``values`` (strings), and its parameters. On
        PostgreSQL one JSON list made an array (``= ANY``, an index scan): psycopg reads a
        statement's markers one by one in Python, and adapts a list of strings at about 1.3 µs
        an item; ``json.dumps`` runs in C."""
        if self.name == "postgres":
            array = "ARRAY(SELECT json_array_elements_text(CAST(? AS json)))"
            return f"{column} = ANY({array})", [_JSON.encode(list(values))]
        return in_list(column, values), list(values)


_JSON = json.JSONEncoder(ensure_ascii=False)  # built once
SQLITE = Dialect("sqlite")
POSTGRES = Dialect("postgres")


class Db:
    """A connection (sqlite3 or psycopg) and its dialect."""

    def __init__(self, conn: Any, dialect: Dialect) -> None:
        self.conn = conn
        self.dialect = dialect

    @classmethod
    def of(cls, conn: Any) -> Db:
        """Wrap a connection, telling the engine from its type (a Db is returned as it is)."""
        if isinstance(conn, Db):
            return conn
        if isinstance(conn, sqlite3.Connection):
            return cls(conn, SQLITE)
        if type(conn).__module__.split(".")[0] in ("psycopg", "psycopg2"):
            return cls(conn, POSTGRES)
        raise TypeError(f"no SQL dialect for {type(conn).__module__}.{type(conn).__name__}")

    def _execute(self, sql: str, params: Sequence[Any]) -> Any:
        cur = self.conn.cursor()
        if isinstance(cur, sqlite3.Cursor):
            cur.row_factory = None  # plain tuples, whatever the connection's row factory
        cur.execute(self.dialect.sql(sql), list(params))
        return cur

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cur = self._execute(sql, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, tuple(row), strict=True)) for row in cur.fetchall()]

    def tuples(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self._execute(sql, params).fetchall()]

    def grouped(self, sql: str, params: Sequence[Any]) -> dict[str, Any]:
        """``SELECT station_id, value … GROUP BY station_id`` into ``{station: value or 0}``."""
        return {key: (value or 0) for key, value in self.tuples(sql, params)}


def station_ids(stations: Stations) -> list[str]:
    return sorted({s for s in stations if s})


def in_list(column: str, values: Sequence[Any]) -> str:
    """``column IN (?, …)`` for ``values``; a false condition for none."""
    return f"{column} IN ({','.join('?' * len(values))})" if values else "1 = 0"
