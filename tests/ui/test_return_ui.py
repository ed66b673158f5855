"""The reports page's annual return buttons: refused with a clear message while the year's facts
are not confirmed; written as .xlsx and A4 .pdf once they are."""

from __future__ import annotations

import openpyxl
from PySide6.QtCore import Qt

from pzh_station.services.annual_facts import AnnualFactsService
from pzh_station.ui.reports_page import ReportsPage
from tests import annual_year as ay
from tests.ui_helpers import settle


def test_return_buttons(qtbot, ctx, services, tmp_path):
    ay.build(services.store)
    AnnualFactsService(services).save(ay.YEAR, ay.FACTS, today=ay.AS_OF)  # not confirmed
    page = ReportsPage(ctx)
    qtbot.addWidget(page)
    page.resize(1366, 700)
    page.show()
    page.annual_year.setValue(ay.YEAR)
    target = tmp_path / "年报表"
    page.ask_path = lambda suggested, file_filter: str(target)
    qtbot.mouseClick(page.return_xlsx_button, Qt.MouseButton.LeftButton)
    settle(qtbot, ctx)
    assert "年度基本情况尚未确认" in page.status_label.text()
    assert not (tmp_path / "年报表.xlsx").exists() and page.return_xlsx_button.isEnabled()

    AnnualFactsService(services).confirm(ay.YEAR, today=ay.AS_OF)
    qtbot.mouseClick(page.return_xlsx_button, Qt.MouseButton.LeftButton)
    settle(qtbot, ctx)
    assert "已保存" in page.status_label.text()
    ws = openpyxl.load_workbook(tmp_path / "年报表.xlsx").active
    cells = {row[1]: row[3] for row in ws.iter_rows(values_only=True) if isinstance(row[0], int)}
    assert cells["活动总场次"] == ay.EXPECTED["total_activities"]
    qtbot.mouseClick(page.return_pdf_button, Qt.MouseButton.LeftButton)
    settle(qtbot, ctx)
    assert (tmp_path / "年报表.pdf").read_bytes().startswith(b"%PDF")
