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
