"""What a Chinese input method types in full-width mode works in the desk's fields."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt

from pzh_station.services.activities import ActivityFilter, ActivityService
from pzh_station.ui.activities import ActivitiesPage
from tests.ui_helpers import settle, type_text


def test_full_width_time_and_number_from_an_ime_are_kept_whole(qtbot, ctx, services):
    page = ActivitiesPage(ctx)
    qtbot.addWidget(page)
    page.show()
    settle(qtbot, ctx, page)
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    settle(qtbot, ctx)
    dlg = page.dialog
    type_text(qtbot, dlg.title_edit, "\u3000书法讲座\u3000")
    dlg.date_edit.set_iso((dt.date.today() - dt.timedelta(days=1)).isoformat())
    type_text(qtbot, dlg.start_edit, "１４：３０")  # what 搜狗拼音 in full-width mode commits
    assert dlg.start_edit.text() == "14:30"  # shown half-width, not cut at the colon
    type_text(qtbot, dlg.end_edit, "16")
    type_text(qtbot, dlg.end_edit, "：")
    type_text(qtbot, dlg.end_edit, "00")
    assert dlg.end_edit.text() == "16:00"
    dlg.kind_combo.set_code("lecture")
    type_text(qtbot, dlg.attendance_edit, "１２０")
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, ctx)
    assert not dlg.isVisible(), dlg.errors.labels
    svc = ActivityService(services)
    saved = svc.get(svc.ids(ActivityFilter())[0])
    assert (saved.title, saved.start_time, saved.end_time, saved.attendance) == (
        "书法讲座",
        "14:30",
        "16:00",
        120,
    )


def test_a_field_message_goes_when_the_field_is_corrected_and_nothing_moves(qtbot, ctx):
    page = ActivitiesPage(ctx)
    qtbot.addWidget(page)
    page.show()
    settle(qtbot, ctx, page)
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    settle(qtbot, ctx)
    dlg = page.dialog
    qtbot.wait(20)
    before = {name: w.mapTo(dlg, w.rect().topLeft()) for name, w in dlg.errors.inputs.items()}
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)  # no title, no kind
    settle(qtbot, ctx)
    qtbot.wait(20)
    assert dlg.errors.message("title") and dlg.errors.message("kind")
    after = {name: w.mapTo(dlg, w.rect().topLeft()) for name, w in dlg.errors.inputs.items()}
    assert after == before  # the messages took reserved space: no field moved
    type_text(qtbot, dlg.title_edit, "书法讲座")
    assert dlg.errors.message("title") == ""  # gone as soon as the field is corrected
    assert dlg.errors.message("kind")  # the others stay until corrected
    dlg.kind_combo.set_code("lecture")
    assert dlg.errors.message("kind") == ""
