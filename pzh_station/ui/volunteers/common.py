"""What the volunteer page's tabs share: the table view of a rows model, the star text."""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractItemView, QTableView

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
