"""The station's annual facts (年度基本情况): what the annual return asks for that is not an
activity — staff, floor area, computers, books, money, the stage vehicle, opening hours, the unit
code and the township's 常住人口 — one row per station and year.

Pure rules, no SQL, no Qt: the desk's form and CLI and the city server check the same way.
Values typed by a person arrive as text (:func:`parse_input`), values of a synced row as numbers
(:func:`validate`); both give ``{field: Chinese message}``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, fields
from typing import Any

from pzh_core.domain.record import Record
from pzh_core.i18n import tr

C = "AnnualFacts"
MAX_PEOPLE = 10_000  # staff of one station
MAX_MONEY = 10_000_000.0  # 千元: 100亿元 is a typing slip for one township station
MAX_AREA = 1_000_000.0
MAX_COUNT = 10_000_000
MAX_POPULATION = 5_000_000
MIN_YEAR = 2000


@dataclass(frozen=True)
class FactSpec:
    """One item of the annual facts: its column, label (as on the return), unit and kind."""

    name: str
    label: str
    unit: str
    kind: str  # int | real | money | text
    group: str
    carried: bool = True  # copied into next year's facts as a starting point
    limit: float = MAX_COUNT
    # Filled "where known": empty is unknown (None, shown "—", adds nothing), not 0.
    unknown_ok: bool = False


# The items in the return's order (the 基本情况 half of the base form).
SPECS: tuple[FactSpec, ...] = (
    FactSpec("staff_total", "年末从业人员", "人", "int", "人员", limit=MAX_PEOPLE),
    FactSpec("staff_full_time", "其中：专职人员", "人", "int", "人员", limit=MAX_PEOPLE),
    FactSpec("staff_part_time", "兼职人员", "人", "int", "人员", limit=MAX_PEOPLE),
    FactSpec("staff_senior", "#高级职称", "人", "int", "人员", limit=MAX_PEOPLE),
    FactSpec("staff_intermediate", "#中级职称", "人", "int", "人员", limit=MAX_PEOPLE),
    FactSpec("floor_area", "实际使用房屋建筑面积", "平方米", "real", "设施", limit=MAX_AREA),
    FactSpec(
        "floor_area_activity",
        "#群众活动用房面积",
        "平方米",
        "real",
        "设施",
        limit=MAX_AREA,
        unknown_ok=True,
    ),
    FactSpec(
        "floor_area_office",
        "#办公用房面积",
        "平方米",
        "real",
        "设施",
        limit=MAX_AREA,
        unknown_ok=True,
    ),
    FactSpec("computers", "计算机台数", "台", "int", "设施"),
    FactSpec("computers_public", "#供公众使用", "台", "int", "设施"),
    FactSpec("books", "藏书", "册", "int", "设施"),
    FactSpec("stage_vehicles", "流动舞台车", "辆", "int", "设施", limit=1000),
    FactSpec("weekly_open_hours", "每周开放时长", "小时", "real", "设施", limit=168),
    FactSpec("income_total", "本年收入合计", "千元", "money", "财务", carried=False),
    FactSpec("income_fiscal", "#财政拨款", "千元", "money", "财务", carried=False),
    FactSpec("income_other", "其他收入", "千元", "money", "财务", carried=False),
    FactSpec("expense_total", "本年支出合计", "千元", "money", "财务", carried=False),
    FactSpec("expense_basic", "#基本支出", "千元", "money", "财务", carried=False),
    FactSpec("expense_project", "#项目支出", "千元", "money", "财务", carried=False),
    FactSpec("assets_total", "资产总计", "千元", "money", "财务", carried=False),
    FactSpec("fixed_assets", "固定资产原值", "千元", "money", "财务", carried=False),
    FactSpec("population", "乡镇（街道）常住人口", "人", "int", "人口", limit=MAX_POPULATION),
    FactSpec("population_source", "常住人口数据来源", "", "text", "人口"),
    FactSpec("unit_code", "统一社会信用代码（或单位代码）", "", "text", "单位"),
    FactSpec("notes", "备注", "", "text", "单位", carried=False),
)
SPEC = {s.name: s for s in SPECS}
NUMBER_FIELDS = tuple(s.name for s in SPECS if s.kind != "text")
UNKNOWN_OK = tuple(s.name for s in SPECS if s.unknown_ok)  # None = not known
# Parts that may not exceed their whole: (whole, parts, message).
PARTS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("staff_total", ("staff_full_time",), "专职人员不能多于年末从业人员"),
    ("staff_total", ("staff_full_time", "staff_part_time"), "专职与兼职人员之和不能多于从业人员"),
    (
        "staff_total",
        ("staff_senior", "staff_intermediate"),
        "高级与中级职称人数之和不能多于从业人员",
    ),
    (
        "floor_area",
        ("floor_area_activity", "floor_area_office"),
        "各项用房面积之和不能大于实际使用面积",
    ),
    ("computers", ("computers_public",), "供公众使用的计算机不能多于计算机总数"),
    (
        "income_total",
        ("income_fiscal", "income_other"),
        "财政拨款与其他收入之和不能大于本年收入合计",
    ),
    (
        "expense_total",
        ("expense_basic", "expense_project"),
        "基本支出与项目支出之和不能大于本年支出合计",
    ),
)


@dataclass
class AnnualFacts(Record):
    """The facts of one station for one year (the synced row ``annual_facts``)."""

    year: int = 0
    staff_total: int = 0
    staff_full_time: int = 0
    staff_part_time: int = 0
    staff_senior: int = 0
    staff_intermediate: int = 0
    floor_area: float = 0.0
    floor_area_activity: float | None = None  # None = not known ("—"); 0 = typed 0
    floor_area_office: float | None = None
    computers: int = 0
    computers_public: int = 0
    books: int = 0
    stage_vehicles: int = 0
    weekly_open_hours: float = 0.0
    income_total: float = 0.0
    income_fiscal: float = 0.0
    income_other: float = 0.0
    expense_total: float = 0.0
    expense_basic: float = 0.0
    expense_project: float = 0.0
    assets_total: float = 0.0
    fixed_assets: float = 0.0
    population: int = 0  # 0 = not entered: per-resident figures show "—"
    population_source: str = ""
    unit_code: str = ""
    notes: str = ""
    confirmed: bool = False
    confirmed_by: str = ""
    confirmed_on: str = ""
    carried_from: int = 0  # the year the values were copied from (0: typed for this year)
    id: str | None = None


def value_fields() -> list[str]:
    """The fields a person types (not year, confirmation or origin)."""
    return [s.name for s in SPECS]


# -- typed input ---------------------------------------------------------------------------
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _parse_number(spec: FactSpec, text: str) -> tuple[Any, str]:
    """``(value, message)``; an empty cell is 0, or None (unknown) for an item filled where
    known."""
    raw = (text or "").strip().replace(",", "").replace("，", "")
    raw = raw.translate(str.maketrans("０１２３４５６７８９．－", "0123456789.-"))
    if not raw:
        return (None if spec.unknown_ok else 0 if spec.kind == "int" else 0.0), ""
    if not _NUMBER.match(raw):
        return None, tr(C, "请输入数字（不带单位）")
    if spec.kind == "int":
        if "." in raw and float(raw) != int(float(raw)):
            return None, tr(C, "请输入整数")
        return int(float(raw)), ""
    return round(float(raw), 2), ""


def parse_input(values: dict[str, Any], base: AnnualFacts) -> tuple[AnnualFacts, dict[str, str]]:
    """Apply typed values (text, as from a form or the command line) to a copy of ``base``.

    :returns: the facts and ``{field: message}`` for text that is not a number (the field keeps
        its old value in the returned facts; check :func:`validate` on them too).
    """
    data = {f.name: getattr(base, f.name) for f in fields(AnnualFacts)}
    errors: dict[str, str] = {}
    for name, text in values.items():
        spec = SPEC.get(name)
        if spec is None:
            errors[name] = tr(C, "没有这一项")
            continue
        if spec.kind == "text":
            data[name] = str(text or "").strip()
            continue
        if isinstance(text, (int, float)) and not isinstance(text, bool):
            text = str(text)
        value, message = _parse_number(spec, str(text or ""))
        if message:
            errors[name] = message
        else:
            data[name] = value
    return AnnualFacts(**data), errors


# -- rules -----------------------------------------------------------------------------------
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_ok(code: str) -> bool:
    """An 18-character 统一社会信用代码 with a correct check character (GB 32100-2015)."""
    if len(code) != 18 or any(ch not in _USCC_CHARS for ch in code):
        return False
    total = sum(_USCC_CHARS.index(ch) * w for ch, w in zip(code[:17], _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31] == code[17]


def _check_unit_code(code: str) -> str:
    code = code.strip().upper()
    if not code:
        return ""
    if len(code) == 18:
        return "" if uscc_ok(code) else tr(C, "统一社会信用代码校验位不对，请核对18位代码")
    if re.fullmatch(r"[0-9A-Z]{8}-?[0-9X]", code):
        return ""  # a 9-character unit (organisation) code
    return tr(C, "请填写18位统一社会信用代码，或9位单位代码")


def validate(facts: AnnualFacts, *, today: dt.date | None = None) -> dict[str, str]:
    """Check the facts of one year. :returns: ``{field: Chinese message}``, empty when valid."""
    today = today or dt.date.today()
    errors: dict[str, str] = {}
    if not isinstance(facts.year, int) or not MIN_YEAR <= facts.year <= today.year + 1:
        errors["year"] = tr(C, "年度应在{}至{}年之间").format(MIN_YEAR, today.year + 1)
    for spec in SPECS:
        value = getattr(facts, spec.name)
        if spec.kind == "text":
            if not isinstance(value, str) or len(value) > (500 if spec.name == "notes" else 100):
                errors[spec.name] = tr(C, "内容过长")
            continue
        if value is None and spec.unknown_ok:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            errors[spec.name] = tr(C, "请输入数字")
        elif spec.kind == "int" and not float(value).is_integer():
            errors[spec.name] = tr(C, "请输入整数")
        elif value < 0:
            errors[spec.name] = (
                tr(C, "金额不能为负数") if spec.kind == "money" else tr(C, "不能为负数")
            )
        elif value > (MAX_MONEY if spec.kind == "money" else spec.limit):
            errors[spec.name] = tr(C, "数值过大，请检查是否多输了位数或单位（金额以千元计）")
    for whole, parts, message in PARTS:
        if any(p in errors for p in (whole, *parts)):
            continue
        known = [getattr(facts, p) for p in parts if getattr(facts, p) is not None]
        if sum(known) > getattr(facts, whole) + 1e-6:
            errors.setdefault(parts[-1], tr(C, message))
    if "population" not in errors and 0 < facts.population < 100:
        errors["population"] = tr(C, "常住人口不足100人，请检查（不知道请留空）")
    if facts.population and not facts.population_source.strip():
        errors.setdefault(
            "population_source", tr(C, "请注明常住人口的来源（如：统计公报、第七次人口普查）")
        )
    message = _check_unit_code(facts.unit_code)
    if message:
        errors["unit_code"] = message
    return errors


def carry_over(previous: AnnualFacts, year: int) -> AnnualFacts:
    """Next year's starting point: last year's stock figures (staff, area, computers, books,
    vehicle, hours, population, unit code), money of the year left empty, not confirmed."""
    data = {s.name: getattr(previous, s.name) for s in SPECS if s.carried}
    return AnnualFacts(year=year, carried_from=previous.year, **data)


def missing_items(facts: AnnualFacts) -> list[str]:
    """What keeps the facts from being filed: labels, in the form's order."""
    out = []
    if not facts.confirmed:
        out.append(tr(C, "年度基本情况未确认"))
    if not facts.population:
        out.append(tr(C, "未填写常住人口（人均指标显示为“—”）"))
    return out
