"""Activity figures (counts and person-visits by scope), the station profile's figures, the
plan's targets and the service-standard checklist."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pzh_core.domain import refdata
from pzh_core.indicators.common import Record, per_station, plan_targets, total
from pzh_core.period import Period
from pzh_core.queries import Db, Stations, station_ids
from pzh_core.queries import activities as q
from pzh_core.queries import annual as annual_q
from pzh_core.queries.activities import ALL, ActivityScope

# Kinds the annual return counts on their own rows (训练班, 展览, 讲座); which of the others
# are 文艺活动 is the city's definition file's (art_scope).
SEPARATE_KINDS = ("training", "exhibition", "lecture")


def count_activities(
    conn: Any, stations: Stations, period: Period, scope: ActivityScope = ALL, *, by_station=False
) -> Any:
    """Number of activities in ``scope`` held in the period."""
    found = q.count_by_station(Db.of(conn), scope, stations, period)
    return total(per_station(stations, found), by_station)


def sum_attendance(
    conn: Any, stations: Stations, period: Period, scope: ActivityScope = ALL, *, by_station=False
) -> Any:
    """Person-visits (sum of the attendance counts) of the activities in ``scope`` in the period."""
    found = q.attendance_by_station(Db.of(conn), scope, stations, period)
    return total(per_station(stations, found), by_station)


def activity_records(
    conn: Any,
    stations: Stations,
    period: Period,
    scope: ActivityScope = ALL,
    *,
    amount: str = "count",
) -> list[Record]:
    """The activities behind a count (``amount="count"``) or a person-visits figure
    (``"attendance"``)."""
    kinds = refdata.labels("activity_kinds")
    modes = refdata.labels("delivery_modes")
    groups = refdata.labels("target_groups")
    out = []
    for r in q.activity_rows(Db.of(conn), scope, stations, period):
        tg = "、".join(groups.get(g, g) for g in json.loads(r["target_groups"] or "[]"))
        kind = kinds.get(r["kind"], r["kind"])
        mode = modes.get(r["delivery"], r["delivery"])
        detail = f"{kind}｜{mode}｜{r['place']}｜参与{r['attendance']}人次"
        if tg:
            detail += f"｜{tg}"
        value = 1 if amount == "count" else r["attendance"]
        out.append(
            Record("activities", r["id"], r["station_id"], r["date"], r["title"], value, detail)
        )
    return out


def activity_amounts(
    conn: Any, stations: Stations, period: Period, scope: ActivityScope, measure: str
) -> list[tuple[str, int]]:
    """``(activity id, what it adds)`` for the activities a scope counts: the records of an
    activity figure as bare ids (read from the report index; see :func:`activity_records`)."""
    return q.activity_amounts(Db.of(conn), scope, stations, period, measure)


def activity_rows(
    conn: Any, stations: Stations, period: Period, scope: ActivityScope = ALL
) -> list[dict[str, Any]]:
    """The activities :func:`activities` counts, with their key facts (codes, not labels)."""
    rows = q.activity_rows(Db.of(conn), scope, stations, period)
    for r in rows:
        r["target_groups"] = json.loads(r["target_groups"] or "[]")
    return rows


def resolve_scope(scope: Any, conn: Any) -> ActivityScope:
    """A figure's activity scope: fixed, or read from the connection (the city's definition)."""
    return scope if isinstance(scope, ActivityScope) else scope(conn)


def _activity_pair(
    scope: ActivityScope | Callable[[Any], ActivityScope], doc_count: str, doc_visits: str
) -> tuple[Callable, Callable, Callable, Callable]:
    def count(conn: Any, stations: Stations, period: Period, *, by_station: bool = False) -> Any:
        return count_activities(
            conn, stations, period, resolve_scope(scope, conn), by_station=by_station
        )

    def visits(conn: Any, stations: Stations, period: Period, *, by_station: bool = False) -> Any:
        return sum_attendance(
            conn, stations, period, resolve_scope(scope, conn), by_station=by_station
        )

    def count_records(conn: Any, stations: Stations, period: Period) -> list[Record]:
        return activity_records(conn, stations, period, resolve_scope(scope, conn))

    def visit_records(conn: Any, stations: Stations, period: Period) -> list[Record]:
        return activity_records(
            conn, stations, period, resolve_scope(scope, conn), amount="attendance"
        )

    count.__doc__, visits.__doc__ = doc_count, doc_visits
    for fn, measure in ((count, "count"), (visits, "attendance")):
        fn.scope, fn.measure = scope, measure  # type: ignore[attr-defined]
    return count, visits, count_records, visit_records


activities, person_visits, activities_records, person_visits_records = _activity_pair(
    ALL, "Activities held (活动场次).", "Person-visits of all activities (参与人次)."
)
(
    special_group_activities,
    special_group_visits,
    special_group_activities_records,
    special_group_visits_records,
) = _activity_pair(
    ActivityScope(special=True),
    "Activities for special groups.",
    "Person-visits of activities for special groups.",
)
mobile_activities, mobile_visits, mobile_activities_records, mobile_visits_records = _activity_pair(
    ActivityScope(delivery="mobile"),
    "Mobile (流动) activities.",
    "Person-visits of mobile activities.",
)
online_activities, online_visits, online_activities_records, online_visits_records = _activity_pair(
    ActivityScope(delivery="online"),
    "Online (线上) activities.",
    "Person-visits of online activities.",
)


def art_scope(conn: Any) -> ActivityScope:
    """组织文艺活动: the kinds the city's definition file lists (issue 13)."""
    from pzh_core import definitions

    return ActivityScope(kinds=definitions.of(conn).art_activity_kinds)


art_activities, art_activity_visits, art_activities_records, art_activity_visits_records = (
    _activity_pair(art_scope, "组织文艺活动次数.", "组织文艺活动参加人次.")
)
exhibitions, exhibition_visits, exhibitions_records, exhibition_visits_records = _activity_pair(
    ActivityScope(kinds=("exhibition",)), "举办展览个数.", "展览参观人次."
)
lectures, lecture_visits, lectures_records, lecture_visits_records = _activity_pair(
    ActivityScope(kinds=("lecture",)), "组织公益性讲座次数.", "公益性讲座参加人次."
)


# -- the station's annual facts and team registry (issue 13) -----------------------------------
def _facts_field(name: str, detail: str) -> tuple[Callable, Callable]:
    """A figure of the year's annual facts (年度基本情况): a station without facts for the
    period's year has 0 here (and "—" on the return)."""

    def value(conn: Any, stations: Stations, period: Period, *, by_station: bool = False) -> Any:
        facts = annual_q.facts_rows(conn, stations, period.year)
        found = {sid: row[name] for sid, row in facts.items()}
        return total(per_station(stations, found), by_station)

    def records(conn: Any, stations: Stations, period: Period) -> list[Record]:
        facts = annual_q.facts_rows(conn, stations, period.year)
        return [
            Record(
                "annual_facts",
                row["id"],
                sid,
                str(period.year),
                f"{period.year}年度基本情况",
                row[name],
                detail.format(**row),
            )
            for sid, row in sorted(facts.items())
        ]

    return value, records


population, population_records = _facts_field("population", "常住人口，来源：{population_source}")
full_time_staff, full_time_staff_records = _facts_field("staff_total", "年末从业人员")


def amateur_teams(
    conn: Any, stations: Stations, period: Period, *, by_station: bool = False
) -> Any:
    """Amateur art teams of the registry existing at the period's cutoff."""
    found: dict[str, int] = {}
    for t in annual_q.team_rows(conn, stations, period):
        found[t["station_id"]] = found.get(t["station_id"], 0) + 1
    return total(per_station(stations, found), by_station)


def amateur_teams_records(conn: Any, stations: Stations, period: Period) -> list[Record]:
    return [
        Record("art_teams", t["id"], t["station_id"], t["founded"], t["name"], 1, "业余文艺团队")
        for t in annual_q.team_rows(conn, stations, period)
    ]


def visits_per_resident(
    conn: Any, stations: Stations, period: Period, *, by_station: bool = False
) -> Any:
    """Person-visits over the population (None when no population is entered). Over several
    stations: the visits of the stations *with* a population over their population — a station
    without one adds nothing to either (issue 13)."""
    visits = person_visits(conn, stations, period, by_station=True)
    pop = population(conn, stations, period, by_station=True)
    return per_resident(visits, pop, by_station=by_station)


def per_resident(visits: dict[str, Any], pop: dict[str, Any], *, by_station: bool) -> Any:
    """:func:`visits_per_resident` from its parts, per station: person-visits and population."""
    if by_station:
        return {sid: (visits[sid] / pop[sid] if pop.get(sid) else None) for sid in visits}
    people = sum(pop.values())
    counted = sum(v for sid, v in visits.items() if pop.get(sid))
    return counted / people if people else None


visits_per_resident_records = person_visits_records


def activities_target(
    conn: Any, stations: Stations, period: Period, *, by_station: bool = False
) -> Any:
    """The plan's activities per station per year, pro-rated for the share of the period gone."""
    per = plan_targets()["activities_per_station_per_year"] * period.share_of_year_gone
    targets = {sid: per for sid in station_ids(stations)}
    return targets if by_station else per * len(targets)


def visits_target(
    conn: Any, stations: Stations, period: Period, *, by_station: bool = False
) -> Any:
    """Person-visits due: the plan's visits per resident × population, pro-rated."""
    pop = population(conn, stations, period, by_station=True)
    return visits_due(pop, period, by_station=by_station)


def visits_due(pop: dict[str, Any], period: Period, *, by_station: bool) -> Any:
    """:func:`visits_target` from the stations' population."""
    per = plan_targets()["visits_per_resident_per_year"] * period.share_of_year_gone
    targets = {sid: per * p for sid, p in pop.items()}
    return targets if by_station else sum(targets.values())


# -- service-standard checklist ------------------------------------------------------------------
def standard_scope(item: dict[str, Any]) -> ActivityScope:
    """The activities an item of resources/refdata/service_standards.json counts."""
    return ActivityScope(
        kinds=tuple(item.get("kinds", ())),
        delivery=item.get("delivery", ""),
        special=bool(item.get("special")),
    )


def checklist(conn: Any, stations: Stations, period: Period) -> list[dict[str, Any]]:
    """Each yearly minimum of the service standard with what was done in the period:
    ``{code, label, min, count, done, due}`` (``due`` = how many are still missing). With several
    stations the minimum is per station, so it is multiplied by their number."""
    n = len(station_ids(stations))
    out = []
    for item in refdata.load("service_standards"):
        count = count_activities(conn, stations, period, standard_scope(item))
        minimum = int(item["min"]) * n
        out.append(
            {
                "code": item["code"],
                "label": item["label"],
                "min": minimum,
                "count": count,
                "done": count >= minimum,
                "due": max(0, minimum - count),
            }
        )
    return out


def checklist_records(conn: Any, stations: Stations, period: Period, code: str) -> list[Record]:
    item = next(i for i in refdata.load("service_standards") if i["code"] == code)
    return activity_records(conn, stations, period, standard_scope(item))
