"""Every rule a pushed change must pass, defined once for desk and server (decision 1).

The desk's forms run the domain validators (each one also applies the protocol's limits to its
fields, :func:`pzh_core.protocol.limit_errors`), so a value is refused at the field with a
Chinese message before it is ever saved. The server runs :func:`check_change` on every pushed
change: a change that fails is *set aside* (``pzh_core.protocol.SET_ASIDE_CODES``), the rest of
its batch applies.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from pzh_core import protocol
from pzh_core.domain import (
    activity,
    annual_facts,
    art_team,
    certificate,
    person,
    station,
    training,
    volunteer,
)

Validator = Callable[[Mapping[str, Any], dt.date], dict[str, str]]

# table -> the domain validation of a whole row (fields decoded), with "today"; the protocol's
# limits are not checked again there (check_change checks them first, on the change's fields).
VALIDATORS: dict[str, Validator] = {
    "activities": lambda r, today: activity.validate_fields(
        activity.Activity.row_fields(r), today=today, limits=False
    ),
    "people": lambda r, today: person.validate_person(
        person.Person.from_row(r), today=today, limits=False
    ),
    "classes": lambda r, today: training.validate_class(
        training.TrainingClass.from_row(r), limits=False
    ),
    "sessions": lambda r, today: training.validate_session(
        r.get("date", ""), r.get("start_time", ""), r.get("end_time", "")
    ),
    "volunteers": lambda r, today: volunteer.validate_volunteer(
        volunteer.Volunteer.from_row(r), today=today, limits=False
    ),
    "annual_facts": lambda r, today: annual_facts.validate(
        annual_facts.AnnualFacts.from_row(r), today=today
    ),
    "art_teams": lambda r, today: art_team.validate(art_team.ArtTeam.from_row(r), today=today),
    "volunteer_certificates": lambda r, today: certificate.validate_certificate(
        certificate.Certificate.from_row(r), today=today
    ),
    "stations": lambda r, today: station.validate_station_row(r),
    "staff": lambda r, today: station.validate_staff_row(r),
}


def check_change(
    table: str,
    row: Mapping[str, Any] | None,
    fields: Mapping[str, Any],
    *,
    today: dt.date,
) -> tuple[str, dict[str, str]] | None:
    """Why a well-formed change must be set aside, or None when it may be merged.

    :param row: the row as it is (decoded field values), None for a row not seen before.
    :param fields: the change's fields (already shape-checked by ``protocol.validate_change``).
    :returns: ``(code, {field: Chinese message})`` — ``too_long`` for a protocol limit,
        ``invalid`` for a domain rule (only rules on the fields the change writes count, so an
        older row that a newer rule would refuse does not hold back an edit of another field).
    """
    if not protocol.plainly_clean(fields):  # else neither finds anything
        too_long = protocol.limit_errors(table, fields)
        if too_long:
            return "too_long", too_long
        control = protocol.control_errors(table, fields)
        if control:
            return "invalid", control
    validate = VALIDATORS.get(table)
    if validate is None or fields.get("deleted"):
        return None
    found = validate({**row, **fields} if row else fields, today)  # no validator writes to it
    if not found:
        return None
    errors = {k: v for k, v in found.items() if k in fields}
    return ("invalid", errors) if errors else None


TABLE_LABELS = {
    "stations": "文化站信息",
    "staff": "工作人员",
    "activities": "活动",
    "people": "人员",
    "classes": "培训班",
    "sessions": "培训课次",
    "enrollments": "培训报名",
    "attendance": "培训考勤",
    "volunteers": "志愿者",
    "service_records": "志愿服务记录",
    "service_corrections": "服务记录更正",
    "volunteer_certificates": "志愿服务证明",
    "annual_facts": "年度基本情况",
    "art_teams": "业余文艺团队",
}

WHAT_TO_DO = {
    "invalid": "请按提示改正后重新录入，或忽略这条修改。",
    "too_long": "请删减后重新录入，或忽略这条修改。",
    "locked": "该时段的数据已审核锁定；如确需修改，请联系县文化馆。",
    "desk_too_old": "请先升级文化站工作台，再重新录入这条修改。",
    "erased": "本人已申请注销，这条修改不再保留；如本人愿意重新提供信息，请作为新人员重新登记。",
    "duplicate_number": "这张证明未登记；已打印的请作废，重新出具（将取新的编号）。",
}


def set_aside_message(table: str, code: str, errors: Mapping[str, str]) -> str:
    """The Chinese message of a set-aside change: what, why, what to do."""
    why = "；".join(dict.fromkeys(m.rstrip("。") for m in errors.values())) or code
    label = TABLE_LABELS.get(table, table)
    return f"市服务器未接受这条{label}修改：{why}。{WHAT_TO_DO.get(code, '')}"


def desk_too_old_errors(fields: Mapping[str, Any], version: str, oldest: str) -> dict[str, str]:
    text = f"本机软件版本 {version or '未知'} 过旧，市服务器只接受 {oldest} 及以上版本的修改"
    return {name: text for name in fields}
