"""历史: a record's history, read-only (issue 14) — who (operator and device), when, which
field from what to what, newest first. Every record form adds the button with
:func:`add_history_button`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pzh_station.services.history import record_history
from pzh_station.ui.context import UiContext
from pzh_station.ui.widgets.rows_model import RowsModel, rows_table


def _changes(step: dict[str, Any]) -> str:
    lines = [f"{label}：{a} → {b}" for label, a, b in step["changes"]]
    if step["refused"]:
        lines.insert(0, QCoreApplication.translate("HistoryDialog", "（市服务器未接受，未生效）"))
    return "\n".join(lines)


COLUMNS = [
    ("时间", lambda step: step["when"]),
    ("修改人", lambda step: step["who"]),
    ("修改内容", _changes),
]


class HistoryDialog(QDialog):
    def __init__(self, ctx: UiContext, table: str, row_id: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("历史"))
        self.resize(760, 420)
        self.model = RowsModel(ctx.tasks, COLUMNS, self)
        self.table = rows_table(self.model)
        self.table.setWordWrap(True)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setColumnWidth(0, 130)
        self.table.setColumnWidth(1, 190)
        note = QLabel(self.tr("记录的每一次修改（本机和其他电脑、市服务器），只能查看，不能修改。"))
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(self.tr("关闭"))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.model.loaded.connect(self.table.resizeRowsToContents)  # changes are multi-line
        self.model.reload(lambda s: record_history(s, table, row_id))

    @property
    def steps(self) -> list[dict[str, Any]]:
        return self.model.rows


def add_history_button(
    dialog: Any, buttons: QDialogButtonBox, table: str, row_id: Callable[[], str | None]
) -> QPushButton:
    """A 历史… button on a record form (enabled for a record already saved)."""
    button = buttons.addButton(dialog.tr("历史…"), QDialogButtonBox.ButtonRole.HelpRole)
    button.setEnabled(bool(row_id()))

    def show() -> None:
        rid = row_id()
        if rid:
            dialog.history = HistoryDialog(dialog.ctx, table, rid, dialog)
            dialog.history.open()

    button.clicked.connect(show)
    dialog.history_button = button
    return button
