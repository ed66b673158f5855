"""Volunteer figures: the registry, verified service hours, new star levels."""

from __future__ import annotations

from typing import Any

from pzh_core.domain.volunteer import new_level_reached, star_level
from pzh_core.indicators.common import Record, counted, per_station, total
from pzh_core.period import Period
from pzh_core.queries import Db, Stations
from pzh_core.queries import volunteers as q

volunteers_active = counted(q.active_by_station)
volunteers_active.__doc__ = (
    "Registered volunteers (文化志愿者人数) whose status is active and who joined by the cutoff"
    " (an empty join date counts as joined). The status is today's: the registry keeps no"
    " history."
)
volunteer_hours_verified = counted(q.hours_by_station, 0.0)
volunteer_hours_verified.__doc__ = (
    "Verified service hours (服务时长) of services dated in the period (of volunteers not deleted)."
)
volunteers_serving = counted(q.serving_by_station)
volunteers_serving.__doc__ = (
    "Volunteers (not deleted) with at least one verified service in the period."
)


def _record(r: Any, date: str, amount: float, detail: str) -> Record:
    """A volunteer as one record behind a figure."""
    name = r["name"] or "（未知）"
    return Record("volunteers", r["id"], r["station_id"], date, name, amount, detail)


def volunteers_active_records(conn: Any, stations: Stations, period: Period) -> list[Record]:
    return [
        _record(r, r["join_date"], 1, f"编号{r['number']}｜{r['team']}".strip("｜"))
        for r in q.active_rows(Db.of(conn), stations, period)
    ]


def volunteer_hours_verified_records(conn: Any, stations: Stations, period: Period) -> list[Record]:
    """One record per volunteer: ``amount`` = their verified hours in the period."""
    return [
        _record(r, r["first"], r["hours"], f"本期已审核服务{r['n']}次，{r['hours']:g}小时")
        for r in q.service_rows(Db.of(conn), stations, period)
    ]


def volunteers_serving_records(conn: Any, stations: Stations, period: Period) -> list[Record]:
    return [
        _record(r, r["first"], 1, f"本期服务{r['n']}次，{r['hours']:g}小时")
        for r in q.service_rows(Db.of(conn), stations, period)
    ]


def new_star_levels(
    conn: Any, stations: Stations, period: Period, *, by_station: bool = False
) -> Any:
    """Volunteers who reached a higher star level in the period: their star level from all
    verified hours up to the cutoff is above the level from those before the period."""
    found: dict[str, int] = {}
    for r in q.star_rows(Db.of(conn), stations, period):
        if new_level_reached(r["before"], r["after"]):
            found[r["station_id"]] = found.get(r["station_id"], 0) + 1
    return total(per_station(stations, found), by_station)


def new_star_levels_records(conn: Any, stations: Stations, period: Period) -> list[Record]:
    out = []
    for r in q.star_rows(Db.of(conn), stations, period):
        before, after = star_level(r["before"]), star_level(r["after"])
        if after > before:
            detail = f"{before}星→{after}星（累计{r['after']:g}小时）"
            out.append(_record(r, r["last"], 1, detail))
    return out


def volunteer_breakdown(conn: Any, stations: Stations, period: Period) -> list[dict[str, Any]]:
    """Per volunteer with verified service in the period: ``{id, name, services, hours}``."""
    return [
        {"id": r["id"], "name": r["name"], "services": r["n"], "hours": r["hours"]}
        for r in q.service_rows(Db.of(conn), stations, period)
    ]
