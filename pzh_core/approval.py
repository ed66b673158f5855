"""Submitting, approving and locking a station's period (issue 14), defined once.

A **period** is a month (``"2026-11"``) or a year (``"2026"``). Its state is one synced row of
``periods`` per station and period (``id = det_id("period", station_id, period)``): the desk
writes ``submitted`` / ``withdrawn`` (报送 / 撤回), the city server writes ``approved``,
``returned``, ``unlocked`` and ``accepted`` (decision 2: the server is a writer). The field
``status`` merges like any other field.

**Which period a record falls in** (:func:`record_periods`): an activity, a training session
(and the attendance of that session) and a volunteer service record by their date, a class by
its start date, the annual facts by their year. A dated record falls in its month and its year.

**Why a record is locked** (:func:`lock_for`), in this order:

1. ``approved`` — the month or year is approved (or accepted): 已审核锁定, ask the county;
2. ``submitted`` — submitted and waiting for the county: 已报送待审核, withdraw to edit;
3. ``deadline`` — more than the county's ``edit_deadline_days`` after the period's end and the
   county has not decided on it (no return, no unlock): ask the county to unlock.

A change is refused when the record, before or after it, falls in a locked period (moving a date
into or out of a locked period is refused too). The desk refuses it at the field; the server sets
a pushed one aside with code ``locked`` (docs/sync-protocol.md, "Locked periods").
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pzh_core.i18n import tr

C = "Approval"
TABLE = "periods"
DESK_STATUSES = ("submitted", "withdrawn")
SERVER_STATUSES = ("approved", "returned", "unlocked", "accepted")
STATUS_LABELS = {
    "": "未报送",
    "withdrawn": "已撤回",
    "submitted": "已报送待审核",
    "approved": "已审核",
    "returned": "已退回",
    "unlocked": "已解锁",
    "accepted": "市级已确认",
}
LOCKING = {"submitted": "submitted", "approved": "approved", "accepted": "approved"}
DECIDED = ("returned", "unlocked")  # the county has spoken: no deadline lock

# The field of each table that places a record in time; the lock message goes under it.
DATE_FIELD = {
    "activities": "date",
    "sessions": "date",
    "service_records": "date",
    "classes": "start_date",
    "annual_facts": "year",
    "attendance": "mark",  # by its session's date
}
LOCKED_TABLES = frozenset(DATE_FIELD)

# The figures kept with an approval (the snapshot): counts and sums that add up.
SNAPSHOT_KEYS = (
    "activities",
    "person_visits",
    "special_group_activities",
    "mobile_activities",
    "art_activities",
    "exhibitions",
    "lectures",
    "training_classes",
    "training_sessions",
    "trainee_visits",
    "volunteers_serving",
    "volunteer_hours_verified",
)

_PERIOD = re.compile(r"^(\d{4})(?:-(\d{2}))?$")


def parse_period(text: str) -> str:
    """``"2026-11"`` or ``"2026"`` (also ``2026-1``), normalised. :raises ValueError: with a
    Chinese message."""
    m = re.match(r"^\s*(\d{4})(?:\s*-\s*(\d{1,2}))?\s*$", str(text))
    if (
        not m
        or not 2000 <= int(m.group(1)) <= 2200
        or (m.group(2) and not 1 <= int(m.group(2)) <= 12)
    ):
        raise ValueError(tr(C, "时段应写作年月（如 2026-11）或年份（如 2026）。"))
    return f"{m.group(1)}-{int(m.group(2)):02d}" if m.group(2) else m.group(1)


def is_month(period: str) -> bool:
    return "-" in period


def period_label(period: str) -> str:
    m = _PERIOD.match(period)
    if not m:
        return period
    return f"{m.group(1)}年{int(m.group(2))}月" if m.group(2) else f"{m.group(1)}年"


def period_end(period: str) -> dt.date:
    m = _PERIOD.match(period)
    if not m:
        raise ValueError(period)
    year = int(m.group(1))
    if m.group(2):
        month = int(m.group(2))
        return dt.date(year, month, calendar.monthrange(year, month)[1])
    return dt.date(year, 12, 31)


def period_bounds(period: str) -> tuple[str, str]:
    """First and last day, ISO."""
    end = period_end(period)
    first = dt.date(end.year, end.month, 1) if is_month(period) else dt.date(end.year, 1, 1)
    return first.isoformat(), end.isoformat()


def covering(period: str) -> tuple[str, ...]:
    """The periods whose lock covers ``period``: a month and its year, or the year."""
    return (period, period[:4]) if is_month(period) else (period,)


def date_periods(date: str) -> tuple[str, ...]:
    """The month and the year a date (``YYYY-MM-DD``) falls in; () for no date."""
    if not isinstance(date, str) or not re.match(r"^\d{4}-\d{2}-\d{2}$", date):
        return ()
    return (date[:7], date[:4])


def record_periods(
    table: str, row: Mapping[str, Any] | None, session_date: Callable[[str], str | None]
) -> tuple[str, ...]:
    """The periods a record falls in (see the module's notes); () when none or not dated.

    :param session_date: a session id → its date (for attendance), or None when unknown.
    """
    if not row or table not in DATE_FIELD:
        return ()
    if table == "annual_facts":
        year = row.get("year")
        return (str(year),) if isinstance(year, int) and year > 0 else ()
    if table == "attendance":
        return date_periods(session_date(str(row.get("session_id") or "")) or "")
    return date_periods(str(row.get(DATE_FIELD[table]) or ""))


@dataclass(frozen=True)
class Lock:
    period: str
    reason: str  # approved | submitted | deadline
    message: str


def lock_message(period: str, reason: str, days: int = 0) -> str:
    label = period_label(period)
    if reason == "approved":
        return tr(C, "{}的数据已审核锁定，不能修改；如确需修改，请联系县文化馆解锁。").format(label)
    if reason == "submitted":
        return tr(C, "{}的数据已报送待审核，不能修改；如需修改，请先撤回报送。").format(label)
    return tr(
        C,
        "{}的数据已超过县文化馆规定的修改期限（期末后{}天），不能修改；如需修改，请联系县文化馆解锁。",
    ).format(label, days)


def lock_for(
    periods: Iterable[str],
    states: Mapping[str, str],
    *,
    today: dt.date,
    deadline_days: int = 0,
) -> Lock | None:
    """Why a record in ``periods`` may not change (the strongest reason), or None.

    :param states: period → its ``status`` (absent: never submitted).
    :param deadline_days: the county's edit deadline in days after a period's end; 0 = none.
    """
    found: list[Lock] = []
    for period in periods:
        status = states.get(period, "")
        reason = LOCKING.get(status)
        if reason is None and deadline_days > 0 and status not in DECIDED:
            if today > period_end(period) + dt.timedelta(days=deadline_days):
                reason = "deadline"
        if reason:
            found.append(Lock(period, reason, lock_message(period, reason, deadline_days)))
    order = {"approved": 0, "submitted": 1, "deadline": 2}
    return min(found, key=lambda lk: (order[lk.reason], len(lk.period)), default=None)


def change_lock(
    table: str,
    row: Mapping[str, Any] | None,
    fields: Mapping[str, Any],
    *,
    states: Mapping[str, str],
    today: dt.date,
    deadline_days: int = 0,
    session_date: Callable[[str], str | None],
) -> dict[str, str] | None:
    """``{field: Chinese message}`` when the change may not be made (the record before or after
    it falls in a locked period), else None."""
    if table not in LOCKED_TABLES:
        return None
    after = {**(row or {}), **fields}
    periods = set(record_periods(table, row, session_date)) | set(
        record_periods(table, after, session_date)
    )
    lock = lock_for(sorted(periods), states, today=today, deadline_days=deadline_days)
    if lock is None:
        return None
    return {DATE_FIELD[table]: lock.message}


# What a desk may write of a ``periods`` row; the rest is the server's.
DESK_FIELDS = frozenset(
    {"period", "status", "submitted_by", "submitted_at", "figures", "incomplete", "deleted"}
)


def period_change_problem(
    row: Mapping[str, Any] | None, fields: Mapping[str, Any]
) -> tuple[str, dict[str, str]] | None:
    """A desk's change of a ``periods`` row: it may only submit or withdraw, and never once the
    county approved (approved or accepted). ``(code, {field: message})`` or None."""
    status = fields.get("status")
    foreign = sorted(set(fields) - DESK_FIELDS)
    if foreign or (status is not None and status not in DESK_STATUSES):
        name = foreign[0] if foreign else "status"
        return "invalid", {name: tr(C, "审核结果只能由县文化馆在市服务器上填写。")}
    current = (row or {}).get("status", "")
    if current in ("approved", "accepted"):
        period = str((row or {}).get("period") or fields.get("period") or "")
        return "locked", {"status": lock_message(period, "approved")}
    return None


def states_of(rows: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """period → status from ``periods`` rows (tombstones ignored)."""
    return {
        str(r["period"]): str(r.get("status") or "")
        for r in rows
        if not r.get("deleted") and r.get("period")
    }
