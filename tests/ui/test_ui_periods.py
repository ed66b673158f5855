"""报送审核 on the desk (issue 14), driven like a station worker: pick last month, see what is
incomplete, submit; then the activity form refuses an edit in that month with the reason under
the date field. Screenshots at 1366×768 (``PZH_SCREENSHOTS=dir`` keeps them)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from PySide6.QtCore import Qt

from pzh_core.domain.activity import Activity
from pzh_station.services.activities import ActivityService
from pzh_station.ui.activities import ActivitiesPage
from pzh_station.ui.periods_page import PeriodsPage
from tests.ui_helpers import settle


def _shot(widget, name: str, tmp_path: Path) -> None:
    folder = Path(os.environ.get("PZH_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    assert widget.grab().save(str(folder / f"{name}.png"))


def test_submit_last_month_then_the_form_refuses_an_edit_at_the_date(
    qtbot, ctx, services, tmp_path
):
    last = dt.date.today().replace(day=1) - dt.timedelta(days=1)
    aid = ActivityService(services).save(
        Activity(
            title="书法讲座", date=last.replace(day=5).isoformat(), kind="lecture", attendance=0
        )
    )
    page = PeriodsPage(ctx)
    qtbot.addWidget(page)
    page.resize(1366, 728)
    page.show()
    settle(qtbot, ctx)
    page.year.setValue(last.year)
    settle(qtbot, ctx)
    row = last.month - 1
    page.table.selectRow(row)
    settle(qtbot, ctx)
    assert "1 条活动未填参与人次" in page.detail.text()
    qtbot.mouseClick(page.submit_button, Qt.MouseButton.LeftButton)
    settle(qtbot, ctx)
    settle(qtbot, ctx)
    assert page.model.text(row, 1) == "已报送待审核"
    assert "李明" in page.model.text(row, 2)
    assert page.withdraw_button.isEnabled() and not page.submit_button.isEnabled()
    _shot(page, "periods-page", tmp_path)

    acts = ActivitiesPage(ctx)
    qtbot.addWidget(acts)
    acts.resize(1366, 728)
    acts.show()
    settle(qtbot, ctx, acts)
    acts.select_id(aid)
    qtbot.mouseClick(acts.edit_button, Qt.MouseButton.LeftButton)
    settle(qtbot, ctx)
    dlg = acts.dialog
    qtbot.keyClicks(dlg.attendance_edit, "30")
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, ctx)
    assert dlg.isVisible()
    assert "已报送待审核" in dlg.errors.message("date") and "撤回报送" in dlg.errors.message("date")
    assert dlg.errors.labels["date"].isVisible()
    _shot(dlg, "activity-form-locked", tmp_path)
    assert ActivityService(services).get(aid).attendance == 0  # nothing written

    # Withdrawn, the edit goes through.
    dlg.reject()
    page.table.selectRow(row)
    qtbot.mouseClick(page.withdraw_button, Qt.MouseButton.LeftButton)
    settle(qtbot, ctx)
    settle(qtbot, ctx)
    assert page.model.text(row, 1) == "已撤回"


def test_the_activity_forms_history_shows_who_changed_what(qtbot, ctx, services, tmp_path):
    svc = ActivityService(services)
    aid = svc.save(Activity(title="书法讲座", date="2026-03-05", kind="lecture", attendance=20))
    services.operator = "王芳"
    svc.save(Activity(**{**svc.get(aid).__dict__, "attendance": 35}))
    acts = ActivitiesPage(ctx)
    qtbot.addWidget(acts)
    acts.resize(1366, 728)
    acts.show()
    settle(qtbot, ctx)
    acts.select_id(aid)
    qtbot.mouseClick(acts.edit_button, Qt.MouseButton.LeftButton)
    settle(qtbot, ctx)
    dlg = acts.dialog
    assert dlg.history_button.isEnabled()
    qtbot.mouseClick(dlg.history_button, Qt.MouseButton.LeftButton)
    settle(qtbot, ctx)
    hist = dlg.history
    assert hist.isVisible() and hist.model.rowCount() == 2
    assert hist.model.text(0, 1) == "王芳（本机）"
    assert hist.model.text(0, 2) == "参与人次：20 → 35"
    first = hist.model.text(1, 2)
    assert "活动名称：（空） → 书法讲座" in first and "活动类型：（空） → 讲座" in first
    assert "地点" not in first  # left empty: nothing to show
    assert hist.model.text(1, 1) == "李明（本机）"
    _shot(hist, "history-dialog", tmp_path)
    # A new record has no history yet.
    qtbot.mouseClick(acts.add_button, Qt.MouseButton.LeftButton)
    settle(qtbot, ctx)
    assert not acts.dialog.history_button.isEnabled()
