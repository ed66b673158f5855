"""Shown at start when the data file cannot be used (not SQLite, corrupt, from a newer version):
the reason, and the choice to restore one of the backups or to quit. The file is never
overwritten without that choice, and restoring first keeps a copy of it (``pre-restore-*``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pzh_station.store import StoreError
from pzh_station.ui.widgets import FieldErrorLabel

# Backups hold no device token (pzh_station/credentials.py): said wherever a backup is restored.
SYNC_NOTE = (
    "同步：在本机恢复后会自动继续同步（本机换用新的设备身份，取回服务器上的全部数据）。"
    "备份里不含本机的同步凭证：恢复到另一台（新换的）电脑上时，需要向县文化馆信息员索取新的注册码，"
    "重新注册本机。"
)


def sync_note() -> str:
    return QCoreApplication.translate("Restore", SYNC_NOTE)


def describe_backup(path: Path) -> str:
    """``2026-11-27 08:30  (1.2 MB)`` from a backup file's name and size."""
    stamp = path.stem.removeprefix("station-")
    try:
        when = dt.datetime.strptime(stamp, "%Y%m%d-%H%M%S").strftime("%Y-%m-%d %H:%M")
    except ValueError:
        when = path.name
    try:
        size = f"{path.stat().st_size / 1_048_576:.1f} MB"
    except OSError:
        size = "?"
    return f"{when}  ({size})"


class RestoreDialog(QDialog):
    """:param restore: called with the chosen backup; raises StoreError when it cannot restore."""

    def __init__(
        self,
        error: StoreError,
        backups: list[Path],
        restore: Callable[[Path], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._restore = restore
        self.setWindowTitle(self.tr("数据文件无法打开 — 文化站工作台"))
        reason = QLabel(error.message)
        reason.setWordWrap(True)
        reason.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.list = QListWidget()
        for path in backups:
            item = QListWidgetItem(describe_backup(path))
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            self.list.addItem(item)
        if backups:
            hint = QLabel(
                self.tr(
                    "可以从下面的备份恢复（最新的在最上面）。恢复前会把现在的数据文件另存一份，不会丢失。"
                )
                + "\n"
                + sync_note()
            )
            self.list.setCurrentRow(0)
        else:
            hint = QLabel(
                self.tr("没有找到备份。请退出程序，联系县（区）信息中心处理；数据文件未被改动。")
            )
            self.list.hide()
        hint.setWordWrap(True)
        self.message = FieldErrorLabel(reserve=False)
        buttons = QDialogButtonBox()
        self.restore_button = buttons.addButton(
            self.tr("从所选备份恢复"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.quit_button = buttons.addButton(
            self.tr("退出"), QDialogButtonBox.ButtonRole.RejectRole
        )
        self.restore_button.setEnabled(bool(backups))
        self.restore_button.clicked.connect(self.restore_selected)
        self.quit_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (reason, hint, self.list, self.message, buttons):
            layout.addWidget(widget)
        self.resize(560, 380)

    def restore_selected(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        try:
            self._restore(Path(item.data(Qt.ItemDataRole.UserRole)))
        except StoreError as exc:
            self.message.set_message(exc.message)
            return
        self.accept()
