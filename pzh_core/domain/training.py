"""Training classes (培训班), their sessions (课次) and attendance marks (签到): records,
validation, weekly schedules, rates and completion. No SQL, no Qt."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from pzh_core import protocol
from pzh_core.domain import refdata
from pzh_core.domain.record import Record
from pzh_core.i18n import tr

STATUSES = ("planned", "running", "finished", "cancelled")
STATUS_LABELS = {
    "planned": "未开班",
    "running": "进行中",
    "finished": "已结业",
    "cancelled": "已取消",
}
DEFAULT_COMPLETION_SHARE = 0.8
MAX_CAPACITY = 10_000
MAX_SESSIONS = 400  # more than a year of daily classes: a schedule beyond is a typing slip

# Attendance marks: stored code, Chinese label, short label for the grid, keys that set it.
MARKS = ("present", "late", "excused", "absent")
MARK_LABELS = {"present": "出席", "late": "迟到", "excused": "请假", "absent": "缺席", "": ""}
MARK_SHORT = {"present": "✓", "late": "迟", "excused": "假", "absent": "✗", "": ""}
MARK_KEYS = {
    "1": "present",
    "2": "late",
    "3": "excused",
    "4": "absent",
    "p": "present",
    "l": "late",
    "e": "excused",
    "a": "absent",
    " ": "present",
    "0": "",
}
ATTENDED = frozenset({"present", "late"})  # a late arrival attended the session


@dataclass
class TrainingClass(Record):
    TEXT_KINDS: ClassVar[dict[str, str]] = {
        "start_date": "date",
        "end_date": "date",
        "teacher": "name",
    }

    name: str = ""
    art_form: str = "other"
    teacher: str = ""
    venue: str = ""
    start_date: str = ""
    end_date: str = ""
    capacity: int = 0  # 0 = no limit
    status: str = "planned"
    completion_share: float = DEFAULT_COMPLETION_SHARE
    notes: str = ""
    created_by: str = ""
    id: str | None = None


@dataclass
class Session:
    class_id: str
    date: str
    start_time: str = ""
    end_time: str = ""
    cancelled: bool = False
    notes: str = ""
    id: str | None = None


def _is_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except (TypeError, ValueError):
        return False
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", text))


def _is_time(text: str) -> bool:
    m = re.fullmatch(r"(\d{2}):(\d{2})", text or "")
    return m is not None and int(m[1]) < 24 and int(m[2]) < 60


def validate_class(c: TrainingClass, *, limits: bool = True) -> dict[str, str]:
    """``{field: Chinese message}`` for a class; empty when it may be saved (``limits=False``:
    the protocol's limits are checked already, the server's rules)."""
    ctx = "Training"
    errors = protocol.limit_errors("classes", vars(c)) if limits else {}
    name = c.name.strip()
    if not name:
        errors["name"] = tr(ctx, "请填写培训班名称")
    elif len(name) > 60:
        errors["name"] = tr(ctx, "名称过长（最多60字）")
    if c.art_form not in refdata.labels("art_forms"):
        errors["art_form"] = tr(ctx, "请选择艺术门类")
    if len(c.teacher) > 40:
        errors["teacher"] = tr(ctx, "授课老师姓名过长")
    for key in ("start_date", "end_date"):
        value = getattr(c, key)
        if value and not _is_date(value):
            errors[key] = tr(ctx, "日期格式应为 年-月-日")
    if "start_date" not in errors and "end_date" not in errors and c.start_date and c.end_date:
        if c.end_date < c.start_date:
            errors["end_date"] = tr(ctx, "结束日期早于开始日期")
    if not isinstance(c.capacity, int) or c.capacity < 0:
        errors["capacity"] = tr(ctx, "人数上限应为不小于0的整数（0表示不限）")
    elif c.capacity > MAX_CAPACITY:
        errors["capacity"] = tr(ctx, "人数上限过大，请检查")
    if c.status not in STATUSES:
        errors["status"] = tr(ctx, "未知的状态")
    if not (0 < float(c.completion_share) <= 1):
        errors["completion_share"] = tr(ctx, "结业出勤比例应在 1% 到 100% 之间")
    return errors


def validate_session(date: str, start_time: str, end_time: str) -> dict[str, str]:
    ctx = "Training"
    errors: dict[str, str] = {}
    if not _is_date(date):
        errors["date"] = tr(ctx, "请填写正确的日期")
    for key, value in (("start_time", start_time), ("end_time", end_time)):
        if value and not _is_time(value):
            errors[key] = tr(ctx, "时间格式应为 时:分，例如 19:30")
    if not errors and start_time and end_time and end_time <= start_time:
        errors["end_time"] = tr(ctx, "结束时间应晚于开始时间")
    return errors


def weekly_dates(
    start: dt.date,
    weekdays: Iterable[int],
    *,
    weeks: int | None = None,
    until: dt.date | None = None,
    skip: Iterable[dt.date] = (),
) -> list[dt.date]:
    """Dates of a weekly schedule, e.g. every Tue and Thu (``weekdays=[1, 3]``, Monday = 0) for
    8 weeks from ``start``, leaving out ``skip`` (holidays the user removed).

    :param weeks: how many weeks from ``start`` (week 1 is the 7 days starting at ``start``).
    :param until: last possible date (inclusive); with ``weeks`` the earlier end wins.
    """
    days = sorted(set(weekdays))
    if not days or any(d < 0 or d > 6 for d in days):
        raise ValueError("weekdays must be 0..6")
    if weeks is None and until is None:
        raise ValueError("give weeks or until")
    end = start + dt.timedelta(days=7 * weeks - 1) if weeks is not None else until
    if until is not None and end is not None:
        end = min(end, until)
    assert end is not None
    skipped = set(skip)
    out: list[dt.date] = []
    day = start
    while day <= end and len(out) < MAX_SESSIONS:
        if day.weekday() in days and day not in skipped:
            out.append(day)
        day += dt.timedelta(days=1)
    return out


def held(session: dict[str, Any], today: dt.date) -> bool:
    """A session counts for rates and completion once it is not cancelled and its day has come."""
    return not session.get("cancelled") and session.get("date", "") <= today.isoformat()


def rate(attended: int, total: int) -> float | None:
    """Share attended, or None when there is nothing to divide by (shown as “—”)."""
    return attended / total if total else None


def completed(attended: int, held_sessions: int, share: float) -> bool:
    """A participant completes a class by attending at least ``share`` of its held sessions.

    The threshold rounds up (8 held × 0.8 = 6.4 → 7 needed) so "at least 80 %" means what it says;
    a class with no held session has no completers yet.
    """
    if held_sessions <= 0:
        return False
    return attended >= _ceil_share(held_sessions, share)


def needed(held_sessions: int, share: float) -> int:
    return _ceil_share(held_sessions, share)


def _ceil_share(n: int, share: float) -> int:
    import math

    return math.ceil(round(n * share, 9))


def format_rate(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


WEEKDAY_LABELS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


@dataclass
class AttendanceGrid:
    """Participants × sessions of one class with their marks, and the figures derived from them.

    ``people``: rows ``{id, name, phone, village, active, walk_in, enrolled_on}`` in roster order
    (dropped people appear only when they have marks, so their past attendance still counts).
    ``sessions``: rows ``{id, date, start_time, end_time, cancelled, notes}`` by date.
    ``marks``: ``{(person_id, session_id): mark}`` for the marks that are set.
    """

    class_id: str
    people: list[dict[str, Any]]
    sessions: list[dict[str, Any]]
    marks: dict[tuple[str, str], str]
    today: dt.date
    share: float = DEFAULT_COMPLETION_SHARE

    def mark(self, person_id: str, session_id: str) -> str:
        return self.marks.get((person_id, session_id), "")

    def held_sessions(self) -> list[dict[str, Any]]:
        return [s for s in self.sessions if held(s, self.today)]

    def attended(self, person_id: str) -> int:
        """Held sessions the person attended (present or late)."""
        return sum(1 for s in self.held_sessions() if self.mark(person_id, s["id"]) in ATTENDED)

    def row_counts(self, person_id: str) -> dict[str, int]:
        counts = dict.fromkeys(MARKS, 0)
        for s in self.sessions:
            m = self.mark(person_id, s["id"])
            if m in counts:
                counts[m] += 1
        return counts

    def row_rate(self, person_id: str) -> float | None:
        return rate(self.attended(person_id), len(self.held_sessions()))

    def column_attended(self, session_id: str) -> int:
        return sum(1 for p in self.people if self.mark(p["id"], session_id) in ATTENDED)

    def column_rate(self, session_id: str) -> float | None:
        session = next((s for s in self.sessions if s["id"] == session_id), None)
        if session is None or session.get("cancelled"):
            return None
        return rate(self.column_attended(session_id), len(self.people))

    def completed(self, person_id: str) -> bool:
        return completed(self.attended(person_id), len(self.held_sessions()), self.share)

    def overall_rate(self) -> float | None:
        held_ids = [s["id"] for s in self.held_sessions()]
        total = len(held_ids) * len(self.people)
        got = sum(1 for p in self.people for sid in held_ids if self.mark(p["id"], sid) in ATTENDED)
        return rate(got, total)
