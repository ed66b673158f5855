"""After a file is written: say where, and offer 打开文件 / 打开所在文件夹 (the system's own
program for the file, the file manager for the folder)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox, QWidget


def open_path(path: Path) -> bool:
    """Open a file or a folder with the desktop's default program."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def saved_box(parent: QWidget, path: Path, text: str, *, open_file: bool = True) -> QMessageBox:
    """A non-modal box "已保存：…" with 打开文件 / 打开所在文件夹 / 关闭 (already shown)."""
    path = Path(path)
    box = QMessageBox(QMessageBox.Icon.Information, parent.tr("已保存"), text, parent=parent)
    box.setObjectName("saved_box")
    buttons = {}
    if open_file:
        buttons["file"] = box.addButton(parent.tr("打开文件"), QMessageBox.ButtonRole.ActionRole)
    buttons["folder"] = box.addButton(
        parent.tr("打开所在文件夹"), QMessageBox.ButtonRole.ActionRole
    )
    box.addButton(parent.tr("关闭"), QMessageBox.ButtonRole.RejectRole)

    def clicked(button) -> None:  # noqa: ANN001
        if button is buttons.get("file"):
            open_path(path)
        elif button is buttons["folder"]:
            open_path(path.parent)

    box.buttonClicked.connect(clicked)
    box.setWindowModality(Qt.WindowModality.NonModal)  # a notice: the window stays usable
    box.show()
    return box
