"""Erasure of a person's personal data on their request (个人信息保护法 第四十七条; issue 13, §5).

One definition for every side: :data:`PERSONAL_FIELDS` says, per table, which fields hold a
person's personal data and what erasure writes into them. The desk's erasure writes exactly these
values (and ``people.erased_on``); the desk and the server scrub their change logs with
:func:`scrub`; and :func:`refused` is the rule that keeps the data erased — a change that would
write a personal field of an erased person back (an offline PC that had not seen the erasure,
an old backup) is refused at the field on the desk and set aside by the server with code
``erased`` (docs/architecture.md decision 1). The rows stay, so figures and verified hours stay.

Pure functions: no SQL, no Qt.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pzh_core.i18n import tr

C = "Erasure"
ERASED_NAME = "已注销"
# What erasure writes: the person's name, phone, birth year (and free notes, which may hold any
# of them); the volunteer's ID type and number and notes. Gender, village and the records stay.
ERASE_PERSON: dict[str, Any] = {"name": ERASED_NAME, "phone": "", "birth_year": 0, "notes": ""}
ERASE_VOLUNTEER: dict[str, Any] = {"id_type": "", "id_number": "", "notes": ""}
PERSONAL_FIELDS: dict[str, dict[str, Any]] = {"people": ERASE_PERSON, "volunteers": ERASE_VOLUNTEER}
CODE = "erased"  # the set-aside code of a refused change (pzh_core.protocol.SET_ASIDE_CODES)


def is_erasure(table: str, fields: Mapping[str, Any]) -> bool:
    """Whether a change erases a person's personal data (it sets ``people.erased_on``)."""
    return table == "people" and bool(fields.get("erased_on"))


def erased_rows(person_id: str) -> list[tuple[str, str]]:
    """The rows that hold a person's personal data: the person and the volunteer made of them."""
    from pzh_core.schema import det_id

    return [("people", person_id), ("volunteers", det_id("volunteer", person_id))]


def person_of(table: str, row_id: str, row: Mapping[str, Any] | None) -> str | None:
    """The person whose personal data a row of ``table`` holds, None for other tables."""
    if table == "people":
        return row_id
    if table == "volunteers":
        return str((row or {}).get("person_id") or "") or None
    return None


def scrub(table: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """A logged change of ``table`` with the personal values replaced by the erased ones: the
    change logs of desk and server keep their stamps, never the erased data."""
    blank = PERSONAL_FIELDS.get(table, {})
    return {k: (blank[k] if k in blank else v) for k, v in fields.items()}


def refused(table: str, fields: Mapping[str, Any], erased_on: str) -> dict[str, str]:
    """The fields of a change to the row of a person erased on ``erased_on`` ("" = not erased)
    that would bring personal data back, each with its Chinese message. Writing the erased
    values again (a second PC erasing too) is fine; so is every other field."""
    if not erased_on:
        return {}
    blank = PERSONAL_FIELDS.get(table, {})
    text = tr(C, "此人的个人信息已按本人申请注销（{}），不能再修改").format(erased_on)
    errors = {k: text for k, v in fields.items() if k in blank and v != blank[k]}
    if table == "people" and "erased_on" in fields and not fields["erased_on"]:
        errors["erased_on"] = text
    return errors
