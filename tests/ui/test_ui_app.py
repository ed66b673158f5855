"""Starting the app for real: first run, the main window, the operator, a second instance, and
data files that cannot be used (restore a backup or quit; the file is never overwritten)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox

from pzh_core.domain.activity import Activity
from pzh_station import paths
from pzh_station.services import maintenance
from pzh_station.services.activities import ActivityFilter, ActivityService
from pzh_station.services.context import open_services
from pzh_station.services.station import StationProfile, StationService
from pzh_station.settings import Settings
from pzh_station.store import migrations
from pzh_station.store.lock import InstanceLock
from pzh_station.ui.app import Launcher
from pzh_station.ui.first_run import FirstRunDialog
from pzh_station.ui.restore_dialog import RestoreDialog
from tests.ui_helpers import settle, type_text


@pytest.fixture
def launch(qtbot):
    made: list[Launcher] = []

    def start(directory) -> Launcher:
        launcher = Launcher(directory)
        made.append(launcher)
        launcher.start()
        return launcher

    yield start
    for launcher in made:
        if launcher.window is not None:
            launcher.window.close()
        if launcher.dialog is not None:
            launcher.dialog.close()
        launcher.shutdown()


def dialog_text(dialog) -> str:
    return " ".join(label.text() for label in dialog.findChildren(QLabel))


def set_up_station(data_dir, staff=("李明", "王芳")):
    s = open_services(data_dir)
    StationService(s).save_profile(
        StationProfile(
            name="大田镇综合文化站", county="仁和区", population=23_000, staff=list(staff)
        )
    )
    return s


def test_first_run_then_main_window(qtbot, launch, data_dir):
    launcher = launch(data_dir)
    dialog = launcher.dialog
    assert isinstance(dialog, FirstRunDialog) and dialog.isVisible() and launcher.window is None

    # nothing typed: messages at the name and county fields, nothing saved
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, launcher.ctx)
    assert dialog.form.errors.message("name") == "请填写文化站名称"
    assert dialog.form.errors.message("county") == "请选择所属县（区）"
    assert launcher.window is None

    type_text(qtbot, dialog.form.name_edit, "仁和区大田镇综合文化站")
    dialog.form.county_combo.setCurrentIndex(dialog.form.county_combo.findText("仁和区"))
    dialog.form.population_spin.setValue(23_000)
    type_text(qtbot, dialog.form.staff_edit, "李明\n王芳")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: launcher.window is not None and launcher.window.isVisible())
    settle(qtbot, launcher.ctx)

    window = launcher.window
    assert "仁和区大田镇综合文化站" in window.windowTitle()
    assert [window.operator_combo.itemText(i) for i in range(window.operator_combo.count())] == [
        "李明",
        "王芳",
    ]
    assert window.operator_combo.currentText() == "李明"
    assert Settings(data_dir).get("operator") == "李明"
    assert window.stack.currentWidget() is window.scrolls["overview"]
    assert window.scrolls["overview"].widget() is window.page("overview")
    s = open_services(data_dir)
    profile = StationService(s).profile()
    s.close()
    assert (profile.name, profile.county, profile.population, profile.staff) == (
        "仁和区大田镇综合文化站",
        "仁和区",
        23_000,
        ["李明", "王芳"],
    )


def test_quitting_first_run_ends_the_app(qtbot, launch, data_dir):
    launcher = launch(data_dir)
    with qtbot.waitSignal(launcher.finished) as sig:
        qtbot.mouseClick(launcher.dialog.quit_button, Qt.MouseButton.LeftButton)
    assert sig.args == [0] and launcher.window is None


def test_operator_choice_is_remembered_and_stamped_on_records(qtbot, launch, data_dir):
    set_up_station(data_dir).close()
    launcher = launch(data_dir)
    qtbot.waitUntil(lambda: launcher.window is not None)
    settle(qtbot, launcher.ctx)
    window = launcher.window
    window.operator_combo.setCurrentIndex(1)
    window.operator_combo.activated.emit(1)
    assert Settings(data_dir).get("operator") == "王芳"

    page = window.page("activities")
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    settle(qtbot, launcher.ctx)
    type_text(qtbot, page.dialog.title_edit, "春节联欢会")
    page.dialog.date_edit.set_iso("2025-01-28")
    page.dialog.kind_combo.set_code("performance")
    qtbot.mouseClick(page.dialog.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, launcher.ctx, page)
    window.close()
    launcher.shutdown()

    s = open_services(data_dir)
    svc = ActivityService(s)
    (aid,) = svc.ids(ActivityFilter())
    assert svc.get(aid).created_by == "王芳"
    s.close()

    # the next start picks the same operator
    again = launch(data_dir)
    qtbot.waitUntil(lambda: again.window is not None)
    settle(qtbot, again.ctx)
    assert again.window.operator_combo.currentText() == "王芳"


def test_second_instance_is_refused_with_a_message(qtbot, launch, data_dir):
    set_up_station(data_dir).close()
    first = InstanceLock(data_dir)
    first.acquire()
    try:
        launcher = launch(data_dir)
        box = launcher.dialog
        assert isinstance(box, QMessageBox) and box.isVisible()
        assert "已经在运行" in box.text()
        assert launcher.window is None and launcher.ctx is None
        with qtbot.waitSignal(launcher.finished) as sig:
            box.button(QMessageBox.StandardButton.Ok).click()
        assert sig.args == [3]
    finally:
        first.release()


HOLDER = r"""
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from pathlib import Path
from PySide6.QtWidgets import QApplication
from pzh_station.ui.app import Launcher
app = QApplication([])
launcher = Launcher(Path(sys.argv[1]))
launcher.main_window_shown.connect(lambda w: print("shown", flush=True))
launcher.start()
app.exec()
"""


def test_second_app_process_is_refused(qtbot, launch, data_dir):
    set_up_station(data_dir).close()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    first = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(data_dir)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert first.stdout is not None and first.stdout.readline().strip() == "shown"
        launcher = launch(data_dir)
        assert isinstance(launcher.dialog, QMessageBox) and "已经在运行" in launcher.dialog.text()
        assert launcher.window is None
    finally:
        first.kill()
        first.wait(timeout=30)
        if first.stdout:
            first.stdout.close()
    # once the first app is gone (killed, even), the OS has released its lock
    again = launch(data_dir)
    qtbot.waitUntil(lambda: again.window is not None)
    settle(qtbot, again.ctx)


def test_corrupt_file_offers_restore_and_restores_a_backup(qtbot, launch, data_dir):
    s = set_up_station(data_dir)
    ActivityService(s).save(Activity(title="备份前的活动", date="2025-01-05", kind="lecture"))
    s.close()
    backup = maintenance.backup_now(data_dir)
    db = paths.db_path(data_dir)
    garbage = b"\x00garbage, not a database" * 100
    db.write_bytes(garbage)

    launcher = launch(data_dir)
    dialog = launcher.dialog
    assert isinstance(dialog, RestoreDialog) and dialog.isVisible()
    assert "不是SQLite" in dialog_text(dialog)
    assert "新的注册码" in dialog_text(dialog)  # a replacement PC needs a new code (issue 18)
    assert db.read_bytes() == garbage  # nothing touched yet
    assert dialog.list.count() == 1 and dialog.restore_button.isEnabled()
    qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: launcher.window is not None)
    settle(qtbot, launcher.ctx)
    page = launcher.window.page("activities")
    settle(qtbot, launcher.ctx, page)
    assert page.model.rowCount() == 1
    assert page.model.data(page.model.index(0, 2)) == "备份前的活动"
    # the unusable file was kept, byte for byte, before being replaced
    kept = list(paths.backups_dir(data_dir).glob("pre-restore-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == garbage
    assert backup.exists()


@pytest.mark.parametrize("damage", ["newer", "not_sqlite"])
def test_unusable_file_and_quit_leaves_it_untouched(qtbot, launch, data_dir, damage):
    set_up_station(data_dir).close()
    db = paths.db_path(data_dir)
    if damage == "newer":
        conn = sqlite3.connect(db)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute(f"PRAGMA user_version = {migrations.LATEST + 5}")
        conn.close()
    else:
        db.write_bytes(b"PK\x03\x04 this is a zip, not a station file")
    before = db.read_bytes()

    launcher = launch(data_dir)
    dialog = launcher.dialog
    assert isinstance(dialog, RestoreDialog)
    assert dialog.list.count() == 0 and not dialog.restore_button.isEnabled()  # no backups yet
    texts = dialog_text(dialog)
    assert ("更新版本" in texts) if damage == "newer" else ("不是SQLite" in texts)
    assert "没有找到备份" in texts
    with qtbot.waitSignal(launcher.finished) as sig:
        qtbot.mouseClick(dialog.quit_button, Qt.MouseButton.LeftButton)
    assert sig.args == [2] and launcher.window is None
    assert db.read_bytes() == before


def test_a_result_arriving_after_its_page_was_deleted_is_dropped(qtbot, tmp_path):
    """Closing a window while its page's job runs must not call into deleted widgets."""
    import threading

    from PySide6.QtWidgets import QLabel

    from pzh_station.ui.tasks import Tasks

    tasks = Tasks(tmp_path)
    gate = threading.Event()
    label = QLabel()
    tasks.run(lambda s: gate.wait(5) and "结果", success=label.setText)
    label.deleteLater()
    qtbot.waitUntil(lambda: not __import__("shiboken6").isValid(label))
    gate.set()
    qtbot.waitUntil(lambda: tasks.idle)
    tasks.shutdown()
