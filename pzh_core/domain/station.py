"""The station profile and its staff: the rules, shared by the desk's profile form and the
server's check of pushed ``stations`` and ``staff`` changes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
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


# -- an operator's PIN (issue 14): so that the history's "who" means something on a shared PC ----
PIN_ROUNDS = 100_000


def pin_error(pin: str) -> str | None:
    """Why a PIN cannot be set, or None: 4 to 8 digits."""
    if not (pin.isdigit() and pin.isascii() and 4 <= len(pin) <= 8):
        return tr(C, "PIN应为4至8位数字")
    return None


def hash_pin(pin: str, salt: str | None = None) -> str:
    """``pbkdf2_sha256$<rounds>$<salt>$<hash>``: the PIN is never stored itself."""
    salt = salt or secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt.encode(), PIN_ROUNDS).hex()
    return f"pbkdf2_sha256${PIN_ROUNDS}${salt}${digest}"


def pin_matches(pin: str, stored: str) -> bool:
    parts = stored.split("$")
    if len(parts) != 4 or parts[0] != "pbkdf2_sha256" or not parts[1].isdigit():
        return False
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), parts[2].encode(), int(parts[1])).hex()
    return hmac.compare_digest(digest, parts[3])
