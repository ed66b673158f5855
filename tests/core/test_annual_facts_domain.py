"""The annual facts' rules: typed text parsed, every wrong value named at its field."""

from __future__ import annotations

import datetime as dt

from pzh_core.domain import annual_facts as rules
from pzh_core.domain.annual_facts import AnnualFacts

TODAY = dt.date(2026, 3, 1)


def uscc(body: str) -> str:
    """A valid 统一社会信用代码 for a 17-character body (the check character computed)."""
    total = sum(
        rules._USCC_CHARS.index(c) * w for c, w in zip(body, rules._USCC_WEIGHTS, strict=True)
    )
    return body + rules._USCC_CHARS[(31 - total % 31) % 31]


def test_text_in_number_fields_and_negative_money_are_named_at_the_field():
    facts, errors = rules.parse_input(
        {"staff_total": "四", "income_total": "12万", "books": "1,200", "floor_area": "８５０.５"},
        AnnualFacts(year=2025),
    )
    assert errors == {
        "staff_total": "请输入数字（不带单位）",
        "income_total": "请输入数字（不带单位）",
    }
    assert (facts.books, facts.floor_area) == (1200, 850.5)  # separators and full-width digits
    facts, errors = rules.parse_input({"computers": "2.5"}, AnnualFacts(year=2025))
    assert errors == {"computers": "请输入整数"}
    bad = AnnualFacts(year=2025, income_fiscal=-1.0, staff_total=2, staff_full_time=3)
    assert rules.validate(bad, today=TODAY) == {
        "income_fiscal": "金额不能为负数",
        "staff_full_time": "专职人员不能多于年末从业人员",
    }


def test_parts_never_exceed_their_whole():
    facts = AnnualFacts(
        year=2025,
        staff_total=3,
        staff_full_time=2,
        staff_part_time=2,
        computers=5,
        computers_public=6,
        income_total=100.0,
        income_fiscal=80.0,
        income_other=30.0,
        expense_total=50.0,
        expense_basic=50.0,
    )
    assert rules.validate(facts, today=TODAY) == {
        "staff_part_time": "专职与兼职人员之和不能多于从业人员",
        "computers_public": "供公众使用的计算机不能多于计算机总数",
        "income_other": "财政拨款与其他收入之和不能大于本年收入合计",
    }


def test_population_needs_its_source_and_unit_code_its_check_character():
    code = uscc("12510411MB1C0000A")  # any 17 characters of the code's alphabet
    ok = AnnualFacts(
        year=2025, population=23_000, population_source="2024年统计公报", unit_code=code
    )
    assert rules.validate(ok, today=TODAY) == {}
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    bad = AnnualFacts(year=2025, population=23_000, unit_code=wrong)
    errors = rules.validate(bad, today=TODAY)
    assert set(errors) == {"population_source", "unit_code"}
    assert "校验位" in errors["unit_code"]
    assert rules.validate(AnnualFacts(year=2025, unit_code="MA6CXX12-3"), today=TODAY) == {}
    assert rules.validate(AnnualFacts(year=2031), today=TODAY) == {
        "year": "年度应在2000至2027年之间"
    }


def test_carry_over_keeps_stock_figures_and_leaves_money_empty():
    last = AnnualFacts(
        year=2024,
        staff_total=4,
        books=6000,
        population=23_000,
        population_source="七普",
        income_total=300.0,
        confirmed=True,
    )
    nxt = rules.carry_over(last, 2025)
    assert (nxt.year, nxt.carried_from, nxt.confirmed) == (2025, 2024, False)
    assert (nxt.staff_total, nxt.books, nxt.population, nxt.income_total) == (4, 6000, 23_000, 0)


def test_floor_area_parts_tell_unknown_from_zero():
    """A part left empty is not known (None: "—", adds nothing); a typed 0 is 0; the rule
    counts the known parts only, and names the part at its field."""
    facts, errors = rules.parse_input(
        {"floor_area": "800", "floor_area_activity": "", "floor_area_office": "0"},
        AnnualFacts(year=2025, floor_area_activity=120.0),
    )
    assert errors == {}
    assert (facts.floor_area_activity, facts.floor_area_office) == (None, 0.0)
    assert rules.validate(facts, today=TODAY) == {}
    # other numbers left empty are still 0
    facts, _ = rules.parse_input({"books": ""}, AnnualFacts(year=2025, books=5))
    assert facts.books == 0
    # the known parts may not add up to more than the whole; an unknown one adds nothing
    over = AnnualFacts(year=2025, floor_area=800.0, floor_area_activity=None)
    over.floor_area_office = 800.5
    assert rules.validate(over, today=TODAY) == {
        "floor_area_office": "各项用房面积之和不能大于实际使用面积"
    }
    over = AnnualFacts(
        year=2025, floor_area=800.0, floor_area_activity=700.0, floor_area_office=101.0
    )
    assert rules.validate(over, today=TODAY) == {
        "floor_area_office": "各项用房面积之和不能大于实际使用面积"
    }
    facts, errors = rules.parse_input(
        {"floor_area_activity": "-5", "floor_area_office": "九十"}, AnnualFacts(year=2025)
    )
    assert errors == {"floor_area_office": "请输入数字（不带单位）"}
    assert rules.validate(facts, today=TODAY) == {"floor_area_activity": "不能为负数"}
    # last year's unknown stays unknown in next year's starting point
    carried = rules.carry_over(AnnualFacts(year=2024, floor_area_office=60.0), 2025)
    assert (carried.floor_area_activity, carried.floor_area_office) == (None, 60.0)


def test_the_protocol_takes_null_for_a_part_and_only_for_it():
    import pytest

    from pzh_core import protocol

    def change(fields):
        return {"seq": 1, "t": "annual_facts", "id": "r1", "s": STAMP, "f": fields}

    protocol.validate_change(change({"floor_area_activity": None, "floor_area_office": 0}))
    protocol.validate_change(change({"floor_area_office": 12.5}))
    for bad in ({"floor_area": None}, {"floor_area_office": "12"}, {"books": None}):
        with pytest.raises(protocol.ProtocolError):
            protocol.validate_change(change(bad))


STAMP = "1790000000000.0000." + "a" * 32


def test_an_unknown_part_and_a_zero_part_have_different_digest_values():
    from pzh_core import digest

    assert digest.canonical_value("opt_real", None) == ""
    assert digest.canonical_value("opt_real", 0) == digest.canonical_value("opt_real", 0.0)
    assert digest.canonical_value("opt_real", 0.0) == "0.0"
    assert digest.canonical_value("opt_real", 500) == digest.canonical_value("real", 500.0)
