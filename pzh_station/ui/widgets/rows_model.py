"""The list model of the desk's lists: rows loaded whole in one background job (lists of up to a
few thousand rows), shown in a read-only table view (:func:`rows_table`).

The volunteer archive (≤ a few thousand volunteers), a filtered records list (capped at
``services.volunteers.MAX_LIST``), the teams, the certificate register are small enough to load
whole in one query on the database thread; the model only formats them. The activity list, which
grows without bound (50,000 and more), uses the lazy id model of ``ui/activities/model.py``.
Each reload bumps a generation so results of an older request (overtaken by a newer filter) are
dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import QAbstractItemView, QTableView

from pzh_station.ui.tasks import Tasks

Formatter = Callable[[dict[str, Any]], Any]
# (row, column, role) -> what the cell gives for a role other than its text: a tooltip, a
# foreground or background QBrush; None for the default
Decorator = Callable[[dict[str, Any], int, int], Any]


class RowsModel(QAbstractTableModel):
    """:param columns: ``[(header, formatter)]``; a formatter turns a row into the cell text.
    :param align_right: column indexes shown right-aligned (numbers).
    :param decorate: the other roles of a cell (tooltip, colours), see ``Decorator``."""

    loaded = Signal()

    def __init__(
        self,
        tasks: Tasks,
        columns: list[tuple[str, Formatter]],
        parent: QObject | None = None,
        *,
        align_right: tuple[int, ...] = (),
        decorate: Decorator | None = None,
    ) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self.columns = columns
        self.align_right = set(align_right)
        self.decorate = decorate
        self.rows: list[dict[str, Any]] = []
        self.extra: Any = None
        self._generation = 0
        self.loading = False

    def reload(self, fn: Callable[[Any], Any]) -> None:
        """Load rows with ``fn(services)`` on the database thread. ``fn`` returns the rows, or
        ``(rows, extra)`` where ``extra`` (counts for a status line …) is kept in ``self.extra``."""
        self._generation += 1
        generation = self._generation
        self.loading = True
        self.tasks.run(fn, success=lambda rows: self._apply(generation, rows))

    def _apply(self, generation: int, result: Any) -> None:
        if generation != self._generation:
            return
        rows, extra = result if isinstance(result, tuple) else (result, None)
        self.set_rows(rows, extra)

    def set_rows(self, rows: list[dict[str, Any]], extra: Any = None) -> None:
        """Show rows already in hand (a dialog given its records); ``reload`` ends here too."""
        self._generation += 1  # a load still on its way is older than these rows
        self.beginResetModel()
        self.rows, self.extra = rows, extra
        self.endResetModel()
        self.loading = False
        self.loaded.emit()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.columns)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            value = self.columns[index.column()][1](self.rows[index.row()])
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in self.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if self.decorate is not None:
            return self.decorate(self.rows[index.row()], index.column(), role)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return QCoreApplication.translate("Lists", self.columns[section][0])
        return None

    def row(self, index: int) -> dict[str, Any] | None:
        return self.rows[index] if 0 <= index < len(self.rows) else None

    def row_of(self, row_id: str) -> int:
        return next((i for i, r in enumerate(self.rows) if r.get("id") == row_id), -1)

    def text(self, row: int, column: int) -> str:
        """What one cell shows."""
        return str(self.data(self.index(row, column)))

    def column_texts(self, column: int) -> list[str]:
        """What one column shows, top to bottom (for tests and exports of the view)."""
        return [str(self.columns[column][1](r) or "") for r in self.rows]


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
