"""The annual facts page: typed values saved and confirmed; bad input shown at each field."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt

from pzh_station.services.annual_facts import AnnualFactsService
from tests.ui_helpers import open_window, settle, type_text

YEAR = dt.date.today().year


def _page(qtbot, window):
    page = window.show_page("annual")
    page.year_spin.setValue(YEAR)
    settle(qtbot, window.ctx)
    return page


def _retype(qtbot, page, name, text):
    page.inputs[name].clear()
    type_text(qtbot, page.inputs[name], text)


def test_bad_input_is_shown_at_each_field_and_nothing_saved(qtbot, window, services):
    page = _page(qtbot, window)
    assert "未确认" in page.status.text()
    _retype(qtbot, page, "staff_total", "2")
    _retype(qtbot, page, "staff_full_time", "3")
    _retype(qtbot, page, "income_total", "三百")
    _retype(qtbot, page, "expense_total", "-5")
    qtbot.mouseClick(page.confirm_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window.ctx)
    assert page.errors.message("staff_full_time") == "专职人员不能多于年末从业人员"
    assert page.errors.message("income_total") == "请输入数字（不带单位）"
    assert page.errors.message("expense_total") == "金额不能为负数"
    assert page.errors.message("staff_total") == ""
    assert not AnnualFactsService(services).view(YEAR).stored


def test_save_and_confirm(qtbot, window, services):
    page = _page(qtbot, window)
    _retype(qtbot, page, "staff_total", "4")
    _retype(qtbot, page, "staff_full_time", "3")
    _retype(qtbot, page, "population", "23100")
    _retype(qtbot, page, "population_source", "2024年统计公报")
    _retype(qtbot, page, "income_total", "320.5")
    qtbot.mouseClick(page.confirm_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window.ctx)
    assert page.status.text().startswith("已确认（李明")
    view = AnnualFactsService(services).view(YEAR)
    assert view.fileable
    f = view.facts
    assert (f.staff_total, f.staff_full_time, f.population, f.income_total) == (4, 3, 23_100, 320.5)
    assert f.population_source == "2024年统计公报"
    # an edit without confirming takes the confirmation away
    _retype(qtbot, page, "books", "5000")
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window.ctx)
    assert "未确认" in page.status.text()
    assert not AnnualFactsService(services).view(YEAR).fileable


def test_floor_area_parts_left_empty_are_unknown_and_a_typed_zero_stays(
    qtbot, window, services, tmp_path
):
    page = _page(qtbot, window)
    window.resize(1366, 768)
    activity, office = page.inputs["floor_area_activity"], page.inputs["floor_area_office"]
    assert activity.placeholderText() == "—" and page.inputs["books"].placeholderText() == "0"
    _retype(qtbot, page, "floor_area", "300")
    _retype(qtbot, page, "floor_area_activity", "250")
    _retype(qtbot, page, "floor_area_office", "80")
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window.ctx)
    # the known parts add up to more than the whole: said at the field, nothing saved
    assert page.errors.message("floor_area_office") == "各项用房面积之和不能大于实际使用面积"
    assert not AnnualFactsService(services).view(YEAR).stored
    page.inputs["floor_area_activity"].clear()  # not known
    _retype(qtbot, page, "floor_area_office", "0")  # there is none
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window.ctx)
    assert page.errors.message("floor_area_office") == ""
    f = AnnualFactsService(services).view(YEAR).facts
    assert (f.floor_area, f.floor_area_activity, f.floor_area_office) == (300.0, None, 0.0)
    # shown again as saved: empty under its "—" for unknown, "0" for the typed 0
    page.load()
    settle(qtbot, window.ctx)
    assert (activity.text(), office.text()) == ("", "0")
    window.grab().save(str(tmp_path / "annual-facts-1366x768.png"))
    import os
    import shutil

    if os.environ.get("PZH_SCREENSHOTS"):
        shutil.copy(tmp_path / "annual-facts-1366x768.png", os.environ["PZH_SCREENSHOTS"])


def test_facts_typed_before_joining_that_differ_from_the_servers_offer_the_choice(
    qtbot, services, tmp_path
):
    """Issue 12 situation 8 for the annual facts: the page shows the server's values with both
    versions side by side, and keeps the ones the user picks (never a silent overwrite)."""
    from pzh_core import hlc
    from pzh_core.domain.annual_facts import value_fields
    from pzh_station.store import annual as q

    store = services.store
    values = {
        "staff_total": "5",
        "staff_full_time": "3",
        "population": "1000",
        "population_source": "统计公报",
    }
    AnnualFactsService(services).save(YEAR, values, confirm=True)
    sid = store.station_id
    with store.transaction():  # what enrolling and the first full pull do (store/replica.py)
        q.hold_facts(store, sid)
        server = {
            **{k: 0 for k in ("staff_part_time", "books")},
            "year": YEAR,
            "staff_total": 4,
            "staff_full_time": 3,
            "population": 1000,
            "population_source": "统计公报",
            "confirmed": True,
            "confirmed_by": "王芳",
        }
        stamp = hlc.encode(hlc.wall_ms() - 1000, 0, "otherpc")
        store.apply_remote("annual_facts", q.facts_id(sid, YEAR), sid, server, stamp)
        q.settle_facts(store, value_fields())
    w = open_window(qtbot, services)
    ctx = w.ctx
    page = _page(qtbot, w)
    assert page.choice_box.isVisible()
    text = page.choice_label.text()
    assert f"{YEAR}年度" in text and "年末从业人员：本机 5，服务器 4" in text
    assert page.inputs["staff_total"].text() == "4"  # the server's, until the user chooses
    w.grab().save(str(tmp_path / "annual-choice.png"))
    qtbot.mouseClick(page.keep_mine_button, Qt.MouseButton.LeftButton)
    settle(qtbot, ctx)
    assert not page.choice_box.isVisible()
    assert page.inputs["staff_total"].text() == "5" and "未确认" in page.status.text()
    assert AnnualFactsService(services).choices() == {}
    w.close()
