"""The SQL of the annual return's own figures (classes by the year they start, training
participants, annual facts, amateur art teams, the city's definition file). Plain standard SQL
with ``?`` markers over the synced tables, so the desk's file and the server's replica answer
alike. Every function returns per-station results for the given stations.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pzh_core.period import Period
from pzh_core.queries import Db, Stations, in_list, station_ids

ATTENDED = ("late", "present")


def _ids(stations: Stations) -> list[str]:
    return station_ids(stations)


def _in(column: str, values: list[Any]) -> str:
    return in_list(column, values)


def _rows(conn: Any, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    return Db.of(conn).rows(sql, params)


# -- training classes, counted in the period in which they start ---------------------------------
def started_ctes(
    stations: Stations, period: Period, days: Sequence[str] | None = None
) -> tuple[str, list[Any]]:
    """``WITH held, started, chosen``: the held sessions (not cancelled, not deleted, of a class
    not deleted, on or before the as-of day), each class's first (``started``: ``class_id,
    station_id, first``) and the classes whose first falls in the period (``chosen``; with
    ``days``: on one of them — only the classes with a session on those days are read)."""
    ids = _ids(stations)
    on, more = "", []
    if days is not None:
        on = (
            " AND s.class_id IN (SELECT class_id FROM sessions WHERE"
            f" {_in('station_id', ids)} AND {_in('date', list(days))})"
        )
        more = [*ids, *days]
    first_on = "" if days is None else f" AND {_in('first', list(days))}"
    sql = f"""
    WITH held AS (
        SELECT s.id, s.class_id, s.station_id, s.date FROM sessions s
        JOIN classes c ON c.id = s.class_id
        WHERE s.deleted = 0 AND s.cancelled = 0 AND c.deleted = 0 AND {_in("s.station_id", ids)}
          AND s.date <> '' AND s.date <= ?{on}
    ), started AS (
        SELECT class_id, station_id, MIN(date) AS first FROM held GROUP BY class_id, station_id
    ), chosen AS (
        SELECT class_id, station_id, first FROM started
        WHERE first >= ? AND first <= ?{first_on}
    )"""
    params = [*ids, period.as_of.isoformat(), *more, period.start, period.cutoff]
    return sql, params + list(days or ())


def started_classes(conn: Any, stations: Stations, period: Period) -> list[dict[str, Any]]:
    """Classes whose first held session (not cancelled, not deleted, on or before the as-of day)
    falls in the period: ``{id, station_id, name, teacher, first, participants, sign_ins}``.
    ``participants``: people (not deleted) marked present or late at one of the class's held
    sessions at least once; ``sign_ins``: those marks."""
    # The classes started in the period first, then only their sessions' marks: each join goes
    # from the few rows to the many by an index (``CROSS JOIN`` keeps SQLite to that order;
    # PostgreSQL plans it alike). Joining the marks to all held sessions let SQLite scan every
    # mark of every station (4.5 s for one station's page at 300 stations).
    ctes, params = started_ctes(stations, period)
    sql = f"""{ctes}, counted AS (
        SELECT ch.class_id, COUNT(DISTINCT t.person_id) AS participants, COUNT(*) AS sign_ins
        FROM chosen ch
        CROSS JOIN held h
        CROSS JOIN attendance t
        JOIN people p ON p.id = t.person_id AND p.deleted = 0
        WHERE h.class_id = ch.class_id AND t.session_id = h.id AND t.deleted = 0
          AND t.mark IN (?, ?)
        GROUP BY ch.class_id
    )
    SELECT ch.class_id AS id, ch.station_id, c.name, c.teacher, ch.first,
           COALESCE(k.participants, 0) AS participants, COALESCE(k.sign_ins, 0) AS sign_ins
    FROM chosen ch JOIN classes c ON c.id = ch.class_id
    LEFT JOIN counted k ON k.class_id = ch.class_id
    ORDER BY ch.first, c.name, ch.class_id
    """
    return _rows(conn, sql, [*params, *ATTENDED])


# -- annual facts and teams ----------------------------------------------------------------------
def facts_rows(conn: Any, stations: Stations, year: int) -> dict[str, dict[str, Any]]:
    """``{station: annual_facts row}`` of the year (rows not deleted)."""
    ids = _ids(stations)
    rows = _rows(
        conn,
        f"SELECT * FROM annual_facts WHERE deleted = 0 AND year = ? AND {_in('station_id', ids)}",
        [year, *ids],
    )
    return {r["station_id"]: r for r in rows}


def team_rows(conn: Any, stations: Stations, period: Period) -> list[dict[str, Any]]:
    """Amateur art teams existing at the period's cutoff: founded by then (or founding day not
    known) and not dissolved by then."""
    ids = _ids(stations)
    cutoff = period.cutoff
    return _rows(
        conn,
        "SELECT id, station_id, name, art_form, founded, members FROM art_teams"
        f" WHERE deleted = 0 AND {_in('station_id', ids)} AND (founded = '' OR founded <= ?)"
        " AND (status <> 'dissolved' OR (dissolved_on <> '' AND dissolved_on > ?))"
        " ORDER BY name, id",
        [*ids, cutoff, cutoff],
    )


# -- city settings -------------------------------------------------------------------------------
def setting_copy(conn: Any, row_id: str) -> dict[str, Any] | None:
    """One station's copy of a city setting as the server wrote it (``value``, ``deleted``)."""
    rows = _rows(
        conn,
        "SELECT value, deleted FROM city_settings WHERE id = ? AND device_id = 'server'",
        [row_id],
    )
    return rows[0] if rows else None


def settings_in_scopes(conn: Any, scopes: list[str]) -> list[dict[str, Any]]:
    """The newest server-written value of every setting in these scopes (``key``, ``scope``,
    ``value`` decoded): what a station created now inherits from the city and its county."""
    rows = _rows(
        conn,
        "SELECT key, scope, value, updated_at FROM city_settings WHERE device_id = 'server'"
        f" AND deleted = 0 AND {in_list('scope', scopes)} ORDER BY updated_at",
        list(scopes),
    )
    newest: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        value = r["value"]
        newest[(r["key"], r["scope"])] = {
            "key": r["key"],
            "scope": r["scope"],
            "value": json.loads(value) if isinstance(value, str) else value,
        }
    return list(newest.values())


def city_setting(conn: Any, key: str) -> Any:
    """The newest value of a city-scope setting written by the server (``None`` when none).
    Rows a desk wrote itself are never read: only the server writes settings."""
    rows = _rows(
        conn,
        "SELECT value FROM city_settings WHERE key = ? AND scope = 'city' AND deleted = 0"
        " AND device_id = 'server' ORDER BY updated_at DESC LIMIT 1",
        [key],
    )
    if not rows:
        return None
    value = rows[0]["value"]
    return json.loads(value) if isinstance(value, str) else value
