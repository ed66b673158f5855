"""录入人PIN (issue 14): set in 设置 (stored hashed); choosing that operator asks for it, a wrong
PIN is refused under the field and nobody is the operator until the right one is typed.
Screenshots at 1366×768 (``PZH_SCREENSHOTS=dir`` keeps them)."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt

from pzh_station.ui.main_window import MainWindow
from tests.ui_helpers import settle


def _shot(widget, name: str, tmp_path: Path) -> None:
    folder = Path(os.environ.get("PZH_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    assert widget.grab().save(str(folder / f"{name}.png"))


def test_pin_set_in_settings_then_asked_when_the_operator_is_chosen(qtbot, ctx, services, tmp_path):
    services.close()  # the window's database thread is the file's one writer
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.resize(1366, 728)
    window.show()
    settle(qtbot, ctx)
    assert ctx.operator == "李明"
    page = window.show_page("settings")
    settle(qtbot, ctx)
    box = page.pin_box
    box.staff_combo.setCurrentIndex(box.staff_combo.findData("王芳"))
    qtbot.keyClicks(box.pin_edit, "2468")
    qtbot.mouseClick(box.set_button, Qt.MouseButton.LeftButton)
    settle(qtbot, ctx)
    settle(qtbot, ctx)
    assert "已为王芳设置PIN" in box.message.text()
    assert box.staff_combo.currentText() == "王芳（已设PIN）"
    _shot(window, "settings-pin", tmp_path)

    index = window.operator_combo.findText("王芳")
    window.operator_combo.setCurrentIndex(index)
    window.operator_combo.activated.emit(index)
    settle(qtbot, ctx)
    dialog = window.pin_dialog
    assert dialog.isVisible() and ctx.operator == ""  # nobody until the PIN is typed
    qtbot.keyClicks(dialog.pin_edit, "1111")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    settle(qtbot, ctx)
    assert dialog.isVisible() and "PIN不正确" in dialog.message.text() and ctx.operator == ""
    _shot(dialog, "pin-dialog", tmp_path)
    qtbot.keyClicks(dialog.pin_edit, "2468")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    settle(qtbot, ctx)
    assert not dialog.isVisible() and ctx.operator == "王芳"
    # Back to 李明 (no PIN) and then to 王芳 again: asked again.
    window.operator_combo.activated.emit(window.operator_combo.findText("李明"))
    assert ctx.operator == "李明"
    window.operator_combo.activated.emit(index)
    settle(qtbot, ctx)
    assert window.pin_dialog is not dialog and window.pin_dialog.isVisible()
    window.pin_dialog.reject()
    window.close()
