"""The training page driven like a village worker would: keys in the grid, dialogs, import
preview. Stored rows and shown totals are both checked."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from pzh_core.domain.person import Person
from pzh_core.domain.training import TrainingClass
from pzh_core.schema import det_id
from pzh_station.services.people import PeopleService
from pzh_station.services.training import TrainingService
from pzh_station.store import changelog
from pzh_station.ui.training import TrainingPage
from tests.ui_helpers import settle, type_text

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture
def setup(services):
    """A class with three people and three past sessions."""
    t = TrainingService(services)
    people = PeopleService(services)
    cid = t.save_class(
        TrainingClass(name="舞蹈班", art_form="dance", capacity=3, start_date="2026-03-01")
    )
    ids = [
        people.save(Person(name=n, phone=ph))
        for n, ph in (("张三", "13800001111"), ("李四", ""), ("王五", ""))
    ]
    for day, pid in enumerate(ids, start=20):  # enrolled one a day: the roster keeps this order
        t.enroll(cid, pid, today=dt.date(2026, 2, day))
    sessions = t.add_sessions(cid, ["2026-03-03", "2026-03-05", "2026-03-10"], "19:30", "21:00")
    return cid, ids, sessions


@pytest.fixture
def page(qtbot, ctx, setup):
    p = TrainingPage(ctx)
    qtbot.addWidget(p)
    p.resize(1300, 720)
    p.show()
    settle(qtbot, ctx, p)
    p.select_class(setup[0])
    settle(qtbot, ctx, p)
    return p


def stored_mark(services, session_id, person_id):
    row = services.store.get("attendance", det_id("attendance", session_id, person_id))
    return row["mark"] if row and not row["deleted"] else ""


def cell(page, row, col):
    m = page.attendance_tab.model
    return m.data(m.index(row, col))


def test_marking_with_the_keyboard_stores_rows_and_updates_totals(qtbot, page, services, setup):
    _, (zhang, li, wang), (s1, s2, s3) = setup
    view = page.attendance_tab.view
    model = page.attendance_tab.model
    assert [p["name"] for p in model.people] == ["张三", "李四", "王五"]
    view.setFocus()
    view.setCurrentIndex(model.index(0, 0))
    qtbot.keyClicks(view, "12")  # 张三 出席, cursor moves down, 李四 迟到
    qtbot.keyClick(view, Qt.Key.Key_A)  # 王五 缺席
    qtbot.keyClick(view, Qt.Key.Key_Right)
    qtbot.keyClick(view, Qt.Key.Key_Up)
    qtbot.keyClick(view, Qt.Key.Key_Up)
    qtbot.keyClick(view, Qt.Key.Key_Up)  # back to 张三, second session
    qtbot.keyClick(view, Qt.Key.Key_Space)  # 出席
    qtbot.keyClick(view, Qt.Key.Key_3)  # 李四 请假
    settle(qtbot, page.ctx)
    assert (
        stored_mark(services, s1, zhang),
        stored_mark(services, s1, li),
        stored_mark(services, s1, wang),
    ) == ("present", "late", "absent")
    assert (stored_mark(services, s2, zhang), stored_mark(services, s2, li)) == (
        "present",
        "excused",
    )
    assert stored_mark(services, s3, zhang) == ""
    # Shown: marks, row totals (出勤 column and rate), column totals (bottom rows).
    n_sessions = 3
    assert cell(page, 0, 0) == "✓" and cell(page, 1, 0) == "迟" and cell(page, 2, 0) == "✗"
    assert cell(page, 0, n_sessions) == "2/3" and cell(page, 0, n_sessions + 1) == "67%"
    assert cell(page, 1, n_sessions) == "1/3"
    assert cell(page, 3, 0) == "2" and cell(page, 4, 0) == "67%"  # 出勤人数 / 出勤率 of session 1
    assert cell(page, 3, 1) == "1"
    # Clearing with Delete removes the mark.
    view.setCurrentIndex(model.index(2, 0))
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    settle(qtbot, page.ctx)
    assert stored_mark(services, s1, wang) == "" and cell(page, 2, 0) == ""


def test_mark_all_present_keeps_existing_marks(qtbot, page, services, setup):
    _, (zhang, li, wang), (s1, *_rest) = setup
    view, model = page.attendance_tab.view, page.attendance_tab.model
    view.setCurrentIndex(model.index(1, 0))
    qtbot.keyClick(view, Qt.Key.Key_3)  # 李四 请假
    settle(qtbot, page.ctx)
    view.setCurrentIndex(model.index(0, 0))
    qtbot.mouseClick(page.attendance_tab.all_present_button, Qt.MouseButton.LeftButton)
    settle(qtbot, page.ctx)
    assert [stored_mark(services, s1, p) for p in (zhang, li, wang)] == [
        "present",
        "excused",
        "present",
    ]
    assert cell(page, 3, 0) == "2"
    assert "已标记 2 人出席" in page.status_label.text()


def test_cancelled_session_takes_no_mark(qtbot, page, services, setup):
    cid, (zhang, *_), (s1, s2, s3) = setup
    TrainingService(services).cancel_session(s2)
    page.attendance_tab.reload()
    settle(qtbot, page.ctx)
    view, model = page.attendance_tab.view, page.attendance_tab.model
    view.setCurrentIndex(model.index(0, 1))
    qtbot.keyClick(view, Qt.Key.Key_1)
    settle(qtbot, page.ctx)
    assert stored_mark(services, s2, zhang) == ""
    assert cell(page, 3, 1) == "—"


def test_walk_in_found_by_pinyin_initials_is_added_and_marked(qtbot, page, services, setup):
    cid, _, (s1, *_rest) = setup
    newcomer = PeopleService(services).save(Person(name="赵六", phone="13900009999"))
    tab = page.attendance_tab
    tab.view.setCurrentIndex(tab.model.index(0, 0))
    qtbot.mouseClick(tab.walk_in_button, Qt.MouseButton.LeftButton)
    dlg = tab.dialog
    assert dlg is not None and dlg.isVisible()
    type_text(qtbot, dlg.search.edit, "zl")
    qtbot.waitUntil(lambda: [r["name"] for r in dlg.search.rows] == ["赵六"], timeout=5000)
    qtbot.keyClick(dlg.search.edit, Qt.Key.Key_Return)
    settle(qtbot, page.ctx)
    assert stored_mark(services, s1, newcomer) == "present"
    roster = {p["name"]: p for p in TrainingService(services).roster(cid)}
    assert roster["赵六"]["walk_in"] is True
    qtbot.waitUntil(lambda: "赵六" in [p["name"] for p in tab.model.people], timeout=5000)
    assert "已超出人数上限" in page.status_label.text()  # capacity 3, now 4


def test_new_person_that_exists_is_offered_instead(qtbot, page, services, setup):
    cid, (zhang, *_), _ = setup
    TrainingService(services).drop(cid, zhang)
    page.roster_tab.reload()
    settle(qtbot, page.ctx)
    page.tabs.setCurrentWidget(page.roster_tab)
    qtbot.mouseClick(page.roster_tab.enroll_button, Qt.MouseButton.LeftButton)
    pick = page.roster_tab.dialog
    qtbot.mouseClick(pick.new_button, Qt.MouseButton.LeftButton)
    form = pick.person_dialog
    type_text(qtbot, form.name_edit, "张三")
    type_text(qtbot, form.phone_edit, "138 0000 1111")
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, page.ctx)
    assert form.duplicate_box.isVisible()
    assert "张三" in form.duplicate_list.item(0).text()
    qtbot.mouseClick(form.use_existing_button, Qt.MouseButton.LeftButton)
    settle(qtbot, page.ctx)
    assert PeopleService(services).count() == 3  # no duplicate made
    assert [p["active"] for p in TrainingService(services).roster(cid) if p["id"] == zhang] == [
        True
    ]


def test_bad_person_fields_show_at_the_field(qtbot, page, services):
    page.tabs.setCurrentWidget(page.roster_tab)
    qtbot.mouseClick(page.roster_tab.enroll_button, Qt.MouseButton.LeftButton)
    pick = page.roster_tab.dialog
    qtbot.mouseClick(pick.new_button, Qt.MouseButton.LeftButton)
    form = pick.person_dialog
    type_text(qtbot, form.phone_edit, "123")
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, page.ctx)
    assert form.errors.message("name") == "请填写姓名"
    assert "7到12位" in form.errors.message("phone")
    assert PeopleService(services).count() == 3


def test_import_preview_writes_nothing_until_confirmed(qtbot, page, services, setup):
    cid = setup[0]
    tab = page.roster_tab
    tab.preview_import(str(DATA / "roster_messy.xlsx"))
    settle(qtbot, page.ctx)
    dlg = tab.dialog
    assert dlg is not None and dlg.isVisible()
    assert dlg.model.rowCount() == 8
    bad = [i for i, text in enumerate(dlg.model.column_texts(6)) if "已在登记册" not in text]
    backgrounds = {
        dlg.model.data(dlg.model.index(i, 1), Qt.ItemDataRole.BackgroundRole).color().name()
        for i in bad
        if dlg.result.rows[i].problems
    }
    assert backgrounds == {"#ffcdd2"}  # rows with problems are red
    assert not dlg.confirm_button.isEnabled() and "有 3 行有问题" in dlg.message.text()
    assert len(TrainingService(services).roster(cid)) == 3  # nothing written by the preview
    dlg.skip_bad.setChecked(True)
    qtbot.mouseClick(dlg.confirm_button, Qt.MouseButton.LeftButton)
    settle(qtbot, page.ctx)
    roster = TrainingService(services).roster(cid)
    # 张三 (same name and phone) is the registry's 张三; 李四 and 王五 of the file have other
    # details than the ones on the roster, so they are new people.
    assert len(roster) == 6 and sum(p["name"] == "张三" for p in roster) == 1
    assert {"阿依莫", "李四", "王五"} <= {p["name"] for p in roster}
    assert "已报名" in tab.warning_label.text()


def test_broken_file_message_is_shown(qtbot, page, services):
    page.roster_tab.preview_import(str(DATA / "roster_old_excel.xlsx"))
    settle(qtbot, page.ctx)
    assert "另存为" in page.roster_tab.warning_label.text()


def test_add_class_and_generate_weekly_sessions(qtbot, page, services):
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    dlg = page.dialog
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, page.ctx)
    assert dlg.errors.message("name") == "请填写培训班名称"
    type_text(qtbot, dlg.name_edit, "剪纸班")
    dlg.art_combo.set_code("paper_cut")
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, page.ctx, page)
    cls = TrainingService(services).find_class("剪纸班")
    assert cls is not None and cls.art_form == "paper_cut"
    qtbot.waitUntil(lambda: page.title_label.text() == "剪纸班", timeout=5000)
    tab = page.sessions_tab
    qtbot.mouseClick(tab.generate_button, Qt.MouseButton.LeftButton)
    sched = tab.dialog
    sched.start_edit.set_iso("2026-03-02")
    sched.day_boxes[1].setChecked(True)  # 周二
    sched.day_boxes[3].setChecked(True)  # 周四
    sched.weeks_spin.setValue(2)
    assert sched.preview.count() == 4
    sched.preview.item(1).setCheckState(Qt.CheckState.Unchecked)  # skip 3/5
    assert "共 3 次课" in sched.count_label.text()
    type_text(qtbot, sched.start_time, "19:30")
    qtbot.mouseClick(sched.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, page.ctx)
    assert sched.errors.general.text() == ""
    got = [(s["date"], s["start_time"]) for s in TrainingService(services).sessions(cls.id)]
    assert got == [("2026-03-03", "19:30"), ("2026-03-10", "19:30"), ("2026-03-12", "19:30")]
    qtbot.waitUntil(lambda: tab.model.rowCount() == 3, timeout=5000)
    assert tab.model.column_texts(1) == ["周二", "周二", "周四"]
    tab.table.selectRow(2)
    assert tab.selected()["date"] == "2026-03-12"  # what 改期/取消/删除 act on


def test_class_list_click_chooses_a_class_and_the_roster_acts_on_its_selected_row(
    qtbot, page, services, setup
):
    cid, (zhang, li, wang), _ = setup
    t = TrainingService(services)
    other = t.save_class(TrainingClass(name="合唱班", art_form="dance", start_date="2026-04-01"))
    page.reload_classes()
    settle(qtbot, page.ctx)
    qtbot.waitUntil(lambda: page.class_model.rowCount() == 2, timeout=5000)
    assert page.class_model.column_texts(0) == ["合唱班", "舞蹈班"]  # newest first
    assert page.class_model.column_texts(3) == ["0", "3/3"]
    view = page.class_table
    qtbot.mouseClick(
        view.viewport(),
        Qt.MouseButton.LeftButton,
        pos=view.visualRect(page.class_model.index(0, 0)).center(),
    )
    assert page.class_id == other and page.title_label.text() == "合唱班"
    qtbot.mouseClick(
        view.viewport(),
        Qt.MouseButton.LeftButton,
        pos=view.visualRect(page.class_model.index(1, 0)).center(),
    )
    assert page.class_id == cid
    settle(qtbot, page.ctx)
    tab = page.roster_tab
    page.tabs.setCurrentWidget(tab)
    tab.table.selectRow(1)  # 李四
    qtbot.mouseClick(tab.drop_button, Qt.MouseButton.LeftButton)
    settle(qtbot, page.ctx)
    qtbot.waitUntil(lambda: tab.count_label.text() == "在册 2 人，已退班 1 人", timeout=5000)
    assert tab.model.column_texts(0) == ["张三", "王五", "李四"]  # the dropped one last
    assert tab.model.text(2, 7) == "已退班"
    grey = tab.model.data(tab.model.index(2, 0), Qt.ItemDataRole.ForegroundRole)
    assert grey.color().name() == "#888888"
    assert tab.model.data(tab.model.index(0, 0), Qt.ItemDataRole.ForegroundRole) is None
    assert page.class_id == cid  # the reload kept the chosen class selected
    assert [i.row() for i in view.selectionModel().selectedRows()] == [1]
    tab.table.selectRow(2)
    qtbot.mouseClick(tab.reenroll_button, Qt.MouseButton.LeftButton)
    settle(qtbot, page.ctx)
    assert all(p["active"] for p in t.roster(cid))


def test_page_is_the_training_entry_of_the_main_window(qtbot, ctx):
    from pzh_station.ui.main_window import MainWindow

    w = MainWindow(ctx)
    qtbot.addWidget(w)
    assert isinstance(w.show_page("training"), TrainingPage)
    settle(qtbot, ctx)


def test_merge_two_entries_of_one_person_from_the_registry(qtbot, page, services, setup):
    cid, (zhang, *_), (s1, *_rest) = setup
    twin = PeopleService(services).save(Person(name="张三", birth_year=1960, village="大田村"))
    t = TrainingService(services)
    other = t.save_class(TrainingClass(name="书法班", art_form="calligraphy"))
    t.enroll(other, twin)
    t.mark(s1, twin, "present")  # marked as a walk-in under the second entry
    qtbot.mouseClick(page.people_button, Qt.MouseButton.LeftButton)
    reg = page.dialog
    type_text(qtbot, reg.search.edit, "张三")
    qtbot.waitUntil(lambda: len(reg.search.rows) == 2, timeout=5000)
    reg.search.results.setCurrentRow(
        next(i for i, r in enumerate(reg.search.rows) if r["id"] == twin)
    )
    qtbot.mouseClick(reg.merge_button, Qt.MouseButton.LeftButton)
    pick = reg.dialog
    qtbot.waitUntil(lambda: [r["id"] for r in pick.search.rows] == [zhang], timeout=5000)
    qtbot.keyClick(pick.search.edit, Qt.Key.Key_Return)
    settle(qtbot, page.ctx)
    assert reg.confirm_box.isVisible() and "并入" in reg.confirm_label.text()
    qtbot.mouseClick(reg.confirm_button, Qt.MouseButton.LeftButton)
    settle(qtbot, page.ctx)
    assert services.store.get("people", twin)["merged_into"] == zhang
    assert [r["id"] for r in t.roster(other)] == [zhang]
    assert stored_mark(services, s1, zhang) == "present"
    assert PeopleService(services).get(zhang).birth_year == 1960


def test_delete_class_asks_first(qtbot, page, services, setup, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    cid = setup[0]
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    page.delete_class()
    settle(qtbot, page.ctx)
    assert TrainingService(services).get_class(cid) is not None
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    page.delete_class()
    settle(qtbot, page.ctx)
    assert TrainingService(services).get_class(cid) is None
    qtbot.waitUntil(lambda: page.class_model.rowCount() == 0, timeout=5000)
    assert page.class_id is None


def test_pdfs_saved_from_the_tabs(qtbot, page, services, setup, tmp_path):
    page.roster_tab.save_pdf(str(tmp_path / "花名册.pdf"))
    page.sessions_tab.save_sign_in(str(tmp_path / "签到表.pdf"), setup[2][0])
    settle(qtbot, page.ctx)
    assert (tmp_path / "花名册.pdf").read_bytes().startswith(b"%PDF")
    assert (tmp_path / "签到表.pdf").read_bytes().startswith(b"%PDF")
    assert "已保存签到表" in page.status_label.text()


def test_completers_listed_and_exported_for_certificates(qtbot, page, services, setup, tmp_path):
    import openpyxl

    cid, (zhang, li, _), sessions = setup
    t = TrainingService(services)
    for sid in sessions:
        t.mark(sid, zhang, "present")
    t.mark(sessions[0], li, "present")
    page.completion_tab.reload()
    settle(qtbot, page.ctx)
    tab = page.completion_tab
    assert tab.model.rowCount() == 1 and tab.model.text(0, 0) == "张三"
    assert tab.model.text(0, 3) == "3/3" and tab.model.text(0, 4) == "100%"
    assert "至少 3 次" in tab.rule_label.text()
    out = tmp_path / "结业.xlsx"
    tab.export(str(out))
    settle(qtbot, page.ctx)
    rows = list(openpyxl.load_workbook(out).active.iter_rows(values_only=True))
    assert rows[1][:2] == (1, "张三") and rows[1][-1] == 1  # 100%, a number with a % format
    assert "已导出 1 人" in tab.message.text()


def test_a_reload_read_before_a_mark_was_stored_does_not_hide_it(qtbot, page, services, setup):
    cid, (zhang, *_), (s1, *_rest) = setup
    stale = TrainingService(services).grid(cid)  # read before the key press below
    tab = page.attendance_tab
    tab.view.setCurrentIndex(tab.model.index(0, 0))
    qtbot.keyClick(tab.view, Qt.Key.Key_2)
    tab._show(stale)  # the older reload answers while the mark is still being written
    assert cell(page, 0, 0) == "迟" and cell(page, 3, 0) == "1"
    settle(qtbot, page.ctx)
    assert stored_mark(services, s1, zhang) == "late"
    assert tab.model._inflight == {}


def test_marks_typed_through_a_chinese_input_method(qtbot, page, services, setup):
    """With 搜狗拼音 switched on, digits arrive as full-width commit strings (１, ４)."""
    _, (zhang, li, _), (s1, *_rest) = setup
    tab = page.attendance_tab
    tab.view.setCurrentIndex(tab.model.index(0, 0))
    type_text(qtbot, tab.view, "１")
    type_text(qtbot, tab.view, "４")
    settle(qtbot, page.ctx)
    assert (stored_mark(services, s1, zhang), stored_mark(services, s1, li)) == (
        "present",
        "absent",
    )


def test_a_trainee_is_erased_from_the_registry_and_keeps_the_roster(
    qtbot, page, services, setup, tmp_path
):
    """注销个人信息 for a trainee who is not a volunteer (issue 13, §5): the people registry opens
    the volunteer archive's erasure dialog; the person becomes 已注销, the roster place and the
    sign-ins stay, and erasing again is not offered."""
    import os

    from PySide6.QtGui import QPainter

    cid, (zhang, *_), (s1, *_rest) = setup
    TrainingService(services).mark(s1, zhang, "present")
    page.resize(1366, 768)
    qtbot.mouseClick(page.people_button, Qt.MouseButton.LeftButton)
    reg = page.dialog
    qtbot.mouseClick(reg.erase_button, Qt.MouseButton.LeftButton)  # nobody selected yet
    assert "请先在列表中选中" in reg.message.text() and reg.dialog is None
    type_text(qtbot, reg.search.edit, "张三")
    qtbot.waitUntil(lambda: [r["id"] for r in reg.search.rows] == [zhang], timeout=5000)
    reg.search.results.setCurrentRow(0)
    qtbot.mouseClick(reg.erase_button, Qt.MouseButton.LeftButton)
    erase = reg.dialog
    assert erase.isVisible() and "张三" in erase.text.text()
    assert reg.message.text() == ""
    assert "13800001111" in erase.text.text()
    # What the user sees at 1366×768: the page, the registry and the confirmation over it.
    shot = page.grab()
    painter = QPainter(shot)
    for dlg in (reg, erase):
        pic = dlg.grab()
        painter.drawPixmap(
            (shot.width() - pic.width()) // 2, (shot.height() - pic.height()) // 2, pic
        )
    painter.end()
    folder = Path(os.environ.get("PZH_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    assert shot.width() == 1366 and shot.save(str(folder / "registry-erase.png"))
    qtbot.mouseClick(erase.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, page.ctx)
    assert not erase.isVisible() and "个人信息已注销" in reg.message.text()
    person = PeopleService(services).get(zhang)
    assert (person.name, person.phone) == ("已注销", "")
    assert services.store.get("people", zhang)["erased_on"]
    assert zhang in [r["id"] for r in TrainingService(services).roster(cid)]
    assert stored_mark(services, s1, zhang) == "present"
    log = [
        json.dumps(e["fields"], ensure_ascii=False)
        for e in changelog.entries(services.store, "row_id = ?", (zhang,))
    ]
    assert log and not any("张三" in fields or "13800001111" in fields for fields in log)
    # The list shows 已注销 now; erasing again is not offered.
    reg.search.edit.clear()
    type_text(qtbot, reg.search.edit, "已注销")
    qtbot.waitUntil(lambda: [r["id"] for r in reg.search.rows] == [zhang], timeout=5000)
    reg.search.results.setCurrentRow(0)
    reg.dialog = None
    qtbot.mouseClick(reg.erase_button, Qt.MouseButton.LeftButton)
    assert reg.dialog is None and "已于" in reg.message.text()
