"""The figures' contributions day by day: what each record adds to a figure, on the day it
counts. The same conditions as the figures' own queries (the WHERE builders of
:mod:`.activities`, :mod:`.training` and :mod:`.volunteers`), grouped by station and day instead
of by station alone, so a sum of days equals the figure (the city server keeps these sums per
day, month and year: :mod:`sync.server.db.aggregates`).

Every function returns ``{(station id, day): value}`` (only days with something)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pzh_core.period import Period
from pzh_core.queries import Db, Stations, in_list
from pzh_core.queries import activities as activity_q
from pzh_core.queries import annual as annual_q
from pzh_core.queries import training as training_q
from pzh_core.queries import volunteers as volunteer_q
from pzh_core.queries.activities import ActivityScope

Days = dict[tuple[str, str], Any]


def _days(db: Db, sql: str, params: list[Any]) -> Days:
    return {(sid, day): value or 0 for sid, day, value in db.tuples(sql, params)}


def _on(column: str, days: Sequence[str] | None) -> tuple[str, list[Any]]:
    """`` AND column IN (days)`` (nothing for None: every day of the period)."""
    return ("", []) if days is None else (f" AND {in_list(column, days)}", list(days))


def activity_days(
    db: Db,
    scope: ActivityScope,
    stations: Stations,
    period: Period,
    measure: str,
    days: Sequence[str] | None = None,
) -> Days:
    """Activities of ``scope`` (``measure`` ``count``) or their attendance, by the day held;
    ``days``: those days of the period alone."""
    where, params = activity_q.activity_where(db, scope, stations, period)
    value = "COUNT(*)" if measure == "count" else "SUM(a.attendance)"
    on, more = _on("a.date", days)
    return _days(
        db,
        f"SELECT a.station_id, a.date, {value} FROM activities a WHERE {where}{on}"
        " GROUP BY a.station_id, a.date",
        params + more,
    )


def class_start_days(
    db: Db, stations: Stations, period: Period, days: Sequence[str] | None = None
) -> Days:
    """Classes by the day of their first held session, when it falls in the period
    (:func:`annual.started_classes`); ``days``: those days alone."""
    ctes, params = annual_q.started_ctes(stations, period, days)
    sql = f"{ctes} SELECT station_id, first, COUNT(*) FROM chosen GROUP BY station_id, first"
    return _days(db, sql, params)


def activities_added(
    db: Db, scopes: list[ActivityScope], station: str, period: Period, ids: list[str]
) -> list[tuple[str, tuple[bool, ...], int, int]]:
    """What the activities ``ids`` of one station alone add, by day: ``(day, (whether each of
    ``scopes`` counts them), number, attendance)``; a figure of scope *i* adds the number or
    the attendance of the rows whose flag *i* is set. The conditions of :func:`activity_days`
    (``activity_where``: the dated part once, each scope's part once per activity), tested on
    the rows found by id (in the WHERE clause a planner would rather walk the station's whole
    year by its days' index)."""
    dated, params = activity_q.dated_where([station], period)
    flags = [f"CASE WHEN {' AND '.join(dated)} THEN 1 ELSE 0 END"]
    for scope in scopes:
        clauses, more = activity_q.scope_where(db, scope)
        flags.append(f"CASE WHEN {' AND '.join(clauses)} THEN 1 ELSE 0 END" if clauses else "1")
        params += more
    by = ", ".join(str(i) for i in range(1, len(flags) + 2))  # the columns before the sums
    cond, id_params = db.dialect.in_texts("a.id", ids)
    rows = db.tuples(
        f"SELECT a.date, {''.join(f + ', ' for f in flags)}COUNT(*), SUM(a.attendance)"
        f" FROM activities a WHERE {cond} GROUP BY {by}",
        params + id_params,
    )
    n = len(flags) + 1
    return [(r[0], tuple(bool(f) for f in r[2:n]), r[n], r[n + 1] or 0) for r in rows if r[1]]


def session_days(
    db: Db, stations: Stations, period: Period, days: Sequence[str] | None = None
) -> Days:
    """Sessions held, by their day (:func:`training.sessions_by_station`); ``days``: those
    days of the period alone (each day's value is the same)."""
    where, params = training_q.held_sessions_where(stations, period)
    on, more = _on("s.date", days)
    return _days(
        db,
        f"SELECT s.station_id, s.date, COUNT(*) {training_q.HELD} WHERE {where}{on}"
        " GROUP BY s.station_id, s.date",
        params + more,
    )


def visit_days(
    db: Db, stations: Stations, period: Period, days: Sequence[str] | None = None
) -> Days:
    """Trainee-visits, by the session's day (:func:`training.visits_by_station`); ``days``:
    those days of the period alone."""
    body, params = training_q.marks_sql(stations, period)
    on, more = _on("s.date", days)
    return _days(
        db,
        f"SELECT s.station_id, s.date, COUNT(*) {body}{on} GROUP BY s.station_id, s.date",
        params + more,
    )


def hours_days(
    db: Db, stations: Stations, period: Period, days: Sequence[str] | None = None
) -> Days:
    """Verified hours of live volunteers, by the service's day
    (:func:`volunteers.hours_by_station`); ``days``: those days of the period alone."""
    body, params = volunteer_q.verified_by_volunteer(stations, period, by_day=True, days=days)
    return _days(
        db,
        f"SELECT g.station_id, g.first, SUM(g.hours) {body} GROUP BY g.station_id, g.first",
        params,
    )


def serving_days(db: Db, stations: Stations, period: Period) -> Days:
    """Volunteers serving in the period, each on the day of their first verified service in it
    (:func:`volunteers.serving_by_station`): a sum from the period's start equals the figure."""
    body, params = volunteer_q.verified_by_volunteer(stations, period)
    return _days(
        db,
        f"SELECT g.station_id, g.first, COUNT(*) {body} GROUP BY g.station_id, g.first",
        params,
    )


def joined_days(db: Db, stations: Stations, period: Period) -> Days:
    """Active volunteers by the day they joined ('' when not known), up to the cutoff
    (:func:`volunteers.active_by_station`): a stock, summed over every day up to a cutoff."""
    body, params = volunteer_q.active_sql(stations, period)
    return _days(
        db,
        f"SELECT v.station_id, v.join_date, COUNT(*) {body} GROUP BY v.station_id, v.join_date",
        params,
    )


def population_days(db: Db, stations: Stations, period: Period) -> Days:
    """The year's population (annual facts), on the year's first day: a figure of the year,
    whatever the cutoff (:func:`annual.facts_rows`)."""
    facts = annual_q.facts_rows(db, stations, period.year)
    return {(sid, period.start): row["population"] or 0 for sid, row in facts.items()}
