"""Every figure of the reports, defined once (see docs/indicators.md for the definitions in words).

The desktop app (overview, annual and monthly reports, ``report summary --json``) and the city
server's web pages call these same functions. They take:

- ``conn``: a sqlite3 connection whose synced tables have the client's names and columns
  (``activities``, ``classes``, ``sessions``, ``attendance``, ``enrollments``, ``people``,
  ``volunteers``, ``service_records``, ``stations``; the server's replica has the same);
- ``stations``: the station ids to count (one on the desktop, many on the server);
- ``period``: a :class:`~pzh_core.period.Period` (year, optional month, "as of" day).

Rules every figure shares:

- tombstoned rows (``deleted = 1``) never count, nor rows hanging off a tombstoned parent
  (the sessions of a deleted class, the marks of a deleted session, the hours of a deleted volunteer);
- a record counts in the period of its date (an activity in the month it started), and only when
  that date is on or before the period's cutoff (the earlier of its last day and ``as_of``).

Each indicator has a value function ``f(conn, stations, period, *, by_station=False)`` (one SQL
query, grouped by station; the total is the sum over stations) and a records function listing
the rows behind the figure (for the overview's drill-down and the annual report's second sheet).
:data:`INDICATORS` names them all.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from pzh_core.domain import refdata
from pzh_core.domain import training as training_rules
from pzh_core.domain.volunteer import new_level_reached, star_level
from pzh_core.period import Period

Stations = Collection[str]
Number = int | float | None

ATTENDED_MARKS = tuple(sorted(training_rules.ATTENDED))  # present, late: a trainee-visit

# The annual report's 文艺活动 are all activities except those it counts on their own rows
# (训练班, 展览, 讲座): performances, mass sports, reading, heritage, mobile and digital services, other.
SEPARATE_KINDS = ("training", "exhibition", "lecture")


# -- small helpers ----------------------------------------------------------------------------
def _rows(conn: sqlite3.Connection, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    cur = conn.cursor()
    cur.row_factory = sqlite3.Row  # whatever the caller's connection uses
    return [dict(r) for r in cur.execute(sql, list(params))]


def _ids(stations: Stations) -> list[str]:
    return sorted({s for s in stations if s})


def _in(column: str, values: Sequence[Any]) -> str:
    return f"{column} IN ({','.join('?' * len(values))})" if values else "0"


def _total(per_station: dict[str, Number], by_station: bool) -> Any:
    if by_station:
        return per_station
    return sum(v for v in per_station.values() if v is not None)


def _grouped(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> dict[str, Any]:
    """Run ``SELECT station_id, value ... GROUP BY station_id`` into ``{station: value}``."""
    cur = conn.cursor()
    return {sid: (value or 0) for sid, value in cur.execute(sql, list(params))}


def _fill(stations: list[str], found: dict[str, Any], default: Any = 0) -> dict[str, Any]:
    return {sid: found.get(sid, default) for sid in stations}


@cache
def special_group_codes() -> tuple[str, ...]:
    """The target-group codes the plan counts as special groups (refdata, not written here)."""
    return tuple(sorted(refdata.special_groups()))


@cache
def plan_targets() -> dict[str, float]:
    return dict(refdata.load("plan_targets"))


def is_completer(attended: int, held: int, share: float | None) -> bool:
    """The training area's completion rule (:func:`pzh_core.domain.training.completed`), with a
    stored share of 0 (never set) read as the default 0.8."""
    return training_rules.completed(
        attended, held, share or training_rules.DEFAULT_COMPLETION_SHARE
    )


# -- records behind a figure ------------------------------------------------------------------
@dataclass(frozen=True)
class Record:
    """One row behind a figure, in a shape every list and sheet can show."""

    table: str  # activities | sessions | attendance | classes | volunteers | service_records | stations
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
}


# -- activities ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ActivityScope:
    """Which activities a figure counts (an empty field means "any")."""

    kinds: tuple[str, ...] = ()
    exclude_kinds: tuple[str, ...] = ()
    delivery: str = ""
    special: bool = False  # at least one target group is a special group


ALL = ActivityScope()


def activity_where(
    scope: ActivityScope, stations: Stations, period: Period
) -> tuple[str, list[Any]]:
    """The WHERE clause (over ``activities a``) of the activities a scope counts in a period."""
    ids = _ids(stations)
    clauses = ["a.deleted = 0", _in("a.station_id", ids), "a.date >= ?", "a.date <= ?"]
    params: list[Any] = [*ids, period.start, period.cutoff]
    if scope.kinds:
        clauses.append(_in("a.kind", scope.kinds))
        params += scope.kinds
    if scope.exclude_kinds:
        clauses.append("NOT " + _in("a.kind", scope.exclude_kinds))
        params += scope.exclude_kinds
    if scope.delivery:
        clauses.append("a.delivery = ?")
        params.append(scope.delivery)
    if scope.special:
        codes = special_group_codes()
        clauses.append(
            f"EXISTS (SELECT 1 FROM json_each(a.target_groups) WHERE {_in('value', codes)})"
        )
        params += codes
    return " AND ".join(clauses), params


def count_activities(
    conn: sqlite3.Connection,
    stations: Stations,
    period: Period,
    scope: ActivityScope = ALL,
    *,
    by_station: bool = False,
) -> Any:
    """Number of activities in ``scope`` held in the period."""
    where, params = activity_where(scope, stations, period)
    found = _grouped(
        conn,
        f"SELECT a.station_id, COUNT(*) FROM activities a WHERE {where} GROUP BY a.station_id",
        params,
    )
    return _total(_fill(_ids(stations), found), by_station)


def sum_attendance(
    conn: sqlite3.Connection,
    stations: Stations,
    period: Period,
    scope: ActivityScope = ALL,
    *,
    by_station: bool = False,
) -> Any:
    """Person-visits (sum of the attendance counts) of the activities in ``scope`` in the period."""
    where, params = activity_where(scope, stations, period)
    found = _grouped(
        conn,
        f"SELECT a.station_id, SUM(a.attendance) FROM activities a WHERE {where} GROUP BY a.station_id",
        params,
    )
    return _total(_fill(_ids(stations), found), by_station)


def activity_records(
    conn: sqlite3.Connection,
    stations: Stations,
    period: Period,
    scope: ActivityScope = ALL,
    *,
    amount: str = "count",
) -> list[Record]:
    """The activities behind a count (``amount="count"``) or a person-visits figure (``"attendance"``)."""
    where, params = activity_where(scope, stations, period)
    kinds = refdata.labels("activity_kinds")
    modes = refdata.labels("delivery_modes")
    groups = refdata.labels("target_groups")
    out = []
    for r in _rows(
        conn,
        f"SELECT a.id, a.station_id, a.date, a.title, a.kind, a.delivery, a.place, a.attendance, a.target_groups FROM activities a WHERE {where} ORDER BY a.date, a.start_time, a.id",
        params,
    ):
        tg = "、".join(groups.get(g, g) for g in json.loads(r["target_groups"] or "[]"))
        detail = f"{kinds.get(r['kind'], r['kind'])}｜{modes.get(r['delivery'], r['delivery'])}｜{r['place']}｜参与{r['attendance']}人次"
        if tg:
            detail += f"｜{tg}"
        out.append(
            Record(
                "activities",
                r["id"],
                r["station_id"],
                r["date"],
                r["title"],
                1 if amount == "count" else r["attendance"],
                detail,
            )
        )
    return out


def activity_amounts(
    conn: sqlite3.Connection, stations: Stations, period: Period, scope: ActivityScope, measure: str
) -> list[tuple[str, int]]:
    """``(activity id, what it adds)`` for the activities a scope counts: the records of an
    activity figure as bare ids (read from the report index; see :func:`activity_records`)."""
    where, params = activity_where(scope, stations, period)
    value = "1" if measure == "count" else "a.attendance"
    return (
        conn.cursor()
        .execute(
            f"SELECT a.id, {value} FROM activities a WHERE {where} ORDER BY a.date, a.id", params
        )
        .fetchall()
    )


def _activity_pair(
    scope: ActivityScope, doc_count: str, doc_visits: str
) -> tuple[Callable, Callable, Callable, Callable]:
    def count(
        conn: sqlite3.Connection, stations: Stations, period: Period, *, by_station: bool = False
    ) -> Any:
        return count_activities(conn, stations, period, scope, by_station=by_station)

    def visits(
        conn: sqlite3.Connection, stations: Stations, period: Period, *, by_station: bool = False
    ) -> Any:
        return sum_attendance(conn, stations, period, scope, by_station=by_station)

    def count_records(conn: sqlite3.Connection, stations: Stations, period: Period) -> list[Record]:
        return activity_records(conn, stations, period, scope)

    def visit_records(conn: sqlite3.Connection, stations: Stations, period: Period) -> list[Record]:
        return activity_records(conn, stations, period, scope, amount="attendance")

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
art_activities, art_activity_visits, art_activities_records, art_activity_visits_records = (
    _activity_pair(
        ActivityScope(exclude_kinds=SEPARATE_KINDS), "组织文艺活动次数.", "组织文艺活动参加人次."
    )
)
exhibitions, exhibition_visits, exhibitions_records, exhibition_visits_records = _activity_pair(
    ActivityScope(kinds=("exhibition",)), "举办展览个数.", "展览参观人次."
)
lectures, lecture_visits, lectures_records, lecture_visits_records = _activity_pair(
    ActivityScope(kinds=("lecture",)), "组织公益性讲座次数.", "公益性讲座参加人次."
)


# -- station profile figures --------------------------------------------------------------------
def _station_field(name: str) -> tuple[Callable, Callable]:
    def value(
        conn: sqlite3.Connection, stations: Stations, period: Period, *, by_station: bool = False
    ) -> Any:
        ids = _ids(stations)
        found = _grouped(
            conn, f"SELECT id, {name} FROM stations WHERE deleted = 0 AND {_in('id', ids)}", ids
        )
        return _total(_fill(ids, found), by_station)

    def records(conn: sqlite3.Connection, stations: Stations, period: Period) -> list[Record]:
        ids = _ids(stations)
        return [
            Record("stations", r["id"], r["id"], "", r["name"], r[name], "文化站信息中填写")
            for r in _rows(
                conn,
                f"SELECT id, name, {name} FROM stations WHERE deleted = 0 AND {_in('id', ids)} ORDER BY name",
                ids,
            )
        ]

    return value, records


population, population_records = _station_field("population")
amateur_teams, amateur_teams_records = _station_field("amateur_teams")
full_time_staff, full_time_staff_records = _station_field("full_time_staff")


def visits_per_resident(
    conn: sqlite3.Connection, stations: Stations, period: Period, *, by_station: bool = False
) -> Any:
    """Person-visits over the population served (None when no population is entered)."""
    visits = person_visits(conn, stations, period, by_station=True)
    pop = population(conn, stations, period, by_station=True)
    if by_station:
        return {sid: (visits[sid] / pop[sid] if pop[sid] else None) for sid in visits}
    total = sum(pop.values())
    return sum(visits.values()) / total if total else None


visits_per_resident_records = person_visits_records


def activities_target(
    conn: sqlite3.Connection, stations: Stations, period: Period, *, by_station: bool = False
) -> Any:
    """The plan's activities per station per year, pro-rated for the share of the period gone."""
    per = plan_targets()["activities_per_station_per_year"] * period.share_of_year_gone
    per_station = {sid: per for sid in _ids(stations)}
    return per_station if by_station else per * len(per_station)


def visits_target(
    conn: sqlite3.Connection, stations: Stations, period: Period, *, by_station: bool = False
) -> Any:
    """Person-visits due: the plan's visits per resident × population, pro-rated."""
    per = plan_targets()["visits_per_resident_per_year"] * period.share_of_year_gone
    pop = population(conn, stations, period, by_station=True)
    per_station = {sid: per * p for sid, p in pop.items()}
    return per_station if by_station else sum(per_station.values())


# -- training ----------------------------------------------------------------------------------
def held_sessions_where(stations: Stations, period: Period) -> tuple[str, list[Any]]:
    """WHERE (over ``sessions s JOIN classes c``) of the sessions held in the period: not
    cancelled, dated in the period up to its cutoff, session and class not deleted."""
    ids = _ids(stations)
    return (
        f"s.deleted = 0 AND s.cancelled = 0 AND c.deleted = 0 AND {_in('s.station_id', ids)}"
        " AND s.date >= ? AND s.date <= ?",
        [*ids, period.start, period.cutoff],
    )


_HELD = "FROM sessions s JOIN classes c ON c.id = s.class_id"
_MARKS = (
    "JOIN attendance t ON t.session_id = s.id AND t.deleted = 0"
    " LEFT JOIN people p ON p.id = t.person_id"
)
_LIVE_PERSON = "(p.id IS NULL OR p.deleted = 0)"


def training_classes(
    conn: sqlite3.Connection, stations: Stations, period: Period, *, by_station: bool = False
) -> Any:
    """Classes (培训班) with at least one session held in the period."""
    where, params = held_sessions_where(stations, period)
    found = _grouped(
        conn,
        f"SELECT s.station_id, COUNT(DISTINCT s.class_id) {_HELD} WHERE {where} GROUP BY s.station_id",
        params,
    )
    return _total(_fill(_ids(stations), found), by_station)


def training_classes_records(
    conn: sqlite3.Connection, stations: Stations, period: Period
) -> list[Record]:
    where, params = held_sessions_where(stations, period)
    return [
        Record(
            "classes",
            r["id"],
            r["station_id"],
            r["first"],
            r["name"],
            1,
            f"本期开课{r['n']}次（{r['first']}至{r['last']}）｜教师：{r['teacher']}",
        )
        for r in _rows(
            conn,
            f"SELECT c.id, c.station_id, c.name, c.teacher, MIN(s.date) AS first, MAX(s.date) AS last,"
            f" COUNT(*) AS n {_HELD} WHERE {where} GROUP BY c.id ORDER BY first, c.name",
            params,
        )
    ]


def training_sessions(
    conn: sqlite3.Connection, stations: Stations, period: Period, *, by_station: bool = False
) -> Any:
    """Sessions (课次) held in the period."""
    where, params = held_sessions_where(stations, period)
    found = _grouped(
        conn, f"SELECT s.station_id, COUNT(*) {_HELD} WHERE {where} GROUP BY s.station_id", params
    )
    return _total(_fill(_ids(stations), found), by_station)


def training_sessions_records(
    conn: sqlite3.Connection, stations: Stations, period: Period
) -> list[Record]:
    where, params = held_sessions_where(stations, period)
    return [
        Record(
            "sessions",
            r["id"],
            r["station_id"],
            r["date"],
            r["name"],
            1,
            f"{r['start_time']}-{r['end_time']}".strip("-"),
        )
        for r in _rows(
            conn,
            f"SELECT s.id, s.station_id, s.date, s.start_time, s.end_time, c.name {_HELD} WHERE {where}"
            " ORDER BY s.date, s.start_time, c.name",
            params,
        )
    ]


def _marks_sql(stations: Stations, period: Period, marks: Sequence[str]) -> tuple[str, list[Any]]:
    where, params = held_sessions_where(stations, period)
    return (
        f"{_HELD} {_MARKS} WHERE {where} AND {_in('t.mark', marks)} AND {_LIVE_PERSON}",
        [*params, *marks],
    )


def trainee_visits(
    conn: sqlite3.Connection, stations: Stations, period: Period, *, by_station: bool = False
) -> Any:
    """Trainee-visits (培训人次): present or late marks at the sessions held in the period."""
    body, params = _marks_sql(stations, period, ATTENDED_MARKS)
    found = _grouped(conn, f"SELECT s.station_id, COUNT(*) {body} GROUP BY s.station_id", params)
    return _total(_fill(_ids(stations), found), by_station)


def trainee_visits_records(
    conn: sqlite3.Connection, stations: Stations, period: Period
) -> list[Record]:
    """One record per (class, participant): ``amount`` = their trainee-visits in the period."""
    body, params = _marks_sql(stations, period, ATTENDED_MARKS)
    return [
        Record(
            "participants",
            f"{r['cid']}:{r['person_id']}",
            r["station_id"],
            r["first"],
            f"{r['cname']}：{r['pname'] or '（未知学员）'}",
            r["n"],
            f"本期出勤{r['n']}次（{r['first']}至{r['last']}）",
        )
        for r in _rows(
            conn,
            f"SELECT c.id AS cid, t.person_id, s.station_id, MIN(s.date) AS first, MAX(s.date) AS last,"
            f" c.name AS cname, p.name AS pname, COUNT(*) AS n {body} GROUP BY c.id, t.person_id ORDER BY c.name, p.name COLLATE pinyin",
            params,
        )
    ]


def _grid_ctes(stations: Stations, period: Period) -> tuple[str, list[Any]]:
    """``WITH held, roster``: the sessions held in the period and the rosters of their classes,
    as the training area's attendance grid sees them (roster: enrolments not deleted that are
    active, or dropped but with marks in the class; people not deleted)."""
    where, params = held_sessions_where(stations, period)
    return (
        f"""
    WITH held AS MATERIALIZED (
        SELECT s.id, s.class_id, s.station_id, s.date, c.name AS cname {_HELD} WHERE {where}
    ), roster AS MATERIALIZED (
        SELECT e.class_id, e.person_id, p.name AS pname FROM enrollments e JOIN people p ON p.id = e.person_id
        WHERE e.deleted = 0 AND p.deleted = 0 AND e.class_id IN (SELECT class_id FROM held)
          AND (e.active = 1 OR EXISTS (
              SELECT 1 FROM attendance a JOIN sessions s2 ON s2.id = a.session_id AND s2.deleted = 0
              WHERE a.class_id = e.class_id AND a.person_id = e.person_id AND a.deleted = 0 AND a.mark != ''))
    )""",
        params,
    )


def _grid_totals(
    conn: sqlite3.Connection, stations: Stations, period: Period, group: str
) -> dict[str, tuple[int, int]]:
    """``{group value: (attended cells, cells)}`` of the grid (held sessions × roster), grouped by
    ``h.station_id`` or ``h.class_id``."""
    ctes, params = _grid_ctes(stations, period)
    sql = f"""{ctes}
    SELECT g, SUM(att), SUM(n) FROM (
        SELECT {group} AS g, 0 AS att, COUNT(*) AS n FROM held h JOIN roster r ON r.class_id = h.class_id GROUP BY g
        UNION ALL
        SELECT {group} AS g, COUNT(*) AS att, 0 AS n FROM held h
        JOIN attendance t ON t.session_id = h.id AND t.deleted = 0 AND {_in("t.mark", ATTENDED_MARKS)}
        JOIN roster r ON r.class_id = h.class_id AND r.person_id = t.person_id GROUP BY g
    ) GROUP BY g"""
    return {g: (att, n) for g, att, n in conn.cursor().execute(sql, [*params, *ATTENDED_MARKS])}


def attendance_rate(
    conn: sqlite3.Connection, stations: Stations, period: Period, *, by_station: bool = False
) -> Any:
    """Attendance rate (出勤率), as the training area's attendance grid computes it: over the
    grid of held sessions × roster participants, the cells attended (present or late) over all
    cells (an unmarked, excused or absent cell counts as not attended). None when the grid is empty."""
    found = _grid_totals(conn, stations, period, "h.station_id")
    if by_station:
        return {
            sid: (found[sid][0] / found[sid][1] if sid in found and found[sid][1] else None)
            for sid in _ids(stations)
        }
    att = sum(a for a, _ in found.values())
    n = sum(n for _, n in found.values())
    return att / n if n else None


def attendance_rate_records(
    conn: sqlite3.Connection, stations: Stations, period: Period
) -> list[Record]:
    """Every cell of the grid; ``amount`` 1 when attended."""
    ctes, params = _grid_ctes(stations, period)
    marks = {"present": "出勤", "late": "迟到", "excused": "请假", "absent": "缺勤"}
    sql = f"""{ctes}
    SELECT h.id, h.station_id, h.date, h.cname, r.person_id, r.pname, t.mark FROM held h JOIN roster r ON r.class_id = h.class_id
    LEFT JOIN attendance t ON t.session_id = h.id AND t.person_id = r.person_id AND t.deleted = 0
    ORDER BY h.date, h.cname, r.pname COLLATE pinyin"""
    return [
        Record(
            "attendance",
            f"{r['id']}:{r['person_id']}",
            r["station_id"],
            r["date"],
            f"{r['cname']}：{r['pname']}",
            1 if r["mark"] in ATTENDED_MARKS else 0,
            marks.get(r["mark"] or "", "未签到"),
        )
        for r in _rows(conn, sql, params)
    ]


def _completer_rows(
    conn: sqlite3.Connection, stations: Stations, period: Period
) -> list[dict[str, Any]]:
    """Per (class, roster participant who attended): attended and held sessions, for the classes
    whose last session held by ``as_of`` falls in the period (so each class's completers count
    once, in one period). Roster as in :func:`_grid_ctes` (a participant who attended has
    marks, so a dropped one who attended is on it)."""
    where, params = held_sessions_where(stations, period)
    sql = f"""
    WITH cand AS MATERIALIZED (
        SELECT DISTINCT s.class_id {_HELD} WHERE {where}
    ), held AS MATERIALIZED (
        SELECT s.id, s.class_id, s.date FROM cand JOIN sessions s ON s.class_id = cand.class_id
        WHERE s.deleted = 0 AND s.cancelled = 0 AND s.date <= ?
    ), cls AS MATERIALIZED (
        SELECT class_id, COUNT(*) AS held, MAX(date) AS last FROM held GROUP BY class_id
        HAVING MAX(date) >= ? AND MAX(date) <= ?
    ), got AS (
        SELECT h.class_id, t.person_id, COUNT(*) AS attended
        FROM cls JOIN held h ON h.class_id = cls.class_id
        JOIN attendance t ON t.session_id = h.id AND t.deleted = 0 AND t.mark IN ('present', 'late')
        GROUP BY h.class_id, t.person_id
    )
    SELECT c.id AS class_id, c.station_id, c.name AS cname, c.completion_share AS share, cls.held, cls.last,
           got.person_id, p.name AS pname, got.attended
    FROM got JOIN cls ON cls.class_id = got.class_id JOIN classes c ON c.id = got.class_id
    JOIN people p ON p.id = got.person_id AND p.deleted = 0
    WHERE EXISTS (SELECT 1 FROM enrollments e WHERE e.class_id = got.class_id AND e.person_id = got.person_id AND e.deleted = 0)
    ORDER BY cls.last, c.name, p.name COLLATE pinyin
    """
    return _rows(conn, sql, [*params, period.as_of.isoformat(), period.start, period.cutoff])


def completers(
    conn: sqlite3.Connection, stations: Stations, period: Period, *, by_station: bool = False
) -> Any:
    """Completers (训练班结业人次): participants who attended at least the class's completion
    share of its held sessions, counted in the period of the class's last held session."""
    found: dict[str, int] = {}
    for r in _completer_rows(conn, stations, period):
        if is_completer(r["attended"], r["held"], r["share"]):
            found[r["station_id"]] = found.get(r["station_id"], 0) + 1
    return _total(_fill(_ids(stations), found), by_station)


def completers_records(
    conn: sqlite3.Connection, stations: Stations, period: Period
) -> list[Record]:
    out = []
    for r in _completer_rows(conn, stations, period):
        if is_completer(r["attended"], r["held"], r["share"]):
            share = r["share"] or training_rules.DEFAULT_COMPLETION_SHARE
            out.append(
                Record(
                    "participants",
                    f"{r['class_id']}:{r['person_id']}",
                    r["station_id"],
                    r["last"],
                    f"{r['cname']}：{r['pname']}",
                    1,
                    f"出勤{r['attended']}/{r['held']}次（结业要求{share:.0%}）",
                )
            )
    return out


# -- volunteers --------------------------------------------------------------------------------
def _active_volunteers_sql(stations: Stations, period: Period) -> tuple[str, list[Any]]:
    ids = _ids(stations)
    return (
        "FROM volunteers v LEFT JOIN people p ON p.id = v.person_id"
        f" WHERE v.deleted = 0 AND v.status = 'active' AND {_in('v.station_id', ids)}"
        " AND v.join_date <= ? AND (p.id IS NULL OR p.deleted = 0)",
        [*ids, period.cutoff],
    )


def volunteers_active(
    conn: sqlite3.Connection, stations: Stations, period: Period, *, by_station: bool = False
) -> Any:
    """Registered volunteers (文化志愿者人数) whose status is active and who joined by the cutoff
    (an empty join date counts as joined). The status is today's: the registry keeps no history."""
    body, params = _active_volunteers_sql(stations, period)
    found = _grouped(conn, f"SELECT v.station_id, COUNT(*) {body} GROUP BY v.station_id", params)
    return _total(_fill(_ids(stations), found), by_station)


def volunteers_active_records(
    conn: sqlite3.Connection, stations: Stations, period: Period
) -> list[Record]:
    body, params = _active_volunteers_sql(stations, period)
    return [
        Record(
            "volunteers",
            r["id"],
            r["station_id"],
            r["join_date"],
            r["name"] or "（未知）",
            1,
            f"编号{r['number']}｜{r['team']}".strip("｜"),
        )
        for r in _rows(
            conn,
            f"SELECT v.id, v.station_id, v.join_date, v.number, v.team, p.name {body} ORDER BY v.join_date, p.name COLLATE pinyin",
            params,
        )
    ]


_LIVE_VOLUNTEER = (
    "JOIN volunteers v ON v.id = g.volunteer_id AND v.deleted = 0 LEFT JOIN people p ON p.id = v.person_id"
    " WHERE (p.id IS NULL OR p.deleted = 0)"
)


def _verified_where(stations: Stations, period: Period) -> tuple[str, list[Any]]:
    """WHERE (over ``service_records r``) of the verified services dated in the period."""
    ids = _ids(stations)
    return (
        f"r.deleted = 0 AND r.status = 'verified' AND {_in('r.station_id', ids)} AND r.date >= ? AND r.date <= ?",
        [*ids, period.start, period.cutoff],
    )


def _verified_by_volunteer(stations: Stations, period: Period) -> tuple[str, list[Any]]:
    """Verified services of the period summed per volunteer (read from the report index alone),
    kept for volunteers that are not deleted (nor their person): ``g.station_id, g.volunteer_id,
    g.hours, g.n, g.first`` over ``g``, ``v`` and ``p``."""
    where, params = _verified_where(stations, period)
    return (
        "FROM (SELECT r.station_id, r.volunteer_id, SUM(r.hours) AS hours, COUNT(*) AS n, MIN(r.date) AS first"
        f" FROM service_records r WHERE {where} GROUP BY r.station_id, r.volunteer_id) g {_LIVE_VOLUNTEER}",
        params,
    )


def volunteer_hours_verified(
    conn: sqlite3.Connection, stations: Stations, period: Period, *, by_station: bool = False
) -> Any:
    """Verified service hours (服务时长) of services dated in the period (of volunteers not deleted)."""
    body, params = _verified_by_volunteer(stations, period)
    found = _grouped(
        conn, f"SELECT g.station_id, SUM(g.hours) {body} GROUP BY g.station_id", params
    )
    return _total(_fill(_ids(stations), found, 0.0), by_station)


def volunteer_hours_verified_records(
    conn: sqlite3.Connection, stations: Stations, period: Period
) -> list[Record]:
    """One record per volunteer: ``amount`` = their verified hours in the period."""
    body, params = _verified_by_volunteer(stations, period)
    return [
        Record(
            "volunteers",
            r["id"],
            r["station_id"],
            r["first"],
            r["name"] or "（未知）",
            r["hours"],
            f"本期已审核服务{r['n']}次，{r['hours']:g}小时",
        )
        for r in _rows(
            conn,
            f"SELECT v.id, g.station_id, g.first, g.n, g.hours, p.name {body} ORDER BY p.name COLLATE pinyin",
            params,
        )
    ]


def volunteers_serving(
    conn: sqlite3.Connection, stations: Stations, period: Period, *, by_station: bool = False
) -> Any:
    """Volunteers (not deleted) with at least one verified service in the period."""
    body, params = _verified_by_volunteer(stations, period)
    found = _grouped(conn, f"SELECT g.station_id, COUNT(*) {body} GROUP BY g.station_id", params)
    return _total(_fill(_ids(stations), found), by_station)


def volunteers_serving_records(
    conn: sqlite3.Connection, stations: Stations, period: Period
) -> list[Record]:
    body, params = _verified_by_volunteer(stations, period)
    return [
        Record(
            "volunteers",
            r["id"],
            r["station_id"],
            r["first"],
            r["name"] or "（未知）",
            1,
            f"本期服务{r['n']}次，{r['hours']:g}小时",
        )
        for r in _rows(
            conn,
            f"SELECT v.id, g.station_id, g.first, g.n, g.hours, p.name {body} ORDER BY p.name COLLATE pinyin",
            params,
        )
    ]


def _star_rows(
    conn: sqlite3.Connection, stations: Stations, period: Period
) -> list[dict[str, Any]]:
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
          AND r.volunteer_id IN (SELECT DISTINCT r.volunteer_id FROM service_records r WHERE {where})
        GROUP BY r.volunteer_id
    ) g {_LIVE_VOLUNTEER}
    ORDER BY p.name COLLATE pinyin
    """
    return _rows(conn, sql, [period.start, period.cutoff, *params])


def new_star_levels(
    conn: sqlite3.Connection, stations: Stations, period: Period, *, by_station: bool = False
) -> Any:
    """Volunteers who reached a higher star level in the period: their star level from all
    verified hours up to the cutoff is above the level from those before the period."""
    found: dict[str, int] = {}
    for r in _star_rows(conn, stations, period):
        if new_level_reached(r["before"], r["after"]):
            found[r["station_id"]] = found.get(r["station_id"], 0) + 1
    return _total(_fill(_ids(stations), found), by_station)


def new_star_levels_records(
    conn: sqlite3.Connection, stations: Stations, period: Period
) -> list[Record]:
    out = []
    for r in _star_rows(conn, stations, period):
        before, after = star_level(r["before"]), star_level(r["after"])
        if after > before:
            out.append(
                Record(
                    "volunteers",
                    r["id"],
                    r["station_id"],
                    r["last"],
                    r["name"] or "（未知）",
                    1,
                    f"{before}星→{after}星（累计{r['after']:g}小时）",
                )
            )
    return out


# -- the registry ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Indicator:
    key: str
    label: str  # Chinese, as shown
    unit: str  # Chinese unit
    value: Callable[..., Any]  # (conn, stations, period, *, by_station=False)
    records: Callable[[sqlite3.Connection, Stations, Period], list[Record]]
    kind: str = "count"  # count | sum | ratio | target (how it is shown and whether it adds up)
    scope: ActivityScope | None = None  # for activity figures: which activities they count
    measure: str = ""  # for activity figures: "count" (1 each) or "attendance"


def _ind(key: str, label: str, unit: str, kind: str = "count") -> Indicator:
    g = globals()
    records = g.get(f"{key}_records") or (lambda conn, stations, period: [])
    value = g[key]
    return Indicator(
        key,
        label,
        unit,
        value,
        records,
        kind,
        getattr(value, "scope", None),
        getattr(value, "measure", ""),
    )


INDICATORS: dict[str, Indicator] = {
    i.key: i
    for i in (
        _ind("activities", "活动场次", "场"),
        _ind("activities_target", "活动场次目标（按时间折算）", "场", "target"),
        _ind("person_visits", "参与人次", "人次", "sum"),
        _ind("population", "服务人口", "人", "sum"),
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
        _ind("trainee_visits", "培训人次", "人次", "sum"),
        _ind("attendance_rate", "培训出勤率", "%", "ratio"),
        _ind("completers", "训练班结业人次", "人次", "sum"),
        _ind("volunteers_active", "文化志愿者人数", "人"),
        _ind("volunteers_serving", "本期服务的志愿者", "人"),
        _ind("volunteer_hours_verified", "志愿服务时长（已审核）", "小时", "sum"),
        _ind("new_star_levels", "新晋星级志愿者", "人"),
        _ind("amateur_teams", "群众业余文艺团队", "个"),
        _ind("full_time_staff", "从业人员", "人"),
    )
}


def compute(
    conn: sqlite3.Connection,
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


def records(conn: sqlite3.Connection, key: str, stations: Stations, period: Period) -> list[Record]:
    """The records behind indicator ``key``. :raises KeyError: for an unknown key."""
    return INDICATORS[key].records(conn, stations, period)


def monthly(
    conn: sqlite3.Connection,
    stations: Stations,
    year: int,
    keys: Sequence[str],
    *,
    as_of: Any = None,
) -> list[dict[str, Any]]:
    """Month-by-month values of some indicators for a year: twelve ``{"month": m, key: value}``
    (each month computed by the same functions, so the months of a count add up to the year)."""
    as_of = as_of or dt.date.today()
    out = []
    for m in range(1, 13):
        p = Period(year, m, as_of)
        out.append({"month": m, **compute(conn, stations, p, keys)})
    return out


# -- service-standard checklist ------------------------------------------------------------------
def standard_scope(item: dict[str, Any]) -> ActivityScope:
    """The activities an item of resources/refdata/service_standards.json counts."""
    return ActivityScope(
        kinds=tuple(item.get("kinds", ())),
        delivery=item.get("delivery", ""),
        special=bool(item.get("special")),
    )


def checklist(conn: sqlite3.Connection, stations: Stations, period: Period) -> list[dict[str, Any]]:
    """Each yearly minimum of the service standard with what was done in the period:
    ``{code, label, min, count, done, due}`` (``due`` = how many are still missing). With several
    stations the minimum is per station, so it is multiplied by their number."""
    n = len(_ids(stations))
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


def checklist_records(
    conn: sqlite3.Connection, stations: Stations, period: Period, code: str
) -> list[Record]:
    item = next(i for i in refdata.load("service_standards") if i["code"] == code)
    return activity_records(conn, stations, period, standard_scope(item))


# -- breakdowns for the monthly report (same selections as the figures above) -------------------
def activity_rows(
    conn: sqlite3.Connection, stations: Stations, period: Period, scope: ActivityScope = ALL
) -> list[dict[str, Any]]:
    """The activities :func:`activities` counts, with their key facts (codes, not labels)."""
    where, params = activity_where(scope, stations, period)
    rows = _rows(
        conn,
        "SELECT a.id, a.station_id, a.date, a.start_time, a.end_time, a.title, a.kind, a.delivery, a.place,"
        f" a.organiser, a.attendance, a.target_groups, a.brand FROM activities a WHERE {where}"
        " ORDER BY a.date, a.start_time, a.id",
        params,
    )
    for r in rows:
        r["target_groups"] = json.loads(r["target_groups"] or "[]")
    return rows


def class_breakdown(
    conn: sqlite3.Connection, stations: Stations, period: Period
) -> list[dict[str, Any]]:
    """Per class with sessions held in the period: ``{id, name, teacher, sessions, trainee_visits,
    attendance_rate}`` (sessions and trainee-visits add up to the period's figures)."""
    where, params = held_sessions_where(stations, period)
    sessions = _rows(
        conn,
        f"SELECT c.id, c.name, c.teacher, COUNT(*) AS sessions {_HELD} WHERE {where} GROUP BY c.id ORDER BY c.name",
        params,
    )
    body, vparams = _marks_sql(stations, period, ATTENDED_MARKS)
    visits = dict(
        conn.cursor().execute(f"SELECT c.id, COUNT(*) {body} GROUP BY c.id", vparams).fetchall()
    )
    cells = _grid_totals(conn, stations, period, "h.class_id")
    for r in sessions:
        r["trainee_visits"] = visits.get(r["id"], 0)
        att, n = cells.get(r["id"], (0, 0))
        r["attendance_rate"] = att / n if n else None
    return sessions


def volunteer_breakdown(
    conn: sqlite3.Connection, stations: Stations, period: Period
) -> list[dict[str, Any]]:
    """Per volunteer with verified service in the period: ``{id, name, services, hours}``."""
    body, params = _verified_by_volunteer(stations, period)
    return _rows(
        conn,
        f"SELECT v.id, p.name, g.n AS services, g.hours {body} ORDER BY p.name COLLATE pinyin",
        params,
    )
