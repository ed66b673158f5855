"""The records behind one figure, as a read-only list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from pzh_core.indicators import TABLE_LABELS, Record
from pzh_station.ui.tasks import Tasks
from pzh_station.ui.widgets import RowsModel, rows_table


def _amount(r: Record) -> str:
    return f"{r.amount:g}" if isinstance(r.amount, float) else str(r.amount)


COLUMNS = [
    ("日期", lambda x: x["record"].date),
    ("类型", lambda x: TABLE_LABELS.get(x["record"].table, x["record"].table)),
    ("名称", lambda x: x["record"].title),
    ("计入", lambda x: _amount(x["record"])),
    ("说明", lambda x: x["record"].detail),
]


def _tooltip(x: dict[str, Any], column: int, role: int) -> Any:
    if role == Qt.ItemDataRole.ToolTipRole and column >= 2:
        return COLUMNS[column][1](x)  # long titles and details are cut in the column
    return None


class RecordsDialog(QDialog):
    def __init__(
        self,
        tasks: Tasks,
        title: str,
        records: Sequence[Record],
        total: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(900, 560)
        self.summary = QLabel(self.tr("共 {} 条记录，合计：{}").format(len(records), total))
        self.model = RowsModel(tasks, COLUMNS, self, align_right=(3,), decorate=_tooltip)
        self.model.set_rows([{"record": r} for r in records])
        self.table = rows_table(self.model)
        for col, width in enumerate((96, 80, 300, 60)):
            self.table.setColumnWidth(col, width)
        self.table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(self.tr("关闭"))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
