"""The records behind one figure, as a read-only list."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pzh_core.indicators import TABLE_LABELS, Record


class RecordsDialog(QDialog):
    def __init__(
        self, title: str, records: Sequence[Record], total: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(900, 560)
        self.summary = QLabel(self.tr("共 {} 条记录，合计：{}").format(len(records), total))
        self.table = QTableWidget(len(records), 5)
        self.table.setHorizontalHeaderLabels(
            [self.tr("日期"), self.tr("类型"), self.tr("名称"), self.tr("计入"), self.tr("说明")]
        )
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        for row, r in enumerate(records):
            amount = f"{r.amount:g}" if isinstance(r.amount, float) else str(r.amount)
            for col, text in enumerate(
                (r.date, TABLE_LABELS.get(r.table, r.table), r.title, amount, r.detail)
            ):
                item = QTableWidgetItem(text)
                if col >= 2:
                    item.setToolTip(text)  # long titles and details are cut in the column
                self.table.setItem(row, col, item)
        header = self.table.horizontalHeader()
        for col, width in enumerate((96, 80, 300, 60)):
            self.table.setColumnWidth(col, width)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(self.tr("关闭"))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
