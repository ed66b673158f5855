"""The volunteers page driven like station staff would: type, tick, click, look at what is shown."""

from __future__ import annotations

import datetime as dt

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt

from pzh_core.domain.activity import Activity
from pzh_core.domain.person import Person
from pzh_core.domain.volunteer import ServiceRecord, Volunteer
from pzh_station.services.activities import ActivityService
from pzh_station.services.people import PeopleService
from pzh_station.services.volunteers import VolunteerService
from pzh_station.store.volunteers import RecordFilter
from pzh_station.ui.volunteers import VolunteersPage
from pzh_station.ui.volunteers.bulk import HOURS, NAME, PROBLEM
from tests.ui_helpers import settle, type_text

TODAY = dt.date.today()
D = (TODAY - dt.timedelta(days=3)).isoformat()
LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def page(qtbot, ctx):
    p = VolunteersPage(ctx)
    qtbot.addWidget(p)
    p.resize(1300, 700)
    p.show()
    settle(qtbot, ctx)
    return p


def wait(qtbot, page):
    settle(qtbot, page.ctx)


def add_volunteer(services, name, *, join="2020-01-01"):
    return VolunteerService(services).save(Volunteer(join_date=join), Person(name=name))


def switch(page, name):
    """What the main window's 当前录入人 chooser does (MainWindow.set_operator, and the page
    following the chooser's signal)."""
    page.ctx.operator = name
    page.ctx.tasks.set_operator(name)
    page.operator_changed()


def record_dialog(qtbot, page, volunteer_id, hours, description):
    """Reload, open 记录服务 on the records tab and fill it for ``volunteer_id`` on day D; not
    saved yet."""
    page.reload_all()
    wait(qtbot, page)
    page.tabs.setCurrentIndex(1)
    qtbot.mouseClick(page.record_button, LEFT)
    wait(qtbot, page)
    dlg = page.dialog
    dlg.set_volunteer(volunteer_id)
    dlg.date_edit.set_iso(D)
    dlg.hours_spin.setValue(hours)
    type_text(qtbot, dlg.description_edit, description)
    return dlg


def column(model, header):
    index = [h for h, _ in model.columns].index(header)
    return model.column_texts(index)


def test_add_volunteer_through_the_form(qtbot, page, services):
    qtbot.mouseClick(page.add_button, LEFT)
    dlg = page.dialog
    qtbot.mouseClick(dlg.save_button, LEFT)  # empty name: message at the field, nothing saved
    wait(qtbot, page)
    assert dlg.isVisible() and "姓名" in dlg.errors.message("name")
    type_text(qtbot, dlg.name_edit, "杨丽萍")
    qtbot.keyClicks(dlg.phone_edit, "13912345678")
    dlg.join_edit.set_iso("2024-05-01")
    dlg.skills.boxes["performing"].setChecked(True)
    type_text(qtbot, dlg.team_edit, "文艺志愿服务队")
    qtbot.mouseClick(dlg.save_button, LEFT)
    wait(qtbot, page)
    assert not dlg.isVisible()
    assert column(page.volunteer_model, "姓名") == ["杨丽萍"]
    assert column(page.volunteer_model, "服务技能") == ["文艺表演"]
    assert column(page.volunteer_model, "编号") == ["ZY2024-0001"]
    vol, person = VolunteerService(services).get_with_person(page.volunteer_model.rows[0]["id"])
    assert (person.phone, vol.team, vol.join_date) == (
        "13912345678",
        "文艺志愿服务队",
        "2024-05-01",
    )
    # the list masks the phone as the sign-in sheets do; the search and the form use it whole
    assert column(page.volunteer_model, "电话") == ["139****5678"]
    searched = lambda: not page.search_timer.isActive() and not page.volunteer_model.loading  # noqa: E731
    type_text(qtbot, page.search_edit, "13900")
    qtbot.waitUntil(lambda: searched() and page.volunteer_model.rowCount() == 0)
    page.search_edit.clear()
    type_text(qtbot, page.search_edit, "1391234")
    qtbot.waitUntil(lambda: searched() and page.volunteer_model.rowCount() == 1)
    page.volunteer_table.selectRow(0)
    qtbot.mouseClick(page.edit_button, LEFT)
    wait(qtbot, page)
    assert page.dialog.phone_edit.text() == "13912345678"


def test_a_trainee_in_the_registry_becomes_a_volunteer_without_a_duplicate(qtbot, page, services):
    pid = PeopleService(services).save(Person(name="何红", phone="13700000001", village="大田村"))
    qtbot.mouseClick(page.add_button, LEFT)
    dlg = page.dialog
    type_text(qtbot, dlg.name_edit, "何红")
    qtbot.keyClicks(dlg.phone_edit, "13700000001")
    qtbot.mouseClick(dlg.save_button, LEFT)
    wait(qtbot, page)
    assert dlg.isVisible() and dlg.use_existing_button.isVisible()
    qtbot.mouseClick(dlg.use_existing_button, LEFT)
    wait(qtbot, page)
    assert dlg.village_edit.text() == "大田村"
    qtbot.mouseClick(dlg.save_button, LEFT)
    wait(qtbot, page)
    assert not dlg.isVisible()
    assert page.volunteer_model.rows[0]["person_id"] == pid
    assert services.store.query("SELECT count(*) n FROM people WHERE name = '何红'")[0]["n"] == 1


def test_record_verify_reject_and_correct_on_the_page(qtbot, page, services):
    vid = add_volunteer(services, "王小红")
    switch(page, "李明")
    dlg = record_dialog(qtbot, page, vid, 3, "非遗展览讲解")
    qtbot.mouseClick(dlg.save_button, LEFT)
    wait(qtbot, page)
    assert not dlg.isVisible()
    assert "等待其他工作人员审核" in page.info.text()
    assert column(page.record_model, "状态") == ["待审核"]
    assert column(page.record_model, "记录人") == ["李明"]

    # The recorder cannot verify their own record: the button says so before any click.
    page.record_table.selectRow(0)
    wait(qtbot, page)
    assert not page.verify_button.isEnabled()
    assert "不能审核自己" in page.verify_button.toolTip()
    qtbot.mouseClick(page.verify_button, LEFT)
    wait(qtbot, page)
    assert column(page.record_model, "状态") == ["待审核"]
    switch(page, "王芳")
    page.record_table.selectRow(0)
    qtbot.mouseClick(page.verify_button, LEFT)
    wait(qtbot, page)
    assert column(page.record_model, "状态") == ["已审核"]
    assert column(page.record_model, "审核人") == ["王芳"]
    assert "“王芳”的名义" in page.operator_label.text()
    page.tabs.setCurrentIndex(0)  # the archive reloads when shown
    wait(qtbot, page)
    assert column(page.volunteer_model, "累计时长") == ["3"]
    page.tabs.setCurrentIndex(1)
    wait(qtbot, page)

    # Correct it: 王芳 asks (the volunteer said 4.5 h), 李明 approves; the history is kept.
    page.record_table.selectRow(0)
    assert page.correct_button.isEnabled() and not page.edit_record_button.isEnabled()
    qtbot.mouseClick(page.correct_button, LEFT)
    corr = page.dialog
    corr.hours_spin.setValue(4.5)
    qtbot.mouseClick(corr.save_button, LEFT)  # no reason: refused at the field
    wait(qtbot, page)
    assert corr.isVisible() and "原因" in corr.errors.message("reason")
    type_text(qtbot, corr.reason_edit, "志愿者本人申请：漏记布展时间")
    qtbot.mouseClick(corr.save_button, LEFT)
    wait(qtbot, page)
    assert not corr.isVisible()
    assert column(page.record_model, "时长") == ["3"]  # unchanged until approved
    assert page.pending_button.text() == "待审批更正 (1)"
    switch(page, "李明")
    qtbot.mouseClick(page.pending_button, LEFT)
    wait(qtbot, page)
    pending = page.dialog
    assert pending.model.rowCount() == 1
    assert column(pending.model, "更正为") == ["时长：4.5"]
    pending.table.selectRow(0)
    qtbot.mouseClick(pending.approve_button, LEFT)
    wait(qtbot, page)
    assert "已批准" in pending.message.text() and pending.model.rowCount() == 0
    pending.accept()
    assert column(page.record_model, "时长") == ["4.5"]
    assert column(page.record_model, "审核人") == ["李明"]
    page.record_table.selectRow(0)
    qtbot.mouseClick(page.history_button, LEFT)
    wait(qtbot, page)
    history = page.dialog
    assert column(history.model, "原记录") == ["时长：3"]
    assert column(history.model, "状态") == ["已批准"]
    history.accept()

    # Reject another with a reason.
    VolunteerService(services).save_record(
        ServiceRecord(volunteer_id=vid, date=D, hours=2, description="引导")
    )
    page.reload_records()
    wait(qtbot, page)
    row = column(page.record_model, "服务内容").index("引导")
    page.record_table.selectRow(row)
    switch(page, "王芳")
    qtbot.mouseClick(page.reject_button, LEFT)
    reason = page.dialog
    type_text(qtbot, reason.reason_edit, "当天没有此项服务")
    qtbot.mouseClick(reason.save_button, LEFT)
    wait(qtbot, page)
    assert not reason.isVisible()
    rows = {r["description"]: r for r in page.record_model.rows}
    assert (
        rows["引导"]["status"] == "rejected" and rows["引导"]["reject_reason"] == "当天没有此项服务"
    )


def test_checks_are_shown_at_the_field_and_the_12_hour_warning(qtbot, page, services):
    vid = add_volunteer(services, "钱七", join=D)
    VolunteerService(services).save_record(
        ServiceRecord(volunteer_id=vid, date=D, hours=10, description="演出")
    )
    dlg = record_dialog(qtbot, page, vid, 1.2, "整理")
    qtbot.mouseClick(dlg.save_button, LEFT)
    wait(qtbot, page)
    assert "0.5" in dlg.errors.message("hours")
    dlg.hours_spin.setValue(14.5)
    qtbot.mouseClick(dlg.save_button, LEFT)
    wait(qtbot, page)
    assert "24" in dlg.errors.message("hours")
    dlg.date_edit.set_iso((dt.date.fromisoformat(D) - dt.timedelta(days=1)).isoformat())
    dlg.hours_spin.setValue(2)
    qtbot.mouseClick(dlg.save_button, LEFT)
    wait(qtbot, page)
    assert "加入日期" in dlg.errors.message("date")
    dlg.date_edit.set_iso((TODAY + dt.timedelta(days=1)).isoformat())
    qtbot.mouseClick(dlg.save_button, LEFT)
    wait(qtbot, page)
    assert "晚于今天" in dlg.errors.message("date")
    assert VolunteerService(services).record_count() == 1  # nothing saved so far
    dlg.date_edit.set_iso(D)
    dlg.hours_spin.setValue(4)
    qtbot.mouseClick(dlg.save_button, LEFT)
    wait(qtbot, page)
    assert not dlg.isVisible()
    assert "超过12小时" in page.info.text()
    assert VolunteerService(services).record_count() == 2


def test_bulk_entry_for_an_activity(qtbot, page, services):
    a = add_volunteer(services, "甲")
    b = add_volunteer(services, "乙")
    late = add_volunteer(services, "丙", join=TODAY.isoformat())
    act = ActivityService(services).save(
        Activity(
            title="百姓大舞台文艺汇演",
            date=D,
            kind="performance",
            start_time="19:00",
            end_time="21:30",
        )
    )
    page.reload_all()
    wait(qtbot, page)
    page.tabs.setCurrentIndex(1)
    qtbot.mouseClick(page.bulk_button, LEFT)
    wait(qtbot, page)
    dlg = page.dialog
    dlg.select_activity(act)
    wait(qtbot, page)
    assert dlg.description_edit.text() == "百姓大舞台文艺汇演"
    assert dlg.hours_spin.value() == 2.5  # 19:00–21:30
    for vid in (a, b, late):
        dlg.set_checked(vid)
    dlg.model.item(dlg.row_of(b), HOURS).setText("3")
    assert "已勾选 3 人" in dlg.count_label.text()
    qtbot.mouseClick(dlg.save_button, LEFT)
    wait(qtbot, page)
    assert dlg.isVisible() and "未保存任何记录" in dlg.message.text()
    assert "加入日期" in dlg.model.item(dlg.row_of(late), PROBLEM).text()
    assert VolunteerService(services).record_count() == 0
    dlg.set_checked(late, False)
    qtbot.mouseClick(dlg.save_button, LEFT)
    wait(qtbot, page)
    assert not dlg.isVisible()
    assert "已批量登记 2 条" in page.info.text()
    rows = VolunteerService(services).records(RecordFilter(activity_id=act))
    assert sorted((r["name"], r["hours"], r["date"], r["recorded_by"]) for r in rows) == [
        ("乙", 3.0, D, "李明"),
        ("甲", 2.5, D, "李明"),
    ]
    # Opening it again for the same activity: those two are marked and cannot be ticked.
    qtbot.mouseClick(page.bulk_button, LEFT)
    wait(qtbot, page)
    again = page.dialog
    again.select_activity(act)
    wait(qtbot, page)
    item = again.model.item(again.row_of(a), NAME)
    assert (
        not item.isEnabled()
        and again.model.item(again.row_of(a), PROBLEM).text() == "已登记过本活动"
    )
    again.reject()


def test_certificate_and_stars_from_the_page(qtbot, page, services, tmp_path):
    svc = VolunteerService(services)
    vid = add_volunteer(services, "周九")
    year = TODAY.year
    with services.store.transaction():
        for i in range(25):  # 100 h, the last 4 this year → one star reached this year
            day = f"{year - 1}-0{1 + i % 9}-{10 + i // 9:02d}" if i < 24 else f"{year}-01-02"
            rid = svc.save_record(
                ServiceRecord(volunteer_id=vid, date=day, hours=4, description=f"服务{i}")
            ).id
            svc.verify(rid, verifier="王芳")
    page.reload_all()
    wait(qtbot, page)
    assert column(page.volunteer_model, "星级") == ["★"]
    page.tabs.setCurrentIndex(2)
    wait(qtbot, page)
    assert column(page.stars_model, "姓名") == ["周九"]
    assert column(page.stars_model, "年初累计时长") == ["96"]
    page.tabs.setCurrentIndex(0)
    page.volunteer_table.selectRow(0)
    wait(qtbot, page)
    assert "累计已审核 100 小时（一星级志愿者）" in page.detail_label.text()
    vol, person = svc.get_with_person(vid)
    vol.id_type, vol.id_number = "resident_id", "11010519491231002X"
    svc.save(vol, person)
    out = tmp_path / "证明.pdf"
    qtbot.mouseClick(page.certificate_button, LEFT)
    wait(qtbot, page)
    dlg = page.dialog
    assert "1101**********002X" in dlg.who_label.text()
    assert "11010519491231002X" not in dlg.who_label.text()
    dlg.ask_save_path = lambda *_a: str(out)
    qtbot.mouseClick(dlg.save_button, LEFT)  # no head, no phone: messages at the fields
    wait(qtbot, page)
    assert dlg.isVisible() and "负责人" in dlg.errors.message("head") and not out.exists()
    type_text(qtbot, dlg.head_edit, "张建国")
    qtbot.keyClicks(dlg.phone_edit, "0812-2880123")
    qtbot.mouseClick(dlg.save_button, LEFT)
    wait(qtbot, page)
    assert not dlg.isVisible() and "已出具证明 ZYZM" in page.info.text()
    text = "".join(p.extract_text() for p in PdfReader(str(out)).pages).replace(" ", "")
    assert "周九" in text and "100小时" in text and "测试镇综合文化站" in text
    assert "11010519491231002X" in text and "单位负责人：张建国" in text
    number = page.info.text().split()[1].split("：")[0]
    qtbot.mouseClick(page.register_button, LEFT)  # the station's whole register
    wait(qtbot, page)
    register = page.dialog
    assert column(register.model, "证明编号") == [number]
    assert column(register.model, "姓名") == ["周九"]
    register.accept()


def test_page_is_the_volunteers_entry_and_follows_the_window_operator(qtbot, ctx):
    from pzh_station.ui.main_window import MainWindow

    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.show()
    settle(qtbot, ctx)
    page = w.show_page("volunteers")
    settle(qtbot, ctx)
    assert isinstance(page, VolunteersPage)
    assert "“李明”的名义" in page.operator_label.text()
    index = w.operator_combo.findText("王芳")
    w.operator_combo.setCurrentIndex(index)
    w.operator_combo.activated.emit(index)
    qtbot.waitUntil(lambda: "“王芳”的名义" in page.operator_label.text(), timeout=5000)
    assert page.operator() == "王芳"
    settle(qtbot, ctx)


def test_record_linked_to_a_training_class(qtbot, page, services):
    from pzh_core.domain.training import TrainingClass
    from pzh_station.services.training import TrainingService

    cid = TrainingService(services).save_class(
        TrainingClass(
            name="葫芦丝公益培训班",
            art_form="other",
            teacher="王老师",
            start_date="2026-01-05",
            end_date="2026-03-30",
        )
    )
    vid = add_volunteer(services, "助教小李")
    page.reload_all()
    wait(qtbot, page)
    page.volunteer_table.selectRow(0)  # the volunteer chosen in the archive is preselected
    page.tabs.setCurrentIndex(1)
    wait(qtbot, page)
    qtbot.mouseClick(page.record_button, LEFT)
    wait(qtbot, page)
    dlg = page.dialog
    assert dlg.volunteer_combo.currentData() == vid
    dlg.class_combo.setCurrentIndex(dlg.class_combo.findData(cid))
    assert dlg.description_edit.text() == "培训班服务：葫芦丝公益培训班"
    dlg.date_edit.set_iso(D)
    qtbot.mouseClick(dlg.save_button, LEFT)
    wait(qtbot, page)
    assert not dlg.isVisible()
    assert column(page.record_model, "关联活动/培训班") == ["葫芦丝公益培训班"]
    assert VolunteerService(services).records()[0]["class_id"] == cid


def test_import_archive_from_the_page(qtbot, page, services, tmp_path):
    src = tmp_path / "花名册.csv"
    src.write_text(
        "姓名,电话,加入日期,技能\n甲一,13700000001,2024-01-01,讲解\n,13700000002,2024-01-01,讲解\n"
        "乙二,13700000003,2024/3/1,文艺表演\n",
        encoding="utf-8",
    )
    page.ask_open_path = lambda *_a: str(src)
    qtbot.mouseClick(page.import_button, LEFT)
    wait(qtbot, page)
    dlg = page.dialog
    assert "共 3 行，2 行无误" in dlg.summary.text()
    assert "第3行" in dlg.problems.toPlainText()
    assert not dlg.save_button.isEnabled()  # all or nothing until the user chooses
    dlg.skip_bad.setChecked(True)
    qtbot.mouseClick(dlg.save_button, LEFT)
    wait(qtbot, page)
    assert not dlg.isVisible() and "已导入 2 位" in page.info.text()
    assert sorted(column(page.volunteer_model, "姓名")) == ["乙二", "甲一"]
    fake = tmp_path / "旧.xlsx"
    fake.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    page.ask_open_path = lambda *_a: str(fake)
    qtbot.mouseClick(page.import_button, LEFT)
    wait(qtbot, page)
    assert ".xls" in page.message.text()


def test_id_number_typed_once_then_only_masked_and_erasure_from_the_page(
    qtbot, page, services, tmp_path
):
    """The ID number is typed in the volunteer form; afterwards every screen shows it masked
    (the form's hint, the certificate dialog), never in the list; 注销个人信息 erases the person
    and keeps the hours (issue 13, §5)."""
    full = "11010519491231002X"
    vid = add_volunteer(services, "刘晓梅")
    rid = (
        VolunteerService(services)
        .save_record(ServiceRecord(volunteer_id=vid, date=D, hours=3, description="展览讲解"))
        .id
    )
    VolunteerService(services).verify(rid, verifier="王芳")
    page.reload_all()
    wait(qtbot, page)
    page.volunteer_table.selectRow(0)
    qtbot.mouseClick(page.edit_button, LEFT)
    wait(qtbot, page)
    dlg = page.dialog
    dlg.id_type_combo.setCurrentIndex(dlg.id_type_combo.findData("resident_id"))
    qtbot.keyClicks(dlg.id_number_edit, full[:-1] + "1")  # a wrong check character
    qtbot.mouseClick(dlg.save_button, LEFT)
    wait(qtbot, page)
    assert dlg.isVisible() and "校验位" in dlg.errors.message("id_number")
    dlg.id_number_edit.clear()
    qtbot.keyClicks(dlg.id_number_edit, full[:-1] + "x")  # lower-case x is fine
    qtbot.mouseClick(dlg.save_button, LEFT)
    wait(qtbot, page)
    assert not dlg.isVisible()
    assert VolunteerService(services).get(vid).id_number == full
    page.volunteer_table.selectRow(0)
    qtbot.mouseClick(page.edit_button, LEFT)
    wait(qtbot, page)
    dlg = page.dialog
    assert dlg.id_number_edit.text() == ""
    assert "1101**********002X" in dlg.id_number_edit.placeholderText()
    qtbot.mouseClick(dlg.save_button, LEFT)  # saving again keeps the number
    wait(qtbot, page)
    assert VolunteerService(services).get(vid).id_number == full
    model = page.volunteer_model
    cells = [model.columns[c][1](r) for r in model.rows for c in range(len(model.columns))]
    assert not any(full in str(c) for c in cells)
    # The certificate dialog at 1366×768 (a screenshot to look at).
    page.resize(1366, 768)
    page.volunteer_table.selectRow(0)
    qtbot.mouseClick(page.certificate_button, LEFT)
    wait(qtbot, page)
    cert = page.dialog
    assert "1101**********002X" in cert.who_label.text() and full not in cert.who_label.text()
    page.grab().save(str(tmp_path / "volunteers-page.png"))
    cert.grab().save(str(tmp_path / "certificate-dialog.png"))
    cert.reject()
    # Erasure on request.
    qtbot.mouseClick(page.erase_button, LEFT)
    wait(qtbot, page)
    erase = page.dialog
    erase.grab().save(str(tmp_path / "erase-dialog.png"))
    qtbot.mouseClick(erase.save_button, LEFT)
    wait(qtbot, page)
    assert "个人信息已注销" in page.info.text()
    assert column(page.volunteer_model, "姓名") == ["已注销"]
    assert VolunteerService(services).totals(vid).all_time == 3
    assert VolunteerService(services).get(vid).id_number == ""
