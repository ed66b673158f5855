"""An activity of the activity log (活动台账) and its validation rules."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pzh_core import protocol
from pzh_core.domain import refdata
from pzh_core.domain.record import Record
from pzh_core.i18n import tr

MAX_ATTENDANCE = 100_000  # more person-visits than this for one activity is a typing slip
MAX_TEXT = 500
_LONGEST = (
    ("place", MAX_TEXT),
    ("organiser", MAX_TEXT),
    ("partners", MAX_TEXT),
    ("notes", 4 * MAX_TEXT),
)


@dataclass
class Activity(Record):
    TEXT_KINDS: ClassVar[dict[str, str]] = {
        "date": "date",
        "start_time": "time",
        "end_time": "time",
    }

    title: str = ""
    date: str = ""  # YYYY-MM-DD
    start_time: str = ""  # HH:MM or ""
    end_time: str = ""
    place: str = ""
    kind: str = ""
    delivery: str = "station"
    organiser: str = ""
    partners: str = ""
    attendance: int = 0
    target_groups: list[str] = field(default_factory=list)
    brand: str = ""
    notes: str = ""
    created_by: str = ""
    team_id: str = ""  # the amateur art team that performed (art_teams), or ""
    id: str | None = None  # None until saved


def _parse_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


_TIME = re.compile(r"(\d{1,2}):(\d{1,2})", re.ASCII)


def _parse_time(value: str) -> dt.time | None:
    """``H:MM`` → time (what ``strptime("%H:%M")`` accepts, without its cost: the server checks
    every pushed activity with this)."""
    return _time_of(value) if isinstance(value, str) else None


@functools.lru_cache(maxsize=4096)  # a day has 1,440 minutes: nearly every time is seen before
def _time_of(value: str) -> dt.time | None:
    m = _TIME.fullmatch(value)
    try:
        return None if m is None else dt.time(int(m[1]), int(m[2]))
    except ValueError:
        return None


def validate(
    activity: Activity, *, today: dt.date | None = None, limits: bool = True
) -> dict[str, str]:
    """Check an activity. :returns: ``{field: Chinese message}``, empty when it is valid.
    ``limits=False``: the protocol's limits are checked already (the server's rules)."""
    return validate_fields(vars(activity), today=today, limits=limits)


def validate_fields(
    a: Mapping[str, Any], *, today: dt.date | None = None, limits: bool = True
) -> dict[str, str]:
    """:func:`validate` of an activity's fields (``vars`` of one, or
    ``Activity.row_fields(row)``: the server checks a pushed row without building one)."""
    today = today or dt.date.today()
    errors = protocol.limit_errors("activities", a) if limits else {}
    c = "Activity"
    title = a["title"]
    if not title.strip():
        errors["title"] = tr(c, "请填写活动名称")
    elif len(title) > 200:
        errors["title"] = tr(c, "活动名称不能超过200字")

    day = _parse_date(a["date"])
    if day is None:
        errors["date"] = tr(c, "请填写正确的日期（年-月-日）")
    elif day > today:
        errors["date"] = tr(c, "活动日期不能晚于今天")
    elif day.year < 2000:
        errors["date"] = tr(c, "活动日期早于2000年，请检查")

    start_time, end_time = a["start_time"], a["end_time"]
    start = _parse_time(start_time) if start_time else None
    end = _parse_time(end_time) if end_time else None
    if start_time and start is None:
        errors["start_time"] = tr(c, "开始时间格式应为 时:分")
    if end_time and end is None:
        errors["end_time"] = tr(c, "结束时间格式应为 时:分")
    if start and end and end < start:
        errors["end_time"] = tr(c, "结束时间早于开始时间")

    if a["kind"] not in refdata.codes("activity_kinds"):
        errors["kind"] = tr(c, "请选择活动类型")
    if a["delivery"] not in refdata.codes("delivery_modes"):
        errors["delivery"] = tr(c, "请选择服务方式（阵地/流动/线上）")

    attendance = a["attendance"]
    if not isinstance(attendance, int) or isinstance(attendance, bool):
        errors["attendance"] = tr(c, "参与人次应为整数")
    elif attendance < 0:
        errors["attendance"] = tr(c, "参与人次不能为负数")
    elif attendance > MAX_ATTENDANCE:
        errors["attendance"] = tr(c, "参与人次超过10万，请检查是否多输了位数")

    groups = refdata.codes("target_groups")
    if not groups.issuperset(a["target_groups"]):
        unknown = [g for g in a["target_groups"] if g not in groups]
        errors["target_groups"] = tr(c, "未知的服务对象：") + "、".join(unknown)
    brand = a["brand"]
    if brand and brand not in refdata.codes("brands"):
        errors["brand"] = tr(c, "未知的活动品牌")

    for name, most in _LONGEST:
        if len(a[name] or "") > most:
            errors[name] = tr(c, "内容过长")
    return errors
