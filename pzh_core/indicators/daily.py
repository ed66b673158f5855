"""The figures that add up day by day, and what each record adds on which day
(:mod:`pzh_core.queries.daily`, the same conditions as the figures themselves).

The city server keeps these sums per station, day, month and year, so its overview reads
them instead of every record (:mod:`sync.server.db.aggregates`). A *flow* counts a record in
the period its day falls in: the sum of its days from the period's start to its cutoff is the
figure. A *stock* (``volunteers_active``) counts every day up to the cutoff. A *year* figure
(``population``, from the year's annual facts) is the year's whatever the cutoff.
``volunteers_serving`` is a flow for year periods only (a volunteer on the day of their first
service in the year).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pzh_core.indicators import INDICATORS
from pzh_core.indicators.activity_figures import resolve_scope
from pzh_core.indicators.training_figures import ONE_OFF
from pzh_core.period import Period
from pzh_core.queries import Db, Stations
from pzh_core.queries import daily as q
from pzh_core.queries.activities import ActivityScope
from pzh_core.queries.daily import Days

# A period's as-of day far enough ahead that every dated record counts on its own day
# (the server keeps future-dated sessions on their day; a reader stops at its cutoff).
FAR = dt.date(2200, 12, 31)

ACTIVITY_TABLES = ("activities",)
SESSION_TABLES = ("sessions", "classes")  # a held session: its row and its class's
TRAINING_TABLES = (*SESSION_TABLES, "attendance", "people")
VOLUNTEER_TABLES = ("service_records", "volunteers", "people")
# The columns the figures below read of each table (their queries' conditions, joins and
# amounts): a write that changes none of them on a row that was there moves no figure; a new
# person who is not deleted neither (a mark or volunteer of a person not held counts as live).
# A table not listed (activities, annual facts): every write counts.
READS = {
    "sessions": ("class_id", "date", "deleted", "cancelled"),
    "classes": ("deleted",),
    "attendance": ("session_id", "person_id", "mark", "deleted"),
    "people": ("deleted",),
    "volunteers": ("person_id", "status", "join_date", "deleted"),
    "service_records": ("volunteer_id", "date", "hours", "status", "deleted"),
}
OnDays = Callable[[Any, Stations, Period, Sequence[str]], Days]


@dataclass(frozen=True)
class Daily:
    key: str  # the indicator (pzh_core.indicators.INDICATORS)
    days: Callable[[Any, Stations, Period], Days]
    tables: tuple[str, ...]  # the synced tables whose rows move it
    kind: str = "flow"  # flow | stock | year
    integer: bool = True
    monthly: bool = True  # a month's days depend on that month's records alone
    # The activities (scope) and what each adds on its own day (measure: count|attendance), for
    # a figure whose days are that sum of activities, each counted by its own columns alone
    # (plus parts that read no activity): a NEW activity then moves its own day by exactly
    # that, and the server adds it instead of recomputing the month (``aggregates.add_new``).
    activity_part: Callable[[Any], tuple[ActivityScope, str]] | None = None
    # For a flow whose day depends on that day's records alone (and their parents' rows: a
    # session's class, a mark's person, a service's volunteer): the days of a period, some
    # days alone (``on_days(conn, stations, period, days)``, the same value each), so a write
    # recomputes its days instead of its months.
    on_days: OnDays | None = None
    # A class counts on the day of its first held session: a write to any session of a class
    # (or to the class) may move that day, so every day of its sessions is recomputed.
    class_start: bool = False

    @property
    def stock(self) -> bool:
        return self.kind == "stock"


def _activity(key: str) -> Daily:
    ind = INDICATORS[key]

    def part(conn: Any) -> tuple[ActivityScope, str]:
        return resolve_scope(ind.scope, conn), ind.measure

    def days(
        conn: Any, stations: Stations, period: Period, on: Sequence[str] | None = None
    ) -> Days:
        scope, measure = part(conn)
        return q.activity_days(Db.of(conn), scope, stations, period, measure, on)

    return Daily(key, days, ACTIVITY_TABLES, activity_part=part, on_days=days)


def _training_classes(
    conn: Any, stations: Stations, period: Period, on: Sequence[str] | None = None
) -> Days:
    """举办训练班班次: the one-off 培训 on their day, each class on the day of its first held
    session (``training_figures.training_classes``); ``on``: those days alone."""
    scope, measure = _one_off(conn)
    out = dict(q.activity_days(Db.of(conn), scope, stations, period, measure, on))
    for key, n in q.class_start_days(Db.of(conn), stations, period, on).items():  # no activity
        out[key] = out.get(key, 0) + n
    return out


def _one_off(conn: Any) -> tuple[ActivityScope, str]:
    """举办训练班班次's part of activities: the one-off 培训, 1 each (the classes' part reads
    sessions, not activities)."""
    return ONE_OFF, "count"


def _of(fn: Callable[[Db, Stations, Period], Days]) -> Callable[[Any, Stations, Period], Days]:
    return lambda conn, stations, period: fn(Db.of(conn), stations, period)


def _on(fn: Callable[..., Days]) -> OnDays:
    return lambda conn, stations, period, days: fn(Db.of(conn), stations, period, days)


DAILY: dict[str, Daily] = {
    d.key: d
    for d in (
        _activity("activities"),
        _activity("person_visits"),
        _activity("special_group_activities"),
        _activity("special_group_visits"),
        Daily(
            "training_classes",
            _training_classes,
            (*ACTIVITY_TABLES, *SESSION_TABLES),  # a class's first held session: no mark
            activity_part=_one_off,
            on_days=_training_classes,
            class_start=True,
        ),
        Daily(
            "training_sessions",
            _of(q.session_days),
            SESSION_TABLES,
            on_days=_on(q.session_days),
        ),
        Daily("trainee_visits", _of(q.visit_days), TRAINING_TABLES, on_days=_on(q.visit_days)),
        Daily("volunteers_active", _of(q.joined_days), ("volunteers", "people"), kind="stock"),
        Daily("volunteers_serving", _of(q.serving_days), VOLUNTEER_TABLES, monthly=False),
        Daily(
            "volunteer_hours_verified",
            _of(q.hours_days),
            VOLUNTEER_TABLES,
            integer=False,
            on_days=_on(q.hours_days),
        ),
        Daily("population", _of(q.population_days), ("annual_facts",), kind="year", monthly=False),
    )
}


def year_days(conn: Any, key: str, stations: Stations, year: int) -> Days:
    """What each day of ``year`` adds to ``key`` (a flow or a year figure), future-dated records
    included."""
    return DAILY[key].days(conn, stations, Period(year, None, FAR))


def month_days(conn: Any, key: str, stations: Stations, year: int, month: int) -> Days:
    """What each day of one month adds to ``key`` (a flow whose days are ``monthly``)."""
    return DAILY[key].days(conn, stations, Period(year, month, FAR))


def stock_days(conn: Any, key: str, stations: Stations) -> Days:
    """What each day adds to the stock ``key``, over all time (an unknown day is ``''``)."""
    return DAILY[key].days(conn, stations, Period(FAR.year, None, FAR))
