"""The station profile and its staff: the rules, shared by the desk's profile form and the
server's check of pushed ``stations`` and ``staff`` changes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pzh_core import protocol
from pzh_core.domain import refdata
from pzh_core.i18n import tr

MAX_POPULATION = 5_000_000
MAX_NAME = 100  # a station's name
MAX_STAFF_NAME = 40  # a person's name (as pzh_core.domain.person)
C = "Station"

NUMBER_LIMITS = (
    ("population", MAX_POPULATION),
    ("amateur_teams", 10_000),
    ("full_time_staff", 1_000),
)


def validate_station_row(row: Mapping[str, Any]) -> dict[str, str]:
    """``{field: Chinese message}`` for the fields of a ``stations`` row."""
    errors: dict[str, str] = {}
    name = row.get("name", "")
    if not str(name).strip():
        errors["name"] = tr(C, "请填写文化站名称")
    elif len(name) > MAX_NAME:
        errors["name"] = tr(C, "名称过长")
    if row.get("county", "") not in refdata.counties():
        errors["county"] = tr(C, "请选择所属县（区）")
    for key, limit in NUMBER_LIMITS:
        value = row.get(key, 0)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            errors[key] = tr(C, "请输入不小于0的整数")
        elif value > limit:
            errors[key] = tr(C, "数值过大，请检查")
    return errors


def staff_name_error(name: str) -> str | None:
    """Why a staff member's name cannot be saved, or None."""
    problem = protocol.limit_problem("text", name)
    if problem:
        return problem
    if len(name.strip()) > MAX_STAFF_NAME:
        return tr(C, "工作人员姓名过长（最多{n}字）：{name}…").format(
            n=MAX_STAFF_NAME, name=name.strip()[:10]
        )
    return None


def validate_staff_row(row: Mapping[str, Any]) -> dict[str, str]:
    name = str(row.get("name", ""))
    if not name.strip():
        return {"name": tr(C, "请填写工作人员姓名")}
    problem = staff_name_error(name)
    return {"name": problem} if problem else {}
