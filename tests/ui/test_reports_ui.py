"""The overview and reports pages on the hand-counted dataset: what the page shows must be the
figures counted by hand (the same ones test_reports_figures checks in the JSON and the .xlsx)."""

from __future__ import annotations

import openpyxl
import pytest
from PySide6.QtCore import Qt

from pzh_core.domain.activity import Activity
from pzh_station.services.activities import ActivityService
from pzh_station.services.reports import format_value
from pzh_station.ui.overview import OverviewPage
from pzh_station.ui.overview.page import GROUPS
from pzh_station.ui.reports_page import ReportsPage
from tests.services.test_reports_figures import EXPECTED_2025, YEAR, build_dataset
from tests.ui_helpers import make_ctx, settle


@pytest.fixture
def ctx(services):
    build_dataset(services)
    services.close()  # the page's database thread opens the file itself
    c = make_ctx(services.data_dir)
    yield c
    c.tasks.shutdown()


@pytest.fixture
def overview(qtbot, ctx):
    page = OverviewPage(ctx)
    qtbot.addWidget(page)
    page.resize(1216, 700)  # the page area of the main window on a 1366×768 screen
    page.show()
    settle(qtbot, ctx)
    page.year_spin.setValue(YEAR)
    settle(qtbot, ctx)
    return page


def _shown(key: str, value) -> str:
    from pzh_core.indicators import INDICATORS

    text = format_value(key, value)
    return text if INDICATORS[key].unit == "%" else f"{text} {INDICATORS[key].unit}"


def test_overview_shows_the_hand_counted_figures(overview):
    keys = [k for _, ks in GROUPS for k in ks]
    assert set(keys) >= {
        "activities",
        "person_visits",
        "visits_per_resident",
        "special_group_activities",
        "mobile_activities",
        "training_classes",
        "training_sessions",
        "trainee_visits",
        "attendance_rate",
        "completers",
        "volunteers_active",
        "volunteer_hours_verified",
        "new_star_levels",
    }
    for key in keys:
        assert overview.value_text(key) == _shown(key, EXPECTED_2025[key]), key
    assert overview.value_text("activities") == "5 场"
    assert overview.value_text("attendance_rate") == "64.3%"  # 9 of 14
    # last year beside, the target pro-rated (2025 is over: the whole 14.6)
    card = overview.cards["activities"]
    assert card.previous_label.text() == "去年同期：1 场"
    assert "14.6" in card.target_label.text()
    # the month-by-month chart
    assert overview.chart.activities_shown() == [2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    assert overview.chart.visits_shown()[0] == 150
    # the checklist: lectures and trainings 2 of 12
    model = overview.checklist_model
    rows = dict(zip(model.column_texts(0), model.column_texts(3), strict=True))
    assert rows["公益讲座和培训"] == "还差 10 场" and rows["面向特殊群体的活动"] == "已完成"


def test_month_choice_and_clicking_a_figure_lists_its_records(qtbot, overview):
    overview.month_combo.setCurrentIndex(1)  # January
    settle(qtbot, overview.ctx)
    assert overview.value_text("activities") == "2 场"
    assert overview.value_text("person_visits") == "150 人次"
    qtbot.mouseClick(overview.cards["activities"], Qt.MouseButton.LeftButton)
    settle(qtbot, overview.ctx)
    dlg = overview.dialog
    assert dlg is not None and dlg.isVisible()
    titles = dlg.model.column_texts(2)
    assert titles == ["重阳文艺演出", "彝族文化讲座"]
    overview.month_combo.setCurrentIndex(0)
    settle(qtbot, overview.ctx)
    qtbot.mouseClick(overview.cards["completers"], Qt.MouseButton.LeftButton)
    settle(qtbot, overview.ctx)
    names = sorted(overview.dialog.model.column_texts(2))
    assert names == ["声乐班：张一", "声乐班：李二", "声乐班：赵四"]
    # a double-clicked checklist row opens the activities it counted
    view = overview.checklist
    row = overview.checklist_model.column_texts(0).index("公益讲座和培训")
    cell = view.visualRect(overview.checklist_model.index(row, 1)).center()
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=cell)
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=cell)
    settle(qtbot, overview.ctx)
    dlg = overview.dialog
    assert dlg.windowTitle().startswith("公益讲座和培训") and dlg.isVisible()
    assert sorted(dlg.model.column_texts(2)) == ["广场舞培训", "彝族文化讲座"]
    assert dlg.summary.text() == "共 2 条记录，合计：2"


def test_overview_refreshes_when_an_activity_is_saved(qtbot, overview):
    act = Activity(title="新加的讲座", date="2025-06-01", kind="lecture", attendance=40)
    overview.ctx.tasks.run(lambda s: ActivityService(s).save(act))
    settle(qtbot, overview.ctx)
    qtbot.waitUntil(lambda: overview.value_text("activities") == "6 场", timeout=10_000)
    assert overview.value_text("person_visits") == "250 人次"


def test_reports_page_writes_the_annual_and_monthly_files(qtbot, ctx, tmp_path):
    page = ReportsPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.annual_year.setValue(YEAR)
    target = tmp_path / "年报.xlsx"
    page.ask_path = lambda suggested, file_filter: str(target)
    qtbot.mouseClick(page.annual_button, Qt.MouseButton.LeftButton)
    settle(qtbot, ctx)
    assert "已保存" in page.status_label.text()
    ws = openpyxl.load_workbook(target).worksheets[0]
    values = {row[1]: row[3] for row in ws.iter_rows(min_row=2, values_only=True) if row and row[1]}
    assert values["组织文艺活动次数"] == EXPECTED_2025["art_activities"]
    assert values["培训签到人次"] == EXPECTED_2025["trainee_visits"]
    assert values["文化志愿者服务时长"] == pytest.approx(EXPECTED_2025["volunteer_hours_verified"])

    page.month_year.setValue(YEAR)
    page.month_combo.setCurrentIndex(2)  # March
    pdf_target = tmp_path / "三月"
    page.ask_path = lambda suggested, file_filter: str(pdf_target)
    qtbot.mouseClick(page.monthly_pdf_button, Qt.MouseButton.LeftButton)
    settle(qtbot, ctx)
    assert (tmp_path / "三月.pdf").read_bytes().startswith(b"%PDF")
    # a file that cannot be written: a clear message, no crash
    page.ask_path = lambda suggested, file_filter: str(tmp_path / "没有这个文件夹" / "x.xlsx")
    qtbot.mouseClick(page.monthly_xlsx_button, Qt.MouseButton.LeftButton)
    settle(qtbot, ctx)
    assert page.status_label.text().startswith("生成失败") and page.annual_button.isEnabled()
