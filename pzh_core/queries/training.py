"""The training area's rows behind the figures: sessions held, marks, the attendance grid,
completers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pzh_core.domain import training as training_rules
from pzh_core.period import Period
from pzh_core.queries import Db, Stations, in_list, station_ids

ATTENDED_MARKS = tuple(sorted(training_rules.ATTENDED))  # present, late: a trainee-visit

HELD = "FROM sessions s JOIN classes c ON c.id = s.class_id"
_MARKS = (
    "JOIN attendance t ON t.session_id = s.id AND t.deleted = 0"
    " LEFT JOIN people p ON p.id = t.person_id"
)
_LIVE_PERSON = "(p.id IS NULL OR p.deleted = 0)"


def held_sessions_where(stations: Stations, period: Period) -> tuple[str, list[Any]]:
    """WHERE (over ``sessions s JOIN classes c``) of the sessions held in the period: not
    cancelled, dated in the period up to its cutoff, session and class not deleted."""
    ids = station_ids(stations)
    return (
        f"s.deleted = 0 AND s.cancelled = 0 AND c.deleted = 0 AND {in_list('s.station_id', ids)}"
        " AND s.date >= ? AND s.date <= ?",
        [*ids, period.start, period.cutoff],
    )


def classes_by_station(db: Db, stations: Stations, period: Period) -> dict[str, int]:
    where, params = held_sessions_where(stations, period)
    return db.grouped(
        f"SELECT s.station_id, COUNT(DISTINCT s.class_id) {HELD} WHERE {where}"
        " GROUP BY s.station_id",
        params,
    )


def class_rows(db: Db, stations: Stations, period: Period) -> list[dict[str, Any]]:
    """Per class with sessions held: ``id, station_id, name, teacher, first, last, n``."""
    where, params = held_sessions_where(stations, period)
    return db.rows(
        "SELECT c.id, c.station_id, c.name, c.teacher, MIN(s.date) AS first,"
        f" MAX(s.date) AS last, COUNT(*) AS n {HELD} WHERE {where}"
        " GROUP BY c.id, c.station_id, c.name, c.teacher ORDER BY first, c.name",
        params,
    )


def sessions_by_station(db: Db, stations: Stations, period: Period) -> dict[str, int]:
    where, params = held_sessions_where(stations, period)
    return db.grouped(
        f"SELECT s.station_id, COUNT(*) {HELD} WHERE {where} GROUP BY s.station_id", params
    )


def session_rows(db: Db, stations: Stations, period: Period) -> list[dict[str, Any]]:
    where, params = held_sessions_where(stations, period)
    return db.rows(
        "SELECT s.id, s.station_id, s.date, s.start_time, s.end_time, c.name"
        f" {HELD} WHERE {where} ORDER BY s.date, s.start_time, c.name",
        params,
    )


def marks_sql(
    stations: Stations, period: Period, marks: Sequence[str] = ATTENDED_MARKS
) -> tuple[str, list[Any]]:
    where, params = held_sessions_where(stations, period)
    return (
        f"{HELD} {_MARKS} WHERE {where} AND {in_list('t.mark', marks)} AND {_LIVE_PERSON}",
        [*params, *marks],
    )


def visits_by_station(db: Db, stations: Stations, period: Period) -> dict[str, int]:
    """Present or late marks at the sessions held, per station."""
    body, params = marks_sql(stations, period)
    return db.grouped(f"SELECT s.station_id, COUNT(*) {body} GROUP BY s.station_id", params)


def visits_by_class(db: Db, stations: Stations, period: Period) -> dict[str, int]:
    body, params = marks_sql(stations, period)
    return db.grouped(f"SELECT c.id, COUNT(*) {body} GROUP BY c.id", params)


def visit_rows(db: Db, stations: Stations, period: Period) -> list[dict[str, Any]]:
    """Per (class, participant) who attended: ``cid, person_id, station_id, first, last,
    cname, pname, n``."""
    body, params = marks_sql(stations, period)
    return db.rows(
        "SELECT c.id AS cid, t.person_id, MIN(s.station_id) AS station_id,"
        " MIN(s.date) AS first, MAX(s.date) AS last, c.name AS cname, p.name AS pname,"
        f" COUNT(*) AS n {body} GROUP BY c.id, c.name, t.person_id, p.name"
        " ORDER BY c.name, p.name COLLATE pinyin",
        params,
    )


def _grid_ctes(stations: Stations, period: Period) -> tuple[str, list[Any]]:
    """``WITH held, roster``: the sessions held in the period and the rosters of their classes,
    as the training area's attendance grid sees them (roster: enrolments not deleted that are
    active, or dropped but with marks in the class; people not deleted)."""
    where, params = held_sessions_where(stations, period)
    return (
        f"""
    WITH held AS MATERIALIZED (
        SELECT s.id, s.class_id, s.station_id, s.date, c.name AS cname {HELD} WHERE {where}
    ), roster AS MATERIALIZED (
        SELECT e.class_id, e.person_id, p.name AS pname
        FROM enrollments e JOIN people p ON p.id = e.person_id
        WHERE e.deleted = 0 AND p.deleted = 0 AND e.class_id IN (SELECT class_id FROM held)
          AND (e.active = 1 OR EXISTS (
              SELECT 1 FROM attendance a
              JOIN sessions s2 ON s2.id = a.session_id AND s2.deleted = 0
              WHERE a.class_id = e.class_id AND a.person_id = e.person_id
                AND a.deleted = 0 AND a.mark != ''))
    )""",
        params,
    )


def grid_totals(
    db: Db, stations: Stations, period: Period, by_class: bool = False
) -> dict[str, tuple[int, int]]:
    """``{station (or class) id: (attended cells, cells)}`` of the attendance grid (held
    sessions × roster)."""
    group = "h.class_id" if by_class else "h.station_id"
    ctes, params = _grid_ctes(stations, period)
    sql = f"""{ctes}
    SELECT g, SUM(att), SUM(n) FROM (
        SELECT {group} AS g, 0 AS att, COUNT(*) AS n
        FROM held h JOIN roster r ON r.class_id = h.class_id GROUP BY {group}
        UNION ALL
        SELECT {group} AS g, COUNT(*) AS att, 0 AS n FROM held h
        JOIN attendance t ON t.session_id = h.id AND t.deleted = 0
            AND {in_list("t.mark", ATTENDED_MARKS)}
        JOIN roster r ON r.class_id = h.class_id AND r.person_id = t.person_id GROUP BY {group}
    ) AS cells GROUP BY g"""
    rows = db.tuples(sql, [*params, *ATTENDED_MARKS])
    return {g: (att, n) for g, att, n in rows}


def grid_cells(db: Db, stations: Stations, period: Period) -> list[dict[str, Any]]:
    """Every cell of the grid: ``id, station_id, date, cname, person_id, pname, mark``."""
    ctes, params = _grid_ctes(stations, period)
    sql = f"""{ctes}
    SELECT h.id, h.station_id, h.date, h.cname, r.person_id, r.pname, t.mark
    FROM held h JOIN roster r ON r.class_id = h.class_id
    LEFT JOIN attendance t ON t.session_id = h.id AND t.person_id = r.person_id AND t.deleted = 0
    ORDER BY h.date, h.cname, r.pname COLLATE pinyin"""
    return db.rows(sql, params)


def completer_rows(db: Db, stations: Stations, period: Period) -> list[dict[str, Any]]:
    """Per (class, roster participant who attended): attended and held sessions, for the classes
    whose last session held by ``as_of`` falls in the period (so each class's completers count
    once, in one period). Roster as in :func:`_grid_ctes` (a participant who attended has
    marks, so a dropped one who attended is on it)."""
    where, params = held_sessions_where(stations, period)
    sql = f"""
    WITH cand AS MATERIALIZED (
        SELECT DISTINCT s.class_id {HELD} WHERE {where}
    ), held AS MATERIALIZED (
        SELECT s.id, s.class_id, s.date FROM cand JOIN sessions s ON s.class_id = cand.class_id
        WHERE s.deleted = 0 AND s.cancelled = 0 AND s.date <= ?
    ), cls AS MATERIALIZED (
        SELECT class_id, COUNT(*) AS held, MAX(date) AS last FROM held GROUP BY class_id
        HAVING MAX(date) >= ? AND MAX(date) <= ?
    ), got AS (
        SELECT h.class_id, t.person_id, COUNT(*) AS attended
        FROM cls JOIN held h ON h.class_id = cls.class_id
        JOIN attendance t ON t.session_id = h.id AND t.deleted = 0
            AND t.mark IN ('present', 'late')
        GROUP BY h.class_id, t.person_id
    )
    SELECT c.id AS class_id, c.station_id, c.name AS cname, c.completion_share AS share,
           cls.held, cls.last, got.person_id, p.name AS pname, got.attended
    FROM got JOIN cls ON cls.class_id = got.class_id JOIN classes c ON c.id = got.class_id
    JOIN people p ON p.id = got.person_id AND p.deleted = 0
    WHERE EXISTS (
        SELECT 1 FROM enrollments e
        WHERE e.class_id = got.class_id AND e.person_id = got.person_id AND e.deleted = 0)
    ORDER BY cls.last, c.name, p.name COLLATE pinyin
    """
    return db.rows(sql, [*params, period.as_of.isoformat(), period.start, period.cutoff])
