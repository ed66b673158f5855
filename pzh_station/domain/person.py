"""A person of the people registry (学员 and 志愿者 are both people) and its validation."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass
from typing import Any

from pzh_station.i18n import tr

GENDERS = ("男", "女", "")


@dataclass
class Person:
    name: str = ""
    gender: str = ""
    birth_year: int = 0  # 0 = unknown
    phone: str = ""
    village: str = ""
    ethnicity: str = ""
    notes: str = ""
    created_by: str = ""
    id: str | None = None

    def fields(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("id")
        return data

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Person:
        names = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in row.items() if k in names})


def normalise_phone(text: str) -> str:
    """Keep the digits only (full-width digits, spaces and dashes from the field are common)."""
    import unicodedata

    return re.sub(r"\D", "", unicodedata.normalize("NFKC", text or ""))


def validate_person(p: Person, *, today: dt.date | None = None) -> dict[str, str]:
    today = today or dt.date.today()
    c = "Person"
    errors: dict[str, str] = {}
    if not p.name.strip():
        errors["name"] = tr(c, "请填写姓名")
    elif len(p.name.strip()) > 40:
        errors["name"] = tr(c, "姓名过长")
    if p.gender not in GENDERS:
        errors["gender"] = tr(c, "性别应为 男 或 女")
    if p.birth_year and not (today.year - 120 <= p.birth_year <= today.year):
        errors["birth_year"] = tr(c, "出生年份不正确")
    if p.phone and not (7 <= len(p.phone) <= 12 and p.phone.isdigit()):
        errors["phone"] = tr(c, "电话号码应为7到12位数字")
    return errors
