"""Every figure of the reports, defined once (see docs/indicators.md for the definitions in words).

The desktop app (overview, annual and monthly reports, ``report summary --json``) and the city
server's web pages call these same functions. They take:

- ``conn``: a connection whose synced tables have the client's names and columns
  (``activities``, ``classes``, ``sessions``, ``attendance``, ``enrollments``, ``people``,
  ``volunteers``, ``service_records``, ``stations``; the server's replica has the same): the
  desk's or the server's sqlite3 connection (or a PostgreSQL one, see :mod:`pzh_core.queries`);
- ``stations``: the station ids to count (one on the desktop, many on the server);
- ``period``: a :class:`~pzh_core.period.Period` (year, optional month, "as of" day).

Rules every figure shares:

- tombstoned rows (``deleted = 1``) never count, nor rows hanging off a tombstoned parent
  (the sessions of a deleted class, the marks of a deleted session, the hours of a deleted
  volunteer);
- a record counts in the period of its date (an activity in the month it started), and only when
  that date is on or before the period's cutoff (the earlier of its last day and ``as_of``).

Each indicator has a value function ``f(conn, stations, period, *, by_station=False)`` (grouped
by station; the total is the sum over stations) and a records function listing the rows behind
the figure (for the overview's drill-down and the annual report's second sheet).
:data:`INDICATORS` names them all. The definitions are here, by area (:mod:`.activity_figures`,
:mod:`.training_figures`, :mod:`.volunteer_figures`); their SQL is the core's one query package,
:mod:`pzh_core.queries`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pzh_core.indicators import activity_figures as _activities
from pzh_core.indicators import training_figures as _training
from pzh_core.indicators import volunteer_figures as _volunteers
from pzh_core.indicators.activity_figures import (
    SEPARATE_KINDS,
    activity_amounts,
    activity_records,
    activity_rows,
    checklist,
    checklist_records,
    count_activities,
    standard_scope,
    sum_attendance,
)
from pzh_core.indicators.common import (
    TABLE_LABELS,
    Record,
    Records,
    Value,
    is_completer,
    plan_targets,
)
from pzh_core.indicators.training_figures import class_breakdown
from pzh_core.indicators.volunteer_figures import volunteer_breakdown
from pzh_core.period import Period
from pzh_core.queries import Stations
from pzh_core.queries.activities import ALL, ActivityScope, special_group_codes
from pzh_core.queries.training import ATTENDED_MARKS

__all__ = [
    "ALL",
    "ATTENDED_MARKS",
    "INDICATORS",
    "SEPARATE_KINDS",
    "TABLE_LABELS",
    "ActivityScope",
    "Indicator",
    "Record",
    "activity_amounts",
    "activity_records",
    "activity_rows",
    "checklist",
    "checklist_records",
    "class_breakdown",
    "compute",
    "count_activities",
    "is_completer",
    "monthly",
    "plan_targets",
    "records",
    "special_group_codes",
    "standard_scope",
    "sum_attendance",
    "volunteer_breakdown",
]


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str  # Chinese, as shown
    unit: str  # Chinese unit
    value: Value  # (conn, stations, period, *, by_station=False)
    records: Records
    kind: str = "count"  # count | sum | ratio | target (how it is shown and whether it adds up)
    scope: ActivityScope | None = None  # for activity figures: which activities they count
    measure: str = ""  # for activity figures: "count" (1 each) or "attendance"


def _no_records(conn: Any, stations: Stations, period: Period) -> list[Record]:
    return []


def _ind(key: str, label: str, unit: str, kind: str = "count") -> Indicator:
    for module in (_activities, _training, _volunteers):
        value = getattr(module, key, None)
        if value is not None:
            records = getattr(module, f"{key}_records", _no_records)
            scope, measure = getattr(value, "scope", None), getattr(value, "measure", "")
            return Indicator(key, label, unit, value, records, kind, scope, measure)
    raise KeyError(key)


INDICATORS: dict[str, Indicator] = {
    i.key: i
    for i in (
        _ind("activities", "活动场次", "场"),
        _ind("activities_target", "活动场次目标（按时间折算）", "场", "target"),
        _ind("person_visits", "参与人次", "人次", "sum"),
        _ind("population", "常住人口", "人", "sum"),
        _ind("visits_per_resident", "人均参与次数", "次", "ratio"),
        _ind("visits_target", "参与人次目标（按时间折算）", "人次", "target"),
        _ind("special_group_activities", "特殊群体活动场次", "场"),
        _ind("special_group_visits", "特殊群体活动参与人次", "人次", "sum"),
        _ind("mobile_activities", "流动服务场次", "场"),
        _ind("mobile_visits", "流动服务参与人次", "人次", "sum"),
        _ind("online_activities", "线上活动场次", "场"),
        _ind("online_visits", "线上活动参与人次", "人次", "sum"),
        _ind("art_activities", "组织文艺活动次数", "次"),
        _ind("art_activity_visits", "组织文艺活动参加人次", "人次", "sum"),
        _ind("exhibitions", "举办展览个数", "个"),
        _ind("exhibition_visits", "展览参观人次", "人次", "sum"),
        _ind("lectures", "组织公益性讲座次数", "次"),
        _ind("lecture_visits", "公益性讲座参加人次", "人次", "sum"),
        _ind("training_classes", "举办训练班班次", "班次"),
        _ind("training_sessions", "培训课次", "次"),
        _ind("trainee_visits", "培训签到人次", "人次", "sum"),
        _ind("attendance_rate", "培训出勤率", "%", "ratio"),
        _ind("completers", "训练班结业人次", "人次", "sum"),
        _ind("volunteers_active", "文化志愿者人数", "人"),
        _ind("volunteers_serving", "本期服务的志愿者", "人"),
        _ind("volunteer_hours_verified", "志愿服务时长（已审核）", "小时", "sum"),
        _ind("new_star_levels", "新晋星级志愿者", "人"),
        _ind("amateur_teams", "业余文艺团队", "个"),
        _ind("full_time_staff", "年末从业人员", "人"),
    )
}


def __getattr__(name: str) -> Any:
    """Each indicator's value and records functions by name (``indicators.activities``,
    ``indicators.completers_records`` …), as before the split into areas."""
    key = name.removesuffix("_records")
    if key in INDICATORS:
        return INDICATORS[key].records if name.endswith("_records") else INDICATORS[key].value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def compute(
    conn: Any,
    stations: Stations,
    period: Period,
    keys: Iterable[str] | None = None,
    *,
    by_station: bool = False,
) -> dict[str, Any]:
    """Several indicators at once: ``{key: value}`` (or ``{key: {station: value}}``)."""
    return {
        k: INDICATORS[k].value(conn, stations, period, by_station=by_station)
        for k in (keys or INDICATORS)
    }


def records(conn: Any, key: str, stations: Stations, period: Period) -> list[Record]:
    """The records behind indicator ``key``. :raises KeyError: for an unknown key."""
    return INDICATORS[key].records(conn, stations, period)


def monthly(
    conn: Any,
    stations: Stations,
    year: int,
    keys: Sequence[str],
    *,
    as_of: Any = None,
) -> list[dict[str, Any]]:
    """Month-by-month values of some indicators for a year: twelve ``{"month": m, key: value}``
    (each month computed by the same functions, so the months of a count add up to the year)."""
    as_of = as_of or dt.date.today()
    return [
        {"month": m, **compute(conn, stations, Period(year, m, as_of), keys)} for m in range(1, 13)
    ]
