"""The overview by county (issue 16): above ``ServerSettings.stations_on_page`` stations the
city's overview and its exports show one line per county (with a link to that county's stations)
instead of one per station. Each county's figures are added up in the database
(:mod:`sync.server.db.rollup`) from the pre-aggregated figures; ratios and targets are then
computed from the summed parts by the definitions' own formulas, as for a county of the
per-station overview. A 4,000-station page was 2.8 s, mostly its 4,000 rows; by county it is
one line per county (docs/web.md, "A province's overview").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pzh_core import indicators
from pzh_core.indicators.activity_figures import visits_due
from pzh_core.period import Period
from pzh_core.queries import Db
from sync.server.db import rollup
from sync.server.web.figures import OVERVIEW_KEYS, Overview, Row


def _county_row(name: str, sums: dict[str, Any], lines: list[rollup.StationLine], period: Period):
    values = {k: sums.get(k, 0) for k in OVERVIEW_KEYS}
    # Only stations with a population count in the per-resident rate (issue 13).
    values["counted_visits"] = sum(s.person_visits for s in lines if s.population)
    return _with_targets(Row("county", name, name, stations=len(lines), values=values), period)


def _with_targets(row: Row, period: Period) -> Row:
    """The targets and the per-resident rate of a county or the total, from its summed parts."""
    v = row.values
    per_station = indicators.activities_target(None, ["_"], period)
    v["activities_target"] = per_station * row.stations
    v["visits_target"] = visits_due({"_": v["population"]}, period, by_station=False)
    pop = v["population"]
    v["visits_per_resident"] = v["counted_visits"] / pop if pop else None
    return row


def county_overview(
    db: Db, year: int, *, today: dt.date, counties: list[str] | None = None, citywide: bool = True
) -> Overview:
    """The overview of ``year`` as seen on ``today``, one row per county (of ``counties``; None:
    every county), the total, and a short line per station for the attention lists."""
    period = Period(year, None, today)
    lines = rollup.station_lines(db, period, counties)
    sums = rollup.county_sums(db, period, OVERVIEW_KEYS, counties)
    by_county: dict[str, list[rollup.StationLine]] = {}
    for s in lines:
        by_county.setdefault(s.county, []).append(s)
    rows = []
    for name, members in sorted(by_county.items()):
        row = _county_row(name, sums.get(name, {}), members, period)
        syncs = [s.last_sync_ms for s in members if s.last_sync_ms is not None]
        row.last_sync_ms = max(syncs) if syncs else None
        rows.append(row)
    total_values = {
        k: sum(v for r in rows if (v := r.values.get(k)) is not None)
        for k in (*OVERVIEW_KEYS, "counted_visits")
        if indicators.INDICATORS.get(k) is None or indicators.INDICATORS[k].kind != "ratio"
    }
    total = Row("city", "全市合计" if citywide else "合计", "", stations=len(lines))
    total.values = total_values
    _with_targets(total, period)
    per_station = indicators.activities_target(None, ["_"], period)
    watched = [
        Row("station", s.name, s.county, station_id=s.id, last_sync_ms=s.last_sync_ms,
            values={"activities": s.activities, "activities_target": per_station})
        for s in lines
    ]  # fmt: skip
    special = float(
        indicators.plan_targets().get("special_group_activities_citywide_per_year", 100)
    )
    return Overview(
        year, period, [], rows, total, special, citywide, watched=watched, by_county=True
    )
