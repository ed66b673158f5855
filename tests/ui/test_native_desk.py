"""The desk as a Windows program: menu bar, help offline, about, diagnostics for IT, restore in
the app, the log file, the crash handler, progress of an import, reports' open buttons."""

from __future__ import annotations

import json
import logging
import zipfile

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMenu, QTextBrowser

from pzh_core import tabular
from pzh_core.domain.activity import Activity
from pzh_station import logs
from pzh_station.services import maintenance
from pzh_station.services.activities import ActivityFilter, ActivityService
from pzh_station.services.context import open_services
from pzh_station.services.station import StationProfile, StationService
from pzh_station.ui import crash, help_dialogs, transfers
from pzh_station.ui.app import Launcher
from pzh_station.ui.main_window import MainWindow
from tests.ui_helpers import settle


@pytest.fixture
def window(qtbot, ctx):
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.show()
    settle(qtbot, ctx)
    return w


def menu_texts(window) -> dict[str, list[str]]:
    # (QAction.menu() hands the C++ menu over to Python in PySide6: not used here)
    top = [m for m in window.menuBar().findChildren(QMenu) if m.parent() is window.menuBar()]
    return {
        m.title().split("(")[0]: [a.text().split("(")[0] for a in m.actions() if a.text()]
        for m in top
    }


def test_menu_bar_in_the_windows_convention(window):
    menus = menu_texts(window)
    assert menus["文件"] == ["导入", "导出", "备份", "从备份恢复", "退出"]
    assert menus["帮助"] == ["使用说明", "导出诊断信息", "关于"]
    assert window.actions_by_key["guide"].shortcut() == QKeySequence("F1")


def test_f1_opens_the_staff_guide_shipped_with_the_app(qtbot, window):
    assert help_dialogs.guide_path().is_file()
    window.actions_by_key["guide"].trigger()
    dialog = window.guide_dialog
    assert dialog.isVisible()
    text = dialog.findChild(QTextBrowser).toPlainText()
    assert "当前录入人" in text and "找不到" not in text


def test_about_names_version_data_folder_server_and_device(qtbot, window, ctx):
    window.actions_by_key["about"].trigger()
    qtbot.waitUntil(lambda: getattr(window, "about_box", None) is not None, timeout=5000)
    text = window.about_box.text()
    assert "版本" in text and str(ctx.data_dir) in text
    assert "市同步服务器：未注册" in text and "本机设备号：未注册" in text


def test_diagnostics_zip_has_logs_versions_and_sync_state_and_no_personal_data(
    qtbot, window, ctx, services, tmp_path
):
    logs.setup(ctx.data_dir)
    logging.getLogger("pzh_station.test").info("something happened")
    ActivityService(services).save(Activity(title="王秀英家访", date="2025-03-01", kind="lecture"))
    out = tmp_path / "诊断.zip"
    window.actions_by_key["diagnostics"]  # the menu entry exists; the file dialog is skipped here
    help_dialogs.export_diagnostics(window, str(out))
    qtbot.waitUntil(lambda: getattr(window, "diagnostics_box", None) is not None, timeout=10_000)
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        assert {"versions.json", "sync-state.json", "check.txt", "logs/pzh-station.log"} <= names
        versions = json.loads(zf.read("versions.json"))
        assert versions["qt"] and versions["app_version"]
        assert "token" not in json.loads(zf.read("sync-state.json"))
        everything = b"".join(zf.read(n) for n in names).decode("utf-8")
    assert "something happened" in everything
    assert "王秀英" not in everything and "李明" not in everything  # no personal data
    buttons = [b.text() for b in window.diagnostics_box.buttons()]
    assert "打开所在文件夹" in buttons


def test_uncaught_exception_is_logged_and_shown_in_chinese(qtbot, ctx):
    log_file = logs.setup(ctx.data_dir)
    try:
        raise RuntimeError("boom in a slot")
    except RuntimeError as exc:
        crash.handle(type(exc), exc, exc.__traceback__)
    box = crash.handle.last_box
    try:
        assert box.isVisible() and "意外错误" in box.text() and "导出诊断信息" in box.text()
        text = log_file.read_text(encoding="utf-8")
        assert "uncaught exception" in text and "boom in a slot" in text and "Traceback" in text
    finally:
        box.done(0)


def test_import_from_the_menu_shows_progress_and_can_be_cancelled(
    qtbot, window, services, tmp_path
):
    rows = [[f"讲座{i}", "2025-03-01", "讲座", 10] for i in range(450)]
    path = tabular.write_table(
        tmp_path / "活动.xlsx", ["活动名称", "日期", "活动类型", "参与人次"], rows
    )
    seen: list[tuple[int, int, str]] = []
    progress = transfers.import_activities(window, str(path))
    progress.reporter.progressed.connect(lambda d, t, w: seen.append((d, t, w)))
    settle(qtbot, window.ctx)
    assert ActivityService(services).count() == 450
    assert seen and seen[-1][1] == 450  # rows of the total were reported
    # cancelled before it ends: nothing written (the write is one transaction)
    progress = transfers.import_activities(window, str(path))
    progress.reporter.cancel_event.set()
    settle(qtbot, window.ctx)
    assert ActivityService(services).count() == 450
    assert "已取消导入" in window.statusBar().currentMessage()


def test_restore_a_backup_in_the_running_app(qtbot, data_dir):
    s = open_services(data_dir)
    StationService(s).save_profile(
        StationProfile(name="大田镇综合文化站", county="仁和区", staff=["李明"])
    )
    ActivityService(s).save(Activity(title="备份前的活动", date="2025-03-01", kind="lecture"))
    s.close()
    maintenance.backup_now(data_dir)
    s = open_services(data_dir)
    ActivityService(s).save(Activity(title="备份后的活动", date="2025-03-02", kind="lecture"))
    s.close()
    launcher = Launcher(data_dir)
    launcher.start()
    try:
        window = launcher.window
        page = window.show_page("settings")
        settle(qtbot, launcher.ctx)
        assert page.backup_list.count() == 1
        assert (
            "活动 1" in page.backup_list.item(0).text() and "MB" in page.backup_list.item(0).text()
        )
        assert not page.restore_button.isEnabled() and page.restore_button.toolTip()
        page.backup_list.setCurrentRow(0)
        assert page.restore_button.isEnabled()
        qtbot.mouseClick(page.restore_button, Qt.MouseButton.LeftButton)
        box = page.restore_box
        assert "新的注册码" in box.text()  # a backup holds no token: another PC needs a code
        restore = next(b for b in box.buttons() if b.text() == "恢复")
        with qtbot.waitSignal(launcher.main_window_shown, timeout=10_000):
            restore.click()
        assert launcher.window is not window and launcher.window.isVisible()
        settle(qtbot, launcher.ctx)
        s = open_services(data_dir)
        titles = [ActivityService(s).get(i).title for i in ActivityService(s).ids(ActivityFilter())]
        s.close()
        assert titles == ["备份前的活动"]
        assert "已从备份恢复" in launcher.window.statusBar().currentMessage()
        assert any("pre-restore-" in b.path.name for b in maintenance.backup_infos(data_dir))
    finally:
        if launcher.window is not None:
            launcher.window.close()
        launcher.shutdown()


def test_reports_offer_open_file_and_folder_after_saving(qtbot, ctx, tmp_path):
    from pzh_station.ui.reports_page import ReportsPage

    page = ReportsPage(ctx)
    qtbot.addWidget(page)
    page.show()
    target = tmp_path / "年报.xlsx"
    page.ask_path = lambda suggested, file_filter: str(target)
    qtbot.mouseClick(page.annual_button, Qt.MouseButton.LeftButton)
    assert page.progress_bar.isVisible() and page.cancel_button.isVisible()
    assert not page.annual_button.isEnabled() and page.annual_button.toolTip()
    settle(qtbot, ctx)
    assert page.open_file_button.isVisible() and page.open_folder_button.isVisible()
    assert page.saved_path == target and not page.progress_bar.isVisible()
    # cancelled: the file is not kept
    target.unlink()
    qtbot.mouseClick(page.annual_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(page.cancel_button, Qt.MouseButton.LeftButton)
    settle(qtbot, ctx)
    assert not target.exists() and "已取消" in page.status_label.text()
    assert not page.open_file_button.isVisible()


def test_sync_attempts_and_outcomes_go_to_the_log(qtbot, ctx):
    from pzh_station.ui.sync_page.agent import SyncAgent

    log_file = logs.setup(ctx.data_dir)
    agent = SyncAgent(ctx, autostart=False)
    try:
        with qtbot.waitSignal(agent.status_changed, timeout=10_000):
            agent._submit("status")
        text = log_file.read_text(encoding="utf-8")
        assert "sync status: attempt" in text and "sync status: ok" in text
    finally:
        agent.shutdown()


def test_file_menu_entries_open_their_page_and_do_what_its_button_does(qtbot, window, monkeypatch):
    """Each 文件 entry that belongs to a page shows that page and runs the page's own action."""
    from pzh_station.ui.settings_page import SettingsPage
    from pzh_station.ui.training.page import TrainingPage
    from pzh_station.ui.volunteers.page import VolunteersPage

    def current_page():
        return window.stack.currentWidget().widget()

    window.actions_by_key["import_roster"].trigger()
    page = current_page()
    assert isinstance(page, TrainingPage)
    assert "请先在左侧选择一个培训班" in page.status_label.text()

    asked: list[str] = []
    monkeypatch.setattr(VolunteersPage, "ask_open_path", lambda self, title, f: asked.append(title))
    monkeypatch.setattr(
        VolunteersPage, "ask_save_path", lambda self, title, n, f: asked.append(title)
    )
    window.actions_by_key["import_volunteers"].trigger()
    assert isinstance(current_page(), VolunteersPage)
    window.actions_by_key["export_volunteers"].trigger()
    assert asked == ["导入志愿者档案", "导出志愿者档案"]

    window.actions_by_key["restore"].trigger()
    settings = current_page()
    assert isinstance(settings, SettingsPage)
    assert window.focusWidget() is settings.backup_list
