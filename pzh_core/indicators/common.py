"""What every indicator shares: the record behind a figure, totals over stations, the plan's
targets and the completion rule."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from pzh_core.domain import refdata
from pzh_core.domain import training as training_rules
from pzh_core.period import Period
from pzh_core.queries import Db, Stations, station_ids

Number = int | float | None
Value = Callable[..., Any]  # (conn, stations, period, *, by_station=False)
Records = Callable[[Any, Stations, Period], list["Record"]]


@dataclass(frozen=True)
class Record:
    """One row behind a figure, in a shape every list and sheet can show."""

    # activities | sessions | attendance | classes | volunteers | service_records | stations
    table: str
    id: str
    station_id: str
    date: str
    title: str
    amount: float  # what this row adds to the figure (1 for a count, the attendance, the hours …)
    detail: str = ""


TABLE_LABELS = {
    "activities": "活动",
    "sessions": "培训课次",
    "attendance": "签到",
    "classes": "培训班",
    "participants": "培训学员",
    "volunteers": "志愿者",
    "service_records": "服务记录",
    "stations": "文化站",
    "annual_facts": "年度基本情况",
    "art_teams": "业余文艺团队",
}


def per_station(stations: Stations, found: dict[str, Any], default: Any = 0) -> dict[str, Any]:
    """``found`` with every station of ``stations`` (``default`` where nothing was found)."""
    return {sid: found.get(sid, default) for sid in station_ids(stations)}


def total(per: dict[str, Number], by_station: bool) -> Any:
    """The figure: ``{station: value}`` when ``by_station``, else the sum over stations."""
    if by_station:
        return per
    return sum(v for v in per.values() if v is not None)


def counted(
    query: Callable[[Db, Stations, Period], dict[str, Any]], default: Any = 0
) -> Callable[..., Any]:
    """A value function from a per-station query of :mod:`pzh_core.queries`."""

    def value(conn: Any, stations: Stations, period: Period, *, by_station: bool = False) -> Any:
        found = query(Db.of(conn), stations, period)
        return total(per_station(stations, found, default), by_station)

    value.__doc__ = query.__doc__
    return value


@cache
def plan_targets() -> dict[str, float]:
    return dict(refdata.load("plan_targets"))


def is_completer(attended: int, held: int, share: float | None) -> bool:
    """The training area's completion rule (:func:`pzh_core.domain.training.completed`), with a
    stored share of 0 (never set) read as the default 0.8."""
    return training_rules.completed(
        attended, held, share or training_rules.DEFAULT_COMPLETION_SHARE
    )
