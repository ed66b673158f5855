"""The settings page: edit the station profile (staff feed the operator list), back up now."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from pzh_station import paths
from pzh_station.services.station import StationService
from pzh_station.ui.main_window import MainWindow
from tests.ui_helpers import make_ctx, settle, type_text


@pytest.fixture
def window(qtbot, services):
    ctx = make_ctx(services.data_dir)
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.show()
    settle(qtbot, ctx)
    yield w
    w.close()


def test_edit_profile_and_staff(qtbot, window, services):
    page = window.show_page("settings")
    settle(qtbot, window.ctx)
    form = page.form
    assert form.name_edit.text() == "测试镇综合文化站" and form.population_spin.value() == 20_000
    form.name_edit.clear()
    type_text(qtbot, form.name_edit, "测试镇文化站")
    form.staff_edit.moveCursor(form.staff_edit.textCursor().MoveOperation.End)
    type_text(qtbot, form.staff_edit, "\n张建国")
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window.ctx)
    assert page.saved_label.text() == "已保存"

    profile = StationService(services).profile()
    assert profile.name == "测试镇文化站"
    assert profile.staff == ["李明", "王芳", "张建国"]  # pinyin order
    # the operator list follows the staff list
    combo = window.operator_combo
    assert sorted(combo.itemText(i) for i in range(combo.count())) == ["张建国", "李明", "王芳"]
    assert "测试镇文化站" in window.windowTitle()


def test_invalid_profile_is_shown_at_the_field(qtbot, window, services):
    page = window.show_page("settings")
    settle(qtbot, window.ctx)
    page.form.name_edit.clear()
    page.form.staff_edit.moveCursor(page.form.staff_edit.textCursor().MoveOperation.End)
    type_text(qtbot, page.form.staff_edit, "\n李明")  # a duplicate name
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window.ctx)
    assert page.form.errors.message("name") == "请填写文化站名称"
    assert page.form.errors.message("staff") == "工作人员姓名重复"
    assert StationService(services).profile().name == "测试镇综合文化站"


def test_backup_now_lists_the_new_backup(qtbot, window, services):
    page = window.show_page("settings")
    settle(qtbot, window.ctx)
    before = page.backup_list.count()
    qtbot.mouseClick(page.backup_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window.ctx)
    files = list(paths.backups_dir(services.data_dir).glob("station-*.sqlite3"))
    assert len(files) == before + 1
    assert page.backup_list.count() == before + 1
    assert "已备份到" in page.backup_label.text()
