"""What the volunteer page's tabs and dialogs share: the table view of a rows model, the star
text, the hours box."""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractItemView, QDoubleSpinBox, QTableView

from pzh_station.ui.volunteers.model import RowsModel

SEARCH_DELAY_MS = 250


def rows_table(model: RowsModel, *, multi: bool = False) -> QTableView:
    table = QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(
        QAbstractItemView.SelectionMode.ExtendedSelection
        if multi
        else QAbstractItemView.SelectionMode.SingleSelection
    )
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(26)
    return table


def stars_text(n: int) -> str:
    return "★" * n if n else ""


def hours_spin() -> QDoubleSpinBox:
    """Hours in steps of 0.5; one decimal so a slip like 1.2 reaches the domain rule's message."""
    spin = QDoubleSpinBox()
    spin.setDecimals(1)
    spin.setSingleStep(0.5)
    spin.setRange(0, 24)
    spin.setSuffix(" 小时")
    spin.setValue(2)
    return spin
