"""Volunteer service certificates (志愿服务证明) and the personal data behind them (issue 13, §5).

The rules of 民发〔2015〕149号 and 《志愿服务记录与证明出具办法（试行）》
(民政部令第67号): a certificate
names the volunteer with the ID type and number and the volunteer number, the service content and
hours with the period, the issuing unit with its 负责人 and 经办人, a contact phone, a number from
the issuing unit's register, the issue date and the seal.

- The ID number is kept on the volunteer row only (certificates need it; training rosters do
  not), and shown as :func:`masked_id_number` everywhere except the certificate itself.
- Certificate numbers: ``ZYZM<year>-<PC prefix>-<nnnn>``. The prefix is the PC's number in its
  station, ``J01``, ``J02`` … (the city server gives each enrolled device the next one: unique
  by construction); a PC that has not synced yet uses a provisional prefix, the first six hex
  digits of its device id (no ``J``: it never equals a server-given one). The running number
  counts that prefix's register rows and the last number this PC issued (kept outside the data
  folder, so a restored backup continues after it). The server sets aside a number another row
  of the station already holds (:data:`DUPLICATE`). docs/volunteers.md, "The register".
- Erasure on request (个人信息保护法 第四十七条): :mod:`pzh_core.domain.erasure`.

Pure functions: no SQL, no Qt.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import ClassVar

from pzh_core.domain.record import Record
from pzh_core.i18n import tr
from pzh_core.text import clean

C = "Certificate"

# ID types a certificate may name (code -> label); "" = not recorded.
ID_TYPES = {
    "resident_id": "居民身份证",
    "hk_macao": "港澳居民来往内地通行证",
    "taiwan": "台湾居民来往大陆通行证",
    "passport": "护照",
    "foreign_pr": "外国人永久居留身份证",
}

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def normalise_id_number(text: str) -> str:
    """Half-width, no spaces, upper case (a final ``x`` of an ID card number becomes ``X``)."""
    return "".join(clean(text or "", "code").split()).upper()


def id_number_error(id_type: str, number: str, *, today: dt.date | None = None) -> str | None:
    """Why ``number`` is not a valid number of ``id_type``, or None. The 居民身份证 is checked
    fully (GB 11643: 18 characters, a real birth date, the check character)."""
    if not number and not id_type:
        return None
    if id_type not in ID_TYPES:
        return tr(C, "请选择证件类型")
    if not number:
        return tr(C, "请填写证件号码")
    if id_type != "resident_id":
        if not (5 <= len(number) <= 30 and re.fullmatch(r"[0-9A-Z()\-]+", number)):
            return tr(C, "证件号码应为5到30位字母或数字")
        return None
    if not re.fullmatch(r"\d{17}[\dX]", number):
        return tr(C, "居民身份证号码应为18位（最后一位可为X）")
    try:
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return tr(C, "身份证号码中的出生日期不正确")
    today = today or dt.date.today()
    if born > today or born.year < today.year - 120:
        return tr(C, "身份证号码中的出生日期不正确")
    check = _CHECK[sum(int(d) * w for d, w in zip(number[:17], _WEIGHTS, strict=True)) % 11]
    if number[17] != check:
        return tr(C, "身份证号码校验位不正确，请核对")
    return None


def resident_id(area: str, born: dt.date, serial: int) -> str:
    """A 居民身份证 number made of its parts, with its check character (demo data, tests)."""
    first = f"{area}{born:%Y%m%d}{serial:03d}"
    return first + _CHECK[sum(int(d) * w for d, w in zip(first, _WEIGHTS, strict=True)) % 11]


def masked_id_number(number: str) -> str:
    """An ID number as shown anywhere but on the certificate: ``5104**********1234``."""
    number = normalise_id_number(number)
    if not number:
        return ""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def id_label(id_type: str) -> str:
    return ID_TYPES.get(id_type, "")


# -- the register ---------------------------------------------------------------------------
NUMBER_RE = re.compile(r"^ZYZM(\d{4})-([0-9A-F]{6}|J\d{2,})-(\d{4,})$")
DUPLICATE = "duplicate_number"  # the set-aside code of a number the station holds already


def pc_prefix(device_id: str, pc_number: int | None = None) -> str:
    """This PC's part of a certificate number: ``J`` and its number in the station (given by the
    city server), else — before its first sync — the first six hex digits of its device id."""
    if pc_number:
        return f"J{pc_number:02d}"
    return (device_id or "")[:6].upper().ljust(6, "0")


def duplicate_errors(number: str) -> dict[str, str]:
    """``{"number": message}`` for a certificate number another row of the station holds."""
    return {
        "number": tr(C, "证明编号 {} 已由本站另一台电脑登记，同一编号不能用于两张证明").format(
            number
        )
    }


def certificate_number(year: int, prefix: str, seq: int) -> str:
    return f"ZYZM{year:04d}-{prefix}-{seq:04d}"


def next_certificate_number(used: list[str], *, year: int, prefix: str) -> str:
    """The next number of this PC's register for ``year``, after every number ``used``."""
    top = 0
    for number in used:
        m = NUMBER_RE.match(number)
        if m and int(m.group(1)) == year and m.group(2) == prefix:
            top = max(top, int(m.group(3)))
    return certificate_number(year, prefix, top + 1)


@dataclass
class Certificate(Record):
    """One row of the certificate register (``volunteer_certificates``): what was certified."""

    TEXT_KINDS: ClassVar[dict[str, str]] = {
        "period_from": "date",
        "period_to": "date",
        "issued_on": "date",
        "head": "name",
        "handler": "name",
        "phone": "digits",
    }

    number: str = ""
    volunteer_id: str = ""
    period_from: str = ""
    period_to: str = ""
    hours: float = 0.0
    records: int = 0  # verified records counted
    content: str = ""  # the service content, summarised
    unit: str = ""  # the issuing unit (the station)
    head: str = ""  # 负责人
    handler: str = ""  # 经办人
    phone: str = ""  # contact phone of the issuing unit
    issued_on: str = ""
    id: str | None = None


def validate_certificate(c: Certificate, *, today: dt.date | None = None) -> dict[str, str]:
    """The fields a certificate cannot go without. :returns: ``{field: Chinese message}``."""
    today = today or dt.date.today()
    errors: dict[str, str] = {}
    if not c.volunteer_id:
        errors["volunteer_id"] = tr(C, "请选择志愿者")
    if not c.unit.strip():
        errors["unit"] = tr(C, "请填写出具单位")
    if not c.head.strip():
        errors["head"] = tr(C, "请填写单位负责人")
    if not c.handler.strip():
        errors["handler"] = tr(C, "请填写经办人")
    if not (7 <= len(c.phone) <= 12 and c.phone.isdigit()):
        errors["phone"] = tr(C, "请填写联系电话（7到12位数字）")
    try:
        start, end = dt.date.fromisoformat(c.period_from), dt.date.fromisoformat(c.period_to)
    except ValueError:
        errors["period_from"] = tr(C, "请填写服务起止日期")
    else:
        if start > end:
            errors["period_to"] = tr(C, "结束日期不能早于开始日期")
        elif end > today:
            errors["period_to"] = tr(C, "结束日期不能晚于今天")
    if c.number and not NUMBER_RE.match(c.number):
        errors["number"] = tr(C, "证明编号格式不正确")
    return errors
