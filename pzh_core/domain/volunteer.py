"""Cultural volunteers (文化志愿者), their service records and the rules about hours and stars.

Pure functions and dataclasses: no SQL, no Qt. The reports work reuses :func:`star_level` and
:func:`new_level_reached` for the overview figures, so the star rule is written once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pzh_core import protocol
from pzh_core.domain import refdata
from pzh_core.domain.certificate import ID_TYPES, id_number_error, normalise_id_number
from pzh_core.domain.record import Record
from pzh_core.i18n import tr
from pzh_core.text import clean

MAX_DAY_HOURS = 24.0  # one person cannot serve more than a day in a day
WARN_DAY_HOURS = 12.0  # above this a day's total is possible but worth a second look
HOURS_STEP = 0.5
MAX_TEXT = 500

# Volunteer status: code -> label.
STATUSES = {"active": "在册", "paused": "暂停", "left": "退出"}
# Service record states: recorded → verified | rejected.
RECORD_STATES = {"recorded": "待审核", "verified": "已审核", "rejected": "已驳回"}
# Correction requests of verified records.
CORRECTION_STATES = {"requested": "待审批", "approved": "已批准", "rejected": "未批准"}
# Fields of a verified record a correction may change.
CORRECTABLE = ("date", "hours", "description", "activity_id", "class_id")


@dataclass
class Volunteer(Record):
    """The volunteer details of a person of the people registry."""

    TEXT_KINDS: ClassVar[dict[str, str]] = {
        "number": "code",
        "join_date": "date",
        "id_type": "code",
        "id_number": "code",
    }

    person_id: str = ""
    number: str = ""  # volunteer number (志愿者编号)
    join_date: str = ""  # YYYY-MM-DD
    skills: list[str] = field(default_factory=list)  # codes of volunteer_skills.json
    team: str = ""
    status: str = "active"
    training: str = ""  # training received
    awards: str = ""
    notes: str = ""
    created_by: str = ""
    id_type: str = ""  # for certificates (pzh_core.domain.certificate.ID_TYPES)
    id_number: str = ""  # shown masked everywhere but the certificate
    id: str | None = None  # det_id("volunteer", person_id) once saved


@dataclass
class ServiceRecord(Record):
    """One service of one volunteer on one day."""

    TEXT_KINDS: ClassVar[dict[str, str]] = {
        "date": "date",
        "recorded_by": "name",
        "verified_by": "name",
        "verified_on": "date",
    }

    volunteer_id: str = ""
    person_id: str = ""
    date: str = ""
    hours: float = 0.0
    description: str = ""
    activity_id: str = ""
    class_id: str = ""
    recorded_by: str = ""
    status: str = "recorded"
    verified_by: str = ""
    verified_on: str = ""
    reject_reason: str = ""
    id: str | None = None


def parse_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


# -- volunteers ----------------------------------------------------------------------------
def validate_volunteer(
    v: Volunteer, *, today: dt.date | None = None, limits: bool = True
) -> dict[str, str]:
    """Check the volunteer details. :returns: ``{field: Chinese message}``, empty when valid.
    ``limits=False``: the protocol's limits are checked already (the server's rules)."""
    today = today or dt.date.today()
    c = "Volunteer"
    errors = protocol.limit_errors("volunteers", vars(v)) if limits else {}
    if not v.person_id:
        errors["person_id"] = tr(c, "请选择或填写志愿者本人")
    if len(v.number) > 40:
        errors["number"] = tr(c, "志愿者编号过长")
    day = parse_date(v.join_date)
    if day is None:
        errors["join_date"] = tr(c, "请填写正确的加入日期（年-月-日）")
    elif day > today:
        errors["join_date"] = tr(c, "加入日期不能晚于今天")
    elif day.year < 1950:
        errors["join_date"] = tr(c, "加入日期过早，请检查")
    skills = refdata.labels("volunteer_skills")
    unknown = [s for s in v.skills if s not in skills]
    if unknown:
        errors["skills"] = tr(c, "未知的服务技能：") + "、".join(unknown)
    if v.status not in STATUSES:
        errors["status"] = tr(c, "状态应为 在册、暂停 或 退出")
    for name in ("team", "training", "awards", "notes"):
        if len(getattr(v, name) or "") > MAX_TEXT * (4 if name == "notes" else 1):
            errors[name] = tr(c, "内容过长")
    v.id_number = normalise_id_number(v.id_number)
    problem = id_number_error(v.id_type, v.id_number, today=today)
    if problem:
        errors["id_type" if v.id_number and v.id_type not in ID_TYPES else "id_number"] = problem
    return errors


# -- hours ---------------------------------------------------------------------------------
def hours_error(hours: Any) -> str | None:
    """Why ``hours`` is not a valid service duration, or None (positive, in steps of 0.5)."""
    c = "Volunteer"
    if isinstance(hours, bool) or not isinstance(hours, (int, float)):
        return tr(c, "服务时长应为数字")
    if hours <= 0:
        return tr(c, "服务时长应大于0")
    if hours > MAX_DAY_HOURS:
        return tr(c, "一天的服务时长不能超过24小时")
    if (hours * 2) != int(hours * 2):
        return tr(c, "服务时长以0.5小时为单位（如 1、1.5、2）")
    return None


def parse_hours(text: str) -> float | None:
    """'2', '2.5', '２．５', '2.5小时' → float; None when it is not a number."""
    text = clean(str(text or ""), "code")
    for suffix in ("小时", "h", "H"):
        text = text.removesuffix(suffix).strip()
    try:
        return float(text)
    except ValueError:
        return None


@dataclass
class RecordCheck:
    """Result of :func:`check_record`: errors block saving; warnings are shown and saved anyway."""

    errors: dict[str, str] = field(default_factory=dict)
    warnings: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def check_record(
    record: ServiceRecord,
    *,
    join_date: str,
    other_hours_that_day: float,
    today: dt.date | None = None,
) -> RecordCheck:
    """The checks of a service record.

    :param join_date: the volunteer's join date; no service before it.
    :param other_hours_that_day: the person's hours on the same day in other records that count
        (recorded or verified, not rejected, not deleted).
    """
    today = today or dt.date.today()
    c = "Volunteer"
    out = RecordCheck()
    if not record.volunteer_id:
        out.errors["volunteer_id"] = tr(c, "请选择志愿者")
    day = parse_date(record.date)
    joined = parse_date(join_date)
    if day is None:
        out.errors["date"] = tr(c, "请填写正确的服务日期（年-月-日）")
    elif day > today:
        out.errors["date"] = tr(c, "服务日期不能晚于今天")
    elif joined is not None and day < joined:
        out.errors["date"] = tr(c, "服务日期早于该志愿者的加入日期（{}）").format(join_date)
    problem = hours_error(record.hours)
    if problem:
        out.errors["hours"] = problem
    else:
        total = other_hours_that_day + float(record.hours)
        if total > MAX_DAY_HOURS:
            out.errors["hours"] = tr(
                c, "该志愿者当天已登记 {:g} 小时，加上本条共 {:g} 小时，超过24小时"
            ).format(other_hours_that_day, total)
        elif total > WARN_DAY_HOURS:
            out.warnings["hours"] = tr(c, "该志愿者当天共 {:g} 小时，超过12小时，请确认").format(
                total
            )
    if not record.description.strip() and not record.activity_id and not record.class_id:
        out.errors["description"] = tr(c, "请填写服务内容或关联活动")
    elif len(record.description) > MAX_TEXT:
        out.errors["description"] = tr(c, "服务内容不能超过500字")
    return out


def may_decide(*, recorder: str, decider: str, staff: list[str]) -> str | None:
    """Whether ``decider`` may verify/reject what ``recorder`` entered; None when allowed,
    else a Chinese reason. Where the station has more than one active staff member, the one who
    recorded cannot verify their own record (national rule: records must be checked)."""
    c = "Volunteer"
    if not decider.strip():
        return tr(c, "请选择审核人")
    if staff and decider not in staff:
        return tr(c, "审核人“{}”不是本站在岗工作人员").format(decider)
    if len(staff) > 1 and decider == recorder:
        return tr(c, "本站有多名工作人员，记录人不能审核自己登记的记录，请由其他工作人员审核")
    return None


# -- stars ---------------------------------------------------------------------------------
def star_levels() -> list[dict[str, Any]]:
    """The national star levels, lowest first: ``[{"stars", "hours", "label"}, …]``."""
    return sorted(refdata.load("star_levels"), key=lambda item: item["hours"])


def star_level(verified_hours: float) -> int:
    """Stars (0–5) earned by cumulative verified hours; a threshold reached counts (100 h → 1)."""
    stars = 0
    for level in star_levels():
        if verified_hours >= level["hours"]:
            stars = level["stars"]
    return stars


def star_label(stars: int) -> str:
    """'三星级志愿者'; '' for no star."""
    for level in star_levels():
        if level["stars"] == stars:
            return level["label"]
    return ""


def next_threshold(verified_hours: float) -> float | None:
    """Hours needed for the next star level, or None at the top."""
    for level in star_levels():
        if verified_hours < level["hours"]:
            return float(level["hours"])
    return None


def new_level_reached(hours_before: float, hours_after: float) -> int:
    """The level reached in a period (0 if none): ``hours_before`` at its start, ``hours_after``
    at its end. Used for "volunteers who reached a new level this year"."""
    after = star_level(hours_after)
    return after if after > star_level(hours_before) else 0
