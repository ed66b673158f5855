"""A person of the people registry (学员 and 志愿者 are both people) and its validation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, ClassVar, cast

from pzh_core import protocol
from pzh_core.domain.record import Record
from pzh_core.i18n import tr
from pzh_core.text import clean

GENDERS = ("男", "女", "")


@dataclass
class Person(Record):
    TEXT_KINDS: ClassVar[dict[str, str]] = {"name": "name", "phone": "digits", "gender": "code"}

    name: str = ""
    gender: str = ""
    birth_year: int = 0  # 0 = unknown
    phone: str = ""
    village: str = ""
    ethnicity: str = ""
    notes: str = ""
    created_by: str = ""
    id: str | None = None


def normalise_phone(text: str) -> str:
    """Keep the digits only (full-width digits, spaces and dashes from the field are common)."""
    return clean(text or "", "digits")


def masked_phone(phone: str) -> str:
    """A phone number as printed on a sheet others see: ``138****5678`` (the middle hidden)."""
    digits = normalise_phone(phone)
    if len(digits) < 7:
        return "*" * len(digits)
    keep = 3 if len(digits) >= 11 else 2
    return digits[:keep] + "*" * (len(digits) - keep - 4) + digits[-4:]


def validate_person(
    p: Person, *, today: dt.date | None = None, limits: bool = True
) -> dict[str, str]:
    """``limits=False``: the protocol's limits are checked already (the server's rules)."""
    today = today or dt.date.today()
    c = "Person"
    errors = protocol.limit_errors("people", vars(p)) if limits else {}
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


# -- finding people by pinyin -------------------------------------------------------------------
def pinyin_keys(name: str) -> tuple[str, str]:
    """``(initials, full)`` search keys of a name, each ``|``-separated variants with a leading
    ``|``.

    ``张三`` → ``("|zs", "|zhangsan")``. The surname (first character) is the one place where
    a wrong reading would hide a person (曾 zeng/ceng, 单 shan/dan, 解 xie/jie), so every reading
    of it is kept; the rest of the name takes pypinyin's default (phrase-aware) reading. Letters
    and digits in a name stay as they are (lower case).
    """
    from pypinyin import Style, lazy_pinyin, pinyin

    name = "".join(name.split()).lower()
    if not name:
        return "|", "|"  # never empty: an empty key means "not indexed yet" to the store
    rest = lazy_pinyin(name[1:], errors=cast(Any, list)) if len(name) > 1 else []
    first_readings = pinyin(
        name[0], style=Style.NORMAL, heteronym=True, errors=cast(Any, lambda s: [s])
    )[0]
    initials, full = [], []
    tail_initials = "".join(p[0] for p in rest if p)
    tail_full = "".join(rest)
    for reading in dict.fromkeys(r.lower() for r in first_readings if r):
        initials.append(reading[0] + tail_initials)
        full.append(reading + tail_full)
    return "|" + "|".join(dict.fromkeys(initials)), "|" + "|".join(dict.fromkeys(full))


def is_pinyin_query(text: str) -> bool:
    """Latin letters only (``zs``, ``zhangs``): search by pinyin rather than by characters."""
    return bool(text) and text.isascii() and text.isalpha()


# -- duplicates ---------------------------------------------------------------------------------
def same_person(a: Person | dict[str, Any], b: Person | dict[str, Any]) -> bool:
    """The rule for "looks like the same person": same name and phone, or same name and birth
    year in the same village (issue 3). Names compare without spaces (``张 三`` = ``张三``)."""

    def get(p: Person | dict[str, Any], key: str) -> Any:
        return p.get(key) if isinstance(p, dict) else getattr(p, key)

    name_a = "".join(str(get(a, "name") or "").split())
    name_b = "".join(str(get(b, "name") or "").split())
    if not name_a or name_a != name_b:
        return False
    phone_a, phone_b = (
        normalise_phone(get(a, "phone") or ""),
        normalise_phone(get(b, "phone") or ""),
    )
    if phone_a and phone_a == phone_b:
        return True
    year_a, year_b = get(a, "birth_year") or 0, get(b, "birth_year") or 0
    village_a = (get(a, "village") or "").strip()
    return bool(
        year_a and year_a == year_b and village_a and village_a == (get(b, "village") or "").strip()
    )


MERGE_FIELDS = ("gender", "birth_year", "phone", "village", "ethnicity")


def merged_fields(keep: Person, drop: Person) -> dict[str, Any]:
    """Fields of ``keep`` to fill from ``drop`` when two people are merged: only what ``keep``
    leaves empty; notes are joined so nothing written about either is lost."""
    out: dict[str, Any] = {}
    for key in MERGE_FIELDS:
        if not getattr(keep, key) and getattr(drop, key):
            out[key] = getattr(drop, key)
    if drop.notes.strip() and drop.notes.strip() not in keep.notes:
        out["notes"] = (keep.notes + "\n" + drop.notes).strip()
    return out
