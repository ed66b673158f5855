"""The activities a figure counts, and the station profile's figures."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from pzh_core.domain import refdata
from pzh_core.period import Period
from pzh_core.queries import Db, Stations, in_list, station_ids


@dataclass(frozen=True)
class ActivityScope:
    """Which activities a figure counts (an empty field means "any")."""

    kinds: tuple[str, ...] = ()
    exclude_kinds: tuple[str, ...] = ()
    delivery: str = ""
    special: bool = False  # at least one target group is a special group


ALL = ActivityScope()


@cache
def special_group_codes() -> tuple[str, ...]:
    """The target-group codes the plan counts as special groups (refdata, not written here)."""
    return tuple(sorted(refdata.special_groups()))


ROW_COLUMNS = (
    "a.id, a.station_id, a.date, a.start_time, a.end_time, a.title, a.kind, a.delivery,"
    " a.place, a.organiser, a.attendance, a.target_groups, a.brand"
)


def activity_where(
    db: Db, scope: ActivityScope, stations: Stations, period: Period
) -> tuple[str, list[Any]]:
    """The WHERE clause (over ``activities a``) of the activities a scope counts in a period:
    live, of the stations, in the period (:func:`dated_where`) and of the scope
    (:func:`scope_where`)."""
    clauses, params = dated_where(stations, period)
    more, more_params = scope_where(db, scope)
    return " AND ".join(clauses + more), params + more_params


def dated_where(stations: Stations, period: Period) -> tuple[list[str], list[Any]]:
    """The clauses (and parameters) of every figure of activities: live, of the stations, held
    in the period."""
    ids = station_ids(stations)
    clauses = ["a.deleted = 0", in_list("a.station_id", ids), "a.date >= ?", "a.date <= ?"]
    return clauses, [*ids, period.start, period.cutoff]


def scope_where(db: Db, scope: ActivityScope) -> tuple[list[str], list[Any]]:
    """The clauses (and parameters) of a scope, over one activity's own columns (none: any)."""
    clauses: list[str] = []
    params: list[Any] = []
    if scope.kinds:
        clauses.append(in_list("a.kind", scope.kinds))
        params += scope.kinds
    if scope.exclude_kinds:
        clauses.append("NOT " + in_list("a.kind", scope.exclude_kinds))
        params += scope.exclude_kinds
    if scope.delivery:
        clauses.append("a.delivery = ?")
        params.append(scope.delivery)
    if scope.special:
        codes = special_group_codes()
        clauses.append(
            db.dialect.json_list_has_any("a.target_groups", len(codes)) if codes else "1 = 0"
        )
        params += codes
    return clauses, params


def count_by_station(
    db: Db, scope: ActivityScope, stations: Stations, period: Period
) -> dict[str, int]:
    where, params = activity_where(db, scope, stations, period)
    return db.grouped(
        f"SELECT a.station_id, COUNT(*) FROM activities a WHERE {where} GROUP BY a.station_id",
        params,
    )


def attendance_by_station(
    db: Db, scope: ActivityScope, stations: Stations, period: Period
) -> dict[str, int]:
    where, params = activity_where(db, scope, stations, period)
    return db.grouped(
        f"SELECT a.station_id, SUM(a.attendance) FROM activities a WHERE {where}"
        " GROUP BY a.station_id",
        params,
    )


def activity_rows(
    db: Db, scope: ActivityScope, stations: Stations, period: Period
) -> list[dict[str, Any]]:
    """The activities of a scope with their key facts (``target_groups`` as stored: JSON)."""
    where, params = activity_where(db, scope, stations, period)
    return db.rows(
        f"SELECT {ROW_COLUMNS} FROM activities a WHERE {where} ORDER BY a.date, a.start_time, a.id",
        params,
    )


def activity_amounts(
    db: Db, scope: ActivityScope, stations: Stations, period: Period, measure: str
) -> list[tuple[str, int]]:
    """``(activity id, 1 or its attendance)``, read from the report index alone."""
    where, params = activity_where(db, scope, stations, period)
    value = "1" if measure == "count" else "a.attendance"
    rows = db.tuples(
        f"SELECT a.id, {value} FROM activities a WHERE {where} ORDER BY a.date, a.id", params
    )
    return [(r[0], r[1]) for r in rows]


def station_values(db: Db, column: str, stations: Stations) -> dict[str, Any]:
    """``{station id: its profile's column}`` (``column`` from the code, never from input)."""
    ids = station_ids(stations)
    return db.grouped(
        f"SELECT id, {column} FROM stations WHERE deleted = 0 AND {in_list('id', ids)}", ids
    )


def station_rows(db: Db, column: str, stations: Stations) -> list[dict[str, Any]]:
    """``id, name, value`` of the stations' profiles, by name."""
    ids = station_ids(stations)
    return db.rows(
        f"SELECT id, name, {column} AS value FROM stations"
        f" WHERE deleted = 0 AND {in_list('id', ids)} ORDER BY name",
        ids,
    )
