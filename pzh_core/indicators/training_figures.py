"""Training figures: classes and sessions held, trainee-visits, attendance rate, completers."""

from __future__ import annotations

from typing import Any

from pzh_core.domain import training as training_rules
from pzh_core.indicators.common import Record, counted, is_completer, per_station, total
from pzh_core.period import Period
from pzh_core.queries import Db, Stations, station_ids
from pzh_core.queries import activities as activity_q
from pzh_core.queries import annual as annual_q
from pzh_core.queries import training as q
from pzh_core.queries.activities import ActivityScope
from pzh_core.queries.training import ATTENDED_MARKS

MARK_LABELS = {"present": "出勤", "late": "迟到", "excused": "请假", "absent": "缺勤"}

ONE_OFF = ActivityScope(kinds=("training",))  # a one-off 培训 of the activity log


def training_classes(
    conn: Any, stations: Stations, period: Period, *, by_station: bool = False
) -> Any:
    """举办训练班班次: classes counted in the period in which they start (their first held
    session), so a class running December to February counts once; plus the one-off 培训 of
    the activity log, each a class of one session (issue 13)."""
    found = dict(activity_q.count_by_station(Db.of(conn), ONE_OFF, stations, period))
    for c in annual_q.started_classes(conn, stations, period):
        found[c["station_id"]] = found.get(c["station_id"], 0) + 1
    return total(per_station(stations, found), by_station)


training_sessions = counted(q.sessions_by_station)
training_sessions.__doc__ = "Sessions (课次) held in the period."
trainee_visits = counted(q.visits_by_station)
trainee_visits.__doc__ = (
    "Trainee-visits (培训人次): present or late marks at the sessions held in the period."
)


def training_classes_records(conn: Any, stations: Stations, period: Period) -> list[Record]:
    classes = [
        Record(
            "classes",
            r["id"],
            r["station_id"],
            r["first"],
            r["name"],
            1,
            f"首次开课{r['first']}｜学员{r['participants']}人｜教师：{r['teacher']}",
        )
        for r in annual_q.started_classes(conn, stations, period)
    ]
    one_off = [
        Record(
            "activities",
            r["id"],
            r["station_id"],
            r["date"],
            r["title"],
            1,
            f"一次性培训（计1班），参与{r['attendance']}人次",
        )
        for r in activity_q.activity_rows(Db.of(conn), ONE_OFF, stations, period)
    ]
    return classes + one_off


def training_sessions_records(conn: Any, stations: Stations, period: Period) -> list[Record]:
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
        for r in q.session_rows(Db.of(conn), stations, period)
    ]


def trainee_visits_records(conn: Any, stations: Stations, period: Period) -> list[Record]:
    """One record per (class, participant): ``amount`` = their trainee-visits in the period."""
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
        for r in q.visit_rows(Db.of(conn), stations, period)
    ]


def attendance_rate(
    conn: Any, stations: Stations, period: Period, *, by_station: bool = False
) -> Any:
    """Attendance rate (出勤率), as the training area's attendance grid computes it: over the
    grid of held sessions × roster participants, the cells attended (present or late) over all
    cells (an unmarked, excused or absent cell counts as not attended). None when the grid is
    empty."""
    found = q.grid_totals(Db.of(conn), stations, period)
    if by_station:
        return {
            sid: (found[sid][0] / found[sid][1] if sid in found and found[sid][1] else None)
            for sid in station_ids(stations)
        }
    att = sum(a for a, _ in found.values())
    n = sum(n for _, n in found.values())
    return att / n if n else None


def attendance_rate_records(conn: Any, stations: Stations, period: Period) -> list[Record]:
    """Every cell of the grid; ``amount`` 1 when attended."""
    return [
        Record(
            "attendance",
            f"{r['id']}:{r['person_id']}",
            r["station_id"],
            r["date"],
            f"{r['cname']}：{r['pname']}",
            1 if r["mark"] in ATTENDED_MARKS else 0,
            MARK_LABELS.get(r["mark"] or "", "未签到"),
        )
        for r in q.grid_cells(Db.of(conn), stations, period)
    ]


def completers(conn: Any, stations: Stations, period: Period, *, by_station: bool = False) -> Any:
    """Completers (训练班结业人次): participants who attended at least the class's completion
    share of its held sessions, counted in the period of the class's last held session."""
    found: dict[str, int] = {}
    for r in q.completer_rows(Db.of(conn), stations, period):
        if is_completer(r["attended"], r["held"], r["share"]):
            found[r["station_id"]] = found.get(r["station_id"], 0) + 1
    return total(per_station(stations, found), by_station)


def completers_records(conn: Any, stations: Stations, period: Period) -> list[Record]:
    out = []
    for r in q.completer_rows(Db.of(conn), stations, period):
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


def class_breakdown(conn: Any, stations: Stations, period: Period) -> list[dict[str, Any]]:
    """Per class with sessions held in the period: ``{id, name, teacher, sessions,
    trainee_visits, attendance_rate}`` (sessions and trainee-visits add up to the period's
    figures), by name."""
    db = Db.of(conn)
    visits = q.visits_by_class(db, stations, period)
    cells = q.grid_totals(db, stations, period, by_class=True)
    out = []
    for r in sorted(q.class_rows(db, stations, period), key=lambda r: r["name"]):
        att, n = cells.get(r["id"], (0, 0))
        out.append(
            {
                "id": r["id"],
                "name": r["name"],
                "teacher": r["teacher"],
                "sessions": r["n"],
                "trainee_visits": visits.get(r["id"], 0),
                "attendance_rate": att / n if n else None,
            }
        )
    return out
