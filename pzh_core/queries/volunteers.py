"""The volunteer area's rows behind the figures: the registry and verified service."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pzh_core.period import Period
from pzh_core.queries import Db, Stations, in_list, station_ids

_LIVE_VOLUNTEER = (
    "JOIN volunteers v ON v.id = g.volunteer_id AND v.deleted = 0"
    " LEFT JOIN people p ON p.id = v.person_id WHERE (p.id IS NULL OR p.deleted = 0)"
)


def active_sql(stations: Stations, period: Period) -> tuple[str, list[Any]]:
    ids = station_ids(stations)
    return (
        "FROM volunteers v LEFT JOIN people p ON p.id = v.person_id"
        f" WHERE v.deleted = 0 AND v.status = 'active' AND {in_list('v.station_id', ids)}"
        " AND v.join_date <= ? AND (p.id IS NULL OR p.deleted = 0)",
        [*ids, period.cutoff],
    )


def active_by_station(db: Db, stations: Stations, period: Period) -> dict[str, int]:
    body, params = active_sql(stations, period)
    return db.grouped(f"SELECT v.station_id, COUNT(*) {body} GROUP BY v.station_id", params)


def active_rows(db: Db, stations: Stations, period: Period) -> list[dict[str, Any]]:
    body, params = active_sql(stations, period)
    return db.rows(
        "SELECT v.id, v.station_id, v.join_date, v.number, v.team, p.name"
        f" {body} ORDER BY v.join_date, p.name COLLATE pinyin",
        params,
    )


def _verified_where(
    stations: Stations, period: Period, days: Sequence[str] | None = None
) -> tuple[str, list[Any]]:
    """WHERE (over ``service_records r``) of the verified services dated in the period (and on
    one of ``days``, when given)."""
    ids = station_ids(stations)
    on = "" if days is None else f" AND {in_list('r.date', days)}"
    return (
        f"r.deleted = 0 AND r.status = 'verified' AND {in_list('r.station_id', ids)}"
        f" AND r.date >= ? AND r.date <= ?{on}",
        [*ids, period.start, period.cutoff, *(days or ())],
    )


def verified_by_volunteer(
    stations: Stations,
    period: Period,
    *,
    by_day: bool = False,
    days: Sequence[str] | None = None,
) -> tuple[str, list[Any]]:
    """Verified services of the period summed per volunteer (read from the report index alone),
    kept for volunteers that are not deleted (nor their person): ``g.station_id, g.volunteer_id,
    g.hours, g.n, g.first`` over ``g``, ``v`` and ``p``. ``by_day``: per volunteer and day
    (``g.first`` is then that day); ``days``: the services of those days alone."""
    where, params = _verified_where(stations, period, days)
    day = ", r.date" if by_day else ""
    return (
        "FROM (SELECT r.station_id, r.volunteer_id, SUM(r.hours) AS hours, COUNT(*) AS n,"
        f" MIN(r.date) AS first FROM service_records r WHERE {where}"
        f" GROUP BY r.station_id, r.volunteer_id{day}) g {_LIVE_VOLUNTEER}",
        params,
    )


def hours_by_station(db: Db, stations: Stations, period: Period) -> dict[str, float]:
    body, params = verified_by_volunteer(stations, period)
    return db.grouped(f"SELECT g.station_id, SUM(g.hours) {body} GROUP BY g.station_id", params)


def serving_by_station(db: Db, stations: Stations, period: Period) -> dict[str, int]:
    body, params = verified_by_volunteer(stations, period)
    return db.grouped(f"SELECT g.station_id, COUNT(*) {body} GROUP BY g.station_id", params)


def service_rows(db: Db, stations: Stations, period: Period) -> list[dict[str, Any]]:
    """Per volunteer with verified service in the period: ``id, station_id, first, n, hours,
    name``, by name."""
    body, params = verified_by_volunteer(stations, period)
    return db.rows(
        f"SELECT v.id, g.station_id, g.first, g.n, g.hours, p.name {body} ORDER BY p.name"
        f" COLLATE pinyin",
        params,
    )


def star_rows(db: Db, stations: Stations, period: Period) -> list[dict[str, Any]]:
    """Per volunteer (not deleted) with verified hours in the period: verified hours before the
    period and up to its cutoff. (The volunteers are picked from the period's records; their
    history is then summed in volunteer order from the index ``service_records_verified``.)"""
    where, params = _verified_where(stations, period)
    sql = f"""
    SELECT v.id, v.station_id, p.name, g.before, g.after, g.last FROM (
        SELECT r.volunteer_id, SUM(CASE WHEN r.date < ? THEN r.hours ELSE 0 END) AS before,
               SUM(r.hours) AS after, MAX(r.date) AS last
        FROM service_records r
        WHERE r.status = 'verified' AND r.deleted = 0 AND r.date <= ?
          AND r.volunteer_id IN (
              SELECT DISTINCT r.volunteer_id FROM service_records r WHERE {where})
        GROUP BY r.volunteer_id
    ) g {_LIVE_VOLUNTEER}
    ORDER BY p.name COLLATE pinyin
    """
    return db.rows(sql, [period.start, period.cutoff, *params])
