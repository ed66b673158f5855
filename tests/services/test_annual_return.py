"""The annual return of a hand-computed year (tests/annual_year.py), figure by figure: the
figures, the .xlsx return sheet (numbers as numbers with a number format), the A4 PDF, the JSON
summary of the CLI; switching the city's definition of 培训人次; refusal while facts are
unconfirmed."""

from __future__ import annotations

import json

import openpyxl
import pytest

from pzh_core import return_sheet
from pzh_core.annual_return import ITEM
from pzh_core.domain.errors import ValidationError
from pzh_station.services.annual_facts import AnnualFactsService
from pzh_station.services.annual_return import ReturnService
from tests import annual_year as ay


@pytest.fixture
def year(services):
    ay.build(services.store)
    AnnualFactsService(services).save(ay.YEAR, ay.FACTS, confirm=True, today=ay.AS_OF)
    return services


def _sheet_values(path) -> dict[str, object]:
    """``{item label: cell}`` of the return sheet's value column."""
    ws = openpyxl.load_workbook(path).active
    out = {}
    for row in ws.iter_rows(min_row=1):
        if isinstance(row[0].value, int) and row[1].value:
            out[row[1].value] = row[3]
    return out


def test_every_figure_of_the_hand_computed_year(year):
    total = ReturnService(year).figures(ay.YEAR, as_of=ay.AS_OF).total
    assert {k: total[k] for k in ay.EXPECTED} == ay.EXPECTED


def test_return_sheet_xlsx_has_the_figures_as_numbers(year, tmp_path):
    out = ReturnService(year).write(tmp_path / "年报.xlsx", ay.YEAR, as_of=ay.AS_OF)
    cells = _sheet_values(out)
    for key, expected in ay.SHEET.items():
        cell = cells[ITEM[key].label]
        assert cell.value == pytest.approx(expected), key
        if expected != "—":
            assert isinstance(cell.value, (int, float)) and cell.number_format != "General", key
    assert cells["#群众活动用房面积"].value == "—"  # not known
    assert cells["#办公用房面积"].value == 0  # a typed 0
    assert cells["人均公共文化服务次数"].number_format == "0.00"
    ws = openpyxl.load_workbook(out).active
    text = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert "统一社会信用代码" in text and "表号" in text and "单位负责人：" in text
    assert any("培训人次按参加培训的人数" in t for t in text)  # the definition used is stated
    assert "2024年攀枝花市统计公报" in "".join(text)  # and the population's source


def test_return_sheet_pdf_is_a4_with_unit_and_signature_blocks(year, tmp_path):
    from pypdf import PdfReader

    out = ReturnService(year).write(tmp_path / "年报.pdf", ay.YEAR, as_of=ay.AS_OF)
    reader = PdfReader(out)
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    lines = "".join(p.extract_text() for p in reader.pages).replace(" ", "")
    # a floor-area part not known prints "—", a typed 0 prints 0
    assert "#群众活动用房面积\n平方米\n—\n" in lines and "#办公用房面积\n平方米\n0\n" in lines
    text = lines
    for word in (
        "单位名称",
        "表号",
        "统计年度",
        "单位负责人",
        "统计负责人",
        "填表人",
        "报出日期",
        "盖章",
    ):
        assert word in text, word


def test_json_summary_has_the_return(year, cli):
    year.close()
    out = cli(
        "report",
        "summary",
        "--year",
        str(ay.YEAR),
        "--as-of",
        ay.AS_OF.isoformat(),
        "--json",
        check=True,
    )
    data = json.loads(out.stdout)["annual_return"]
    assert {k: data[k] for k in ay.EXPECTED} == ay.EXPECTED
    assert data["definitions"]["trainee_visits"] == "participants"
    assert data["facts_status"] == "完整"


def test_switching_the_definition_changes_exactly_trainee_visits(year):
    before = ReturnService(year).figures(ay.YEAR, as_of=ay.AS_OF)
    data = {**before.definitions.to_json(), "trainee_visits": "sign_ins", "version": "test-2"}
    ay.receive_definitions(year.store, data)
    after = ReturnService(year).figures(ay.YEAR, as_of=ay.AS_OF)
    assert after.definitions.trainee_visits == "sign_ins"
    changed = {k for k in before.total if before.total[k] != after.total[k]}
    # 培训人次 and its comparison swap; the sums made from it move by exactly the difference
    assert changed == {
        "trainee_visits",
        "trainee_visits_other",
        "total_visits",
        "visits_per_resident",
    }
    assert (after.total["trainee_visits"], after.total["trainee_visits_other"]) == (28, 25)
    assert after.total["total_visits"] == before.total["total_visits"] + 3
    assert after.total["visits_per_resident"] == pytest.approx(333 / 1000)


def test_art_kinds_come_from_the_definition_file(year):
    data = {**ReturnService(year).figures(ay.YEAR).definitions.to_json(), "version": "t"}
    data["art_activity_kinds"] = ["performance", "mass_sports", "reading", "digital"]
    ay.receive_definitions(year.store, data)
    total = ReturnService(year).figures(ay.YEAR, as_of=ay.AS_OF).total
    # A2 reading and A3 digital move from 其他活动 to 文艺活动; the total stays the sum of its rows
    assert (total["art_activities"], total["other_activities"]) == (4, 0)
    assert total["total_activities"] == 9


def test_unconfirmed_facts_refuse_the_return_but_allow_a_draft(services, tmp_path):
    ay.build(services.store)
    AnnualFactsService(services).save(ay.YEAR, ay.FACTS, today=ay.AS_OF)  # saved, not confirmed
    with pytest.raises(ValidationError) as err:
        ReturnService(services).write(tmp_path / "r.xlsx", ay.YEAR, as_of=ay.AS_OF)
    assert "尚未确认" in err.value.errors["facts"]
    out = ReturnService(services).write(tmp_path / "r.xlsx", ay.YEAR, as_of=ay.AS_OF, draft=True)
    assert "草稿" in openpyxl.load_workbook(out).active["A1"].value


def test_without_population_per_resident_is_a_dash(services, tmp_path):
    ay.build(services.store)
    facts = {k: v for k, v in ay.FACTS.items() if not k.startswith("population")}
    facts.update(population="", population_source="")
    AnnualFactsService(services).save(ay.YEAR, facts, confirm=True, today=ay.AS_OF)
    total = ReturnService(services).figures(ay.YEAR, as_of=ay.AS_OF).total
    assert total["population"] is None and total["visits_per_resident"] is None
    out = ReturnService(services).write(tmp_path / "r.xlsx", ay.YEAR, as_of=ay.AS_OF)
    assert _sheet_values(out)["人均公共文化服务次数"].value == return_sheet.DASH


def test_sheet_and_docs_list_every_item_with_its_definition_in_one_order(year, tmp_path):
    """What the return prints is the list of items (pzh_core.annual_return.ITEMS), in order with
    their units, and docs/indicators.md lists the same items with the same 口径 and source."""
    from pzh_core.annual_return import ITEMS

    out = ReturnService(year).write(tmp_path / "年报.xlsx", ay.YEAR, as_of=ay.AS_OF)
    ws = openpyxl.load_workbook(out).active
    printed = [
        (r[0].value, r[1].value, r[2].value) for r in ws.iter_rows() if isinstance(r[0].value, int)
    ]
    assert printed == [(i, it.label, it.unit) for i, it in enumerate(ITEMS, start=1)]
    docs = (ay.ROOT / "docs" / "indicators.md").read_text(encoding="utf-8")
    section = docs[docs.index("## The annual return") :]
    table = [
        [c.strip() for c in line.strip().strip("|").split("|")]
        for line in section.splitlines()
        if line.startswith("| ") and line.split("|")[1].strip().isdigit()
    ]
    assert table == [
        [str(i), it.label, it.unit, f"`{it.key}`", it.note, it.source]
        for i, it in enumerate(ITEMS, start=1)
    ]
