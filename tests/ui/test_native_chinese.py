"""Qt's own texts are Chinese: message box buttons, text field context menus, the calendar,
the file dialog."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QLocale, QTranslator
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
)

from pzh_station.ui import qt_locale


@pytest.fixture
def chinese_qt(qapp):
    loaded = qt_locale.install(qapp)
    yield loaded
    for translator in qapp.findChildren(QTranslator):
        QApplication.removeTranslator(translator)
        translator.deleteLater()
    QLocale.setDefault(QLocale.c())


def test_qt_chinese_catalog_is_found_and_loaded(chinese_qt):
    assert chinese_qt == ["qtbase"]
    assert any((d / "qtbase_zh_CN.qm").is_file() for d in qt_locale.translation_dirs())


def test_message_box_buttons_and_context_menu_are_chinese(qtbot, chinese_qt):
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "文化站工作台",
        "删除这条记录？",
        QMessageBox.StandardButton.Yes
        | QMessageBox.StandardButton.No
        | QMessageBox.StandardButton.Ok
        | QMessageBox.StandardButton.Cancel,
    )
    qtbot.addWidget(box)
    texts = {b.text().split("(")[0] for b in box.buttons()}
    assert texts == {"是", "否", "确定", "取消"}
    edit = QLineEdit()
    qtbot.addWidget(edit)
    menu = edit.createStandardContextMenu()
    actions = [a.text().split("(")[0] for a in menu.actions() if a.text()]
    assert {"复制", "粘贴", "剪切"} <= set(actions), actions
    assert QLocale().monthName(3) == "三月"


def test_file_dialog_labels_are_chinese(qtbot, chinese_qt):
    # Qt's own file dialog (the one Linux desktops without a Qt platform theme get; Windows shows
    # its own, in the system's language)
    dialog = QFileDialog(None, "选择花名册文件", "", "表格 (*.xlsx *.csv)")
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    qtbot.addWidget(dialog)
    dialog.show()
    labels = {label.text() for label in dialog.findChildren(QLabel) if label.text()}
    assert {"查找范围：", "文件名称(&N)：", "文件类型："} <= labels, labels
    buttons = {b.text().split("(")[0] for b in dialog.findChildren(QPushButton)}
    assert {"打开", "取消"} <= buttons, buttons
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    assert "保存" in {b.text().split("(")[0] for b in dialog.findChildren(QPushButton)}
