"""Many stations' figures added up in the database (issue 16): a province's overview reads
its counties' sums and one short line per station (activities, visits, population, last sync)
in two queries over
the pre-aggregated figures (:func:`sync.server.db.aggregates.year_query`), instead of every
figure of every station into Python. The SQL is plain standard SQL on either engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pzh_core.period import Period
from pzh_core.queries import Db, in_list
from sync.server.db import aggregates


@dataclass
class StationLine:
    """What the overview needs of each station when it shows counties: enough to list the
    silent ones and those behind the activities target."""

    id: str
    name: str
    county: str
    last_sync_ms: int | None
    activities: int
    person_visits: int = 0
    population: int = 0


def _where(counties: Sequence[str] | None) -> tuple[str, list[str]]:
    if counties is None:
        return "1 = 1", []
    return in_list("s.county", counties), list(counties)


def county_sums(
    db: Db, period: Period, keys: Sequence[str], counties: Sequence[str] | None = None
) -> dict[str, dict[str, Any]]:
    """``{county: {key: sum over its stations}}`` of the year period's ``keys`` that are
    aggregated (the others are left out). ``counties``: only these (None: all)."""
    wanted = sorted(set(keys) & set(aggregates.DAILY))
    where, where_params = _where(counties)
    sql, params = aggregates.year_query(period, wanted)
    rows = db.tuples(
        f"SELECT s.county, f.key, SUM(f.value) FROM ({sql}) f"
        f" JOIN srv_stations s ON s.id = f.station_id WHERE {where} GROUP BY s.county, f.key",
        [*params, *where_params],
    )
    raw: dict[str, dict[str, Any]] = {}
    for county, key, total in rows:
        raw.setdefault(county, {})[key] = total or 0
    return {
        county: {k: aggregates.fixed(k, sums.get(k, 0)) for k in wanted}
        for county, sums in raw.items()
    }


def station_lines(
    db: Db, period: Period, counties: Sequence[str] | None = None
) -> list[StationLine]:
    """Every station (of ``counties``; None: all) with its activities, person-visits and
    population in the period and its latest sync over its devices that are not revoked, by
    county and name. (The per-resident rate of a county counts the visits of its stations with
    a population only; they are added up from here: a join on the population rows got a
    nested loop over every station on PostgreSQL.)"""
    sql, params = aggregates.year_query(period, ["activities", "person_visits", "population"])
    where, where_params = _where(counties)
    rows = db.tuples(
        f"""
        WITH a AS (
            SELECT station_id, SUM(CASE WHEN key = 'activities' THEN value ELSE 0 END) AS act,
                SUM(CASE WHEN key = 'person_visits' THEN value ELSE 0 END) AS visits,
                SUM(CASE WHEN key = 'population' THEN value ELSE 0 END) AS pop
            FROM ({sql}) f GROUP BY station_id),
        d AS (SELECT station_id, MAX(last_sync_ms) AS last FROM srv_devices
              WHERE revoked_ms IS NULL GROUP BY station_id)
        SELECT s.id, s.name, s.county, d.last, a.act, a.visits, a.pop FROM srv_stations s
        LEFT JOIN a ON a.station_id = s.id
        LEFT JOIN d ON d.station_id = s.id
        WHERE {where}""",
        [*params, *where_params],
    )
    lines = [
        StationLine(i, n, c, last, round(act or 0), round(visits or 0), round(pop or 0))
        for i, n, c, last, act, visits, pop in rows
    ]
    lines.sort(key=lambda s: (s.county, s.name))
    return lines


def last_syncs(db: Db, stations: Sequence[str]) -> dict[str, int]:
    """The latest sync of each of ``stations`` over its devices that are not revoked (stations
    never synced are left out)."""
    ids = sorted(set(stations))
    rows = db.tuples(
        "SELECT station_id, MAX(last_sync_ms) FROM srv_devices WHERE revoked_ms IS NULL"
        f" AND last_sync_ms IS NOT NULL AND {in_list('station_id', ids)} GROUP BY station_id",
        ids,
    )
    return {sid: last for sid, last in rows}
