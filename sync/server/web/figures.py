"""The figures of the web pages, computed by the desktop reports' own indicator functions
(:mod:`pzh_core.indicators`) over the server's replica tables — one definition per
indicator; nothing here writes indicator SQL.

The replica tables have the client's names and columns, so the functions run unchanged on the
storage's read-only view of them (``Storage.indicator_db``). Counties and the city
add their stations up; ratios are recomputed from their summed parts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pzh_core import indicators
from pzh_core.china_tz import china_day, china_time
from pzh_core.indicators.activity_figures import per_resident, visits_due
from pzh_core.period import Period
from pzh_core.queries import Db
from pzh_core.tabular import Cell
from sync.server.db import aggregates

# Silent after 7 days; a PC clock off by more than an hour is flagged (one definition, also
# what the health lists count in SQL).
from sync.server.sql_health import DAY_MS, SILENT_DAYS, SKEW_LIMIT_MS
from sync.server.storage import Device, Station

# The indicators the overview shows, in order (labels come from indicators.INDICATORS).
# Completers and new star levels follow each class's and volunteer's whole history, which costs
# too much for every station at once; the station page shows them (STATION_KEYS).
OVERVIEW_KEYS = (
    "activities",
    "activities_target",
    "person_visits",
    "population",
    "visits_per_resident",
    "visits_target",
    "special_group_activities",
    "special_group_visits",
    "training_classes",
    "training_sessions",
    "trainee_visits",
    "volunteers_active",
    "volunteers_serving",
    "volunteer_hours_verified",
)
STATION_KEYS = (*OVERVIEW_KEYS, "completers", "attendance_rate", "new_star_levels")
# The month-by-month table of a station page.
MONTHLY_KEYS = (
    "activities",
    "person_visits",
    "special_group_activities",
    "training_sessions",
    "trainee_visits",
    "volunteer_hours_verified",
)


def label(key: str) -> str:
    return indicators.INDICATORS[key].label


@dataclass
class Row:
    """One line of the overview: a station, a county or the city."""

    kind: str  # station | county | city
    name: str
    county: str
    station_id: str = ""
    stations: int = 1
    values: dict[str, Any] = field(default_factory=dict)
    last_sync_ms: int | None = None

    @property
    def activities_share(self) -> float | None:
        """Activities held over the pro-rated target (1.0 = on target)."""
        target = self.values.get("activities_target") or 0
        return self.values["activities"] / target if target else None

    @property
    def per_resident_target(self) -> float | None:
        """Visits per resident due by now: 1.25 × the share of the period gone."""
        pop = self.values.get("population") or 0
        return self.values["visits_target"] / pop if pop else None


@dataclass
class Overview:
    year: int
    period: Period
    stations: list[Row]
    counties: list[Row]
    total: Row
    special_target: float  # the city-wide yearly special-group target (≥ 100)
    citywide: bool  # the viewer sees every station (so the total is the city's)
    # By county (a province, :mod:`sync.server.web.province`): ``stations`` is empty and
    # ``watched`` holds a short row per station (activities, target, last sync) for attention.
    watched: list[Row] = field(default_factory=list)
    by_county: bool = False
    county: str = ""  # a city user looking at one county's stations (``?county=``)

    @property
    def station_rows(self) -> list[Row]:
        """Every station the viewer sees, with at least its activities and last sync."""
        return self.watched or self.stations


def _sum_rows(kind: str, name: str, county: str, rows: list[Row]) -> Row:
    values: dict[str, Any] = {}
    for key in OVERVIEW_KEYS:
        if indicators.INDICATORS[key].kind == "ratio":
            continue
        values[key] = sum(v for r in rows if (v := r.values.get(key)) is not None)
    pop = values.get("population") or 0
    # Only stations with a population count: one without adds nothing (issue 13).
    counted = sum(r.values.get("person_visits") or 0 for r in rows if r.values.get("population"))
    values["visits_per_resident"] = counted / pop if pop else None
    syncs = [r.last_sync_ms for r in rows if r.last_sync_ms is not None]
    return Row(
        kind,
        name,
        county,
        stations=len(rows),
        values=values,
        last_sync_ms=max(syncs) if syncs else None,
    )


def last_sync_by_station(devices: list[Device]) -> dict[str, int]:
    """The latest successful sync of each station over its devices that are not revoked."""
    out: dict[str, int] = {}
    for d in devices:
        if d.revoked or d.last_sync_ms is None:
            continue
        out[d.station_id] = max(out.get(d.station_id, 0), d.last_sync_ms)
    return out


def overview(
    conn: Db,
    stations: list[Station],
    year: int,
    *,
    today: dt.date,
    last_sync: Mapping[str, int] | None = None,
    citywide: bool = True,
) -> Overview:
    """Every figure of the overview for ``stations`` in ``year`` as seen on ``today``.

    :param stations: the stations the viewer may see.
    :param last_sync: the latest sync of each station (``rollup.last_syncs``).
    :param citywide: whether ``stations`` are all the city's (the total is then the city's).
    """
    period = Period(year, None, today)
    ids = [s.id for s in stations]
    per = overview_values(conn, ids, period) if ids else {k: {} for k in OVERVIEW_KEYS}
    synced = last_sync or {}
    rows = [
        Row(
            "station",
            s.name,
            s.county,
            station_id=s.id,
            values={k: per[k].get(s.id) for k in OVERVIEW_KEYS},
            last_sync_ms=synced.get(s.id),
        )
        for s in stations
    ]
    rows.sort(key=lambda r: (r.county, r.name))
    by_county: dict[str, list[Row]] = {}
    for r in rows:
        by_county.setdefault(r.county, []).append(r)
    counties = [_sum_rows("county", c, c, rs) for c, rs in sorted(by_county.items())]
    total = _sum_rows("city", "全市合计" if citywide else "合计", "", rows)
    special = float(
        indicators.plan_targets().get("special_group_activities_citywide_per_year", 100)
    )
    return Overview(year, period, rows, counties, total, special, citywide)


def overview_values(conn: Db, ids: list[str], period: Period) -> dict[str, dict[str, Any]]:
    """The overview's figures by station (``indicators.compute(conn, ids, period,
    OVERVIEW_KEYS, by_station=True)``): the sums read from the server's aggregates
    (:mod:`sync.server.db.aggregates`); the targets and the ratio from them by the definitions'
    own formulas."""
    per = aggregates.year_values(conn, ids, period)
    per["activities_target"] = indicators.activities_target(conn, ids, period, by_station=True)
    per["visits_target"] = visits_due(per["population"], period, by_station=True)
    per["visits_per_resident"] = per_resident(
        per["person_visits"], per["population"], by_station=True
    )
    return {k: per[k] for k in OVERVIEW_KEYS}


def station_year(conn: Db, station: Station, year: int, *, today: dt.date) -> dict[str, Any]:
    """A station page's figures: the year's values, the twelve months and the latest activities."""
    period = Period(year, None, today)
    values = indicators.compute(conn, [station.id], period, STATION_KEYS)
    months = indicators.monthly(conn, [station.id], year, MONTHLY_KEYS, as_of=today)
    latest = indicators.activity_rows(conn, [station.id], period)[-20:][::-1]
    return {"period": period, "values": values, "months": months, "latest": latest}


def silent(last_sync_ms: int | None, now_ms: int) -> bool:
    """A station (or device) that has not synced for more than seven days (or never)."""
    return last_sync_ms is None or now_ms - last_sync_ms > SILENT_DAYS * DAY_MS


def sync_flag(last_sync_ms: int | None, now_ms: int) -> str:
    """What to say next to a station's figures when they may be incomplete: 从未同步,
    超过N天未同步 (N whole days since its last sync, at least :data:`SILENT_DAYS`), or ""."""
    if last_sync_ms is None:
        return "从未同步"
    if not silent(last_sync_ms, now_ms):
        return ""
    return f"超过{(now_ms - last_sync_ms) // DAY_MS}天未同步"


def clock_far_off(skew_ms: int | None) -> bool:
    """A device whose clock was more than :data:`SKEW_LIMIT_MS` off the server's at its last
    sync: its dates and stamps cannot be trusted until its clock is set."""
    return skew_ms is not None and abs(skew_ms) > SKEW_LIMIT_MS


def device_labels(devices: list[Device]) -> dict[str, str]:
    """A name that tells each device apart: its own name, and when two devices of one station
    share it (several PCs called "vm"), the start of its id and the day it was enrolled."""
    seen: dict[tuple[str, str], int] = {}
    for d in devices:
        key = (d.station_id, d.name.strip().lower())
        seen[key] = seen.get(key, 0) + 1
    out = {}
    for d in devices:
        name = d.name.strip() or "未命名设备"
        if seen[(d.station_id, d.name.strip().lower())] > 1 or not d.name.strip():
            day = china_day(d.created_ms)
            name = f"{name}（{d.id[:6]}，{day}登记）"
        out[d.id] = name
    return out


# -- the overview as a table (page, .xlsx and .csv share it) ------------------------------------
def table_headers() -> list[str]:
    return [
        "县（区）",
        "文化站",
        label("activities"),
        label("activities_target"),
        "活动完成率",
        label("person_visits"),
        label("population"),
        label("visits_per_resident"),
        "人均参与次数目标（折算）",
        label("special_group_activities"),
        label("special_group_visits"),
        label("training_classes"),
        label("training_sessions"),
        label("trainee_visits"),
        label("volunteers_active"),
        label("volunteers_serving"),
        label("volunteer_hours_verified"),
        "最近同步",
    ]


def _when(ms: int | None) -> str:
    if ms is None:
        return "从未同步"
    return china_time(ms)


def _share(value: float | None) -> Cell | None:
    """A rate as a percentage cell: 12.872 is written 1287% (xlsx: a number in the percent
    format, so it still sums and sorts; csv: the text)."""
    return None if value is None else Cell(round(value, 4), "0%", f"{value * 100:.0f}%")


def _r(value: Any, digits: int) -> Any:
    return None if value is None else round(value, digits)


def table_row(row: Row) -> list[Any]:
    v = row.values
    return [
        row.county,
        row.name if row.kind == "station" else f"{row.name}（{row.stations}个站）",
        v["activities"],
        _r(v["activities_target"], 1),
        _share(row.activities_share),
        v["person_visits"],
        v["population"],
        _r(v["visits_per_resident"], 3),
        _r(row.per_resident_target, 3),
        v["special_group_activities"],
        v["special_group_visits"],
        v["training_classes"],
        v["training_sessions"],
        v["trainee_visits"],
        v["volunteers_active"],
        v["volunteers_serving"],
        _r(v["volunteer_hours_verified"], 1),
        _when(row.last_sync_ms) if row.kind == "station" else "",
    ]


def table_rows(ov: Overview) -> list[list[Any]]:
    """Stations, then county totals, then the total: what the exports hold."""
    return [table_row(r) for r in (*ov.stations, *ov.counties, ov.total)]


# -- what a county must see first (the top of the overview, the first screen on a phone) --------
ATTENTION_SHOWN = 8


def attention(ov: Overview, now_ms: int) -> dict[str, Any]:
    """Who is silent (never synced, or not for more than :data:`SILENT_DAYS`: their figures may
    be incomplete) and who is behind the pro-rated activities target, worst first."""
    stations = ov.station_rows
    silent_rows = [(r, sync_flag(r.last_sync_ms, now_ms)) for r in stations]
    silent_rows = [(r, f) for r, f in silent_rows if f]
    silent_rows.sort(key=lambda x: (x[0].last_sync_ms or 0, x[0].county, x[0].name))
    behind = [r for r in stations if r.activities_share is not None and r.activities_share < 1]
    behind.sort(key=lambda r: (r.activities_share, r.county, r.name))
    return {
        "silent": silent_rows[:ATTENTION_SHOWN],
        "silent_count": len(silent_rows),
        "behind": behind[:ATTENTION_SHOWN],
        "behind_count": len(behind),
        "shown": ATTENTION_SHOWN,
    }


def per_resident_chart(ov: Overview) -> dict[str, Any]:
    """The per-station chart's data: stations with a population, lowest first (a horizontal bar
    each, so 60+ names stay readable), and how many are left out for want of a population. By
    county: one bar per county."""
    shown = ov.counties if ov.by_county else ov.stations
    rows = [r for r in shown if r.values.get("visits_per_resident") is not None]
    rows.sort(key=lambda r: (r.values["visits_per_resident"], r.county, r.name))
    return {
        "stations": [r.name for r in rows],
        "per_resident": [round(r.values["visits_per_resident"], 3) for r in rows],
        "no_population": len(shown) - len(rows),
        "bars_of": "县（区）" if ov.by_county else "站",
    }


def export_note(ov: Overview, scope: str, now_ms: int) -> str:
    """The line above an export's table: what it covers and as of when, so a sheet handed on
    says what it is."""
    made = china_time(now_ms)
    share = f"{ov.period.share_of_year_gone * 100:.0f}%"
    return (
        f"{scope}文化站概览 {ov.year}年：统计截至 {ov.period.cutoff}"
        f"（目标按已过天数折算 {share}）；"
        f"只含各站已同步到市服务器的记录，“最近同步”为各站最后一次同步的时间；导出于 {made}。"
    )
