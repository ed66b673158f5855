"""The attendance grid (签到表): participants × sessions, one keystroke per mark.

Keys (shown in the legend): 1 or P 出席, 2 or L 迟到, 3 or E 请假, 4 or A 缺席, Space 出席,
0 / Delete / Backspace clears. After a mark the cursor moves down to the next participant in the
same session — the order a worker reads names out at the door. Arrow keys move freely.

The model shows a mark at once and writes it on the database thread; if the write fails the mark
is put back and the error shown. Names are the vertical header, so they stay in view while the
sessions scroll sideways.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from functools import cache
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QInputMethodEvent, QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QTableView, QWidget

from pzh_core.domain import training as d
from pzh_core.domain.training import AttendanceGrid
from pzh_station.services.training import TrainingService
from pzh_station.ui.tasks import Tasks

MARK_COLORS = {"present": "#c8e6c9", "late": "#fff3c4", "excused": "#d6e4ff", "absent": "#ffcdd2"}
CANCELLED_COLOR = "#e0e0e0"
TOTAL_COLOR = "#f5f5f5"
EXTRA_COLUMNS = ("出勤", "出勤率", "结业")
TOTAL_ROWS = ("出勤人数", "出勤率")

Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()
_ROLES = frozenset(
    {
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.BackgroundRole,
        Qt.ItemDataRole.TextAlignmentRole,
        Qt.ItemDataRole.UserRole,
    }
)


@cache
def _brush(color: str) -> QBrush:
    return QBrush(QColor(color))


class AttendanceModel(QAbstractTableModel):
    """Rows: participants, then two total rows. Columns: sessions, then 出勤 / 出勤率 / 结业."""

    mark_failed = Signal(object)  # the exception of a write that did not happen
    mark_written = Signal(str, str, str)  # person id, session id, mark — after it is stored

    def __init__(self, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self.grid: AttendanceGrid | None = None
        self.pending = 0  # marks shown but not yet written
        self._inflight: dict[tuple[str, str], str] = {}  # those marks, latest per cell
        # Set when one of this model's writes succeeded; ``Tasks.changed`` follows at once, and the
        # tab then knows the change is its own.

    # -- data in ---------------------------------------------------------------------------
    def set_grid(self, grid: AttendanceGrid | None) -> None:
        self.beginResetModel()
        self.grid = grid
        if grid is not None:
            # A reload read before the latest keystrokes were stored must not hide them.
            for key, mark in self._inflight.items():
                if mark:
                    grid.marks[key] = mark
                else:
                    grid.marks.pop(key, None)
        self._count()
        self.endResetModel()

    def _count(self) -> None:
        """Row and column totals, kept up to date mark by mark (painting asks for them often)."""
        g = self.grid
        self._held = {s["id"] for s in g.held_sessions()} if g else set()
        self._row_att: dict[str, int] = {}
        self._col_att: dict[str, int] = {}
        if g is None:
            return
        for p in g.people:
            self._row_att[p["id"]] = 0
        for s in g.sessions:
            self._col_att[s["id"]] = 0
        for (pid, sid), mark in g.marks.items():
            if mark in d.ATTENDED and pid in self._row_att and sid in self._col_att:
                self._col_att[sid] += 1
                if sid in self._held:
                    self._row_att[pid] += 1

    def attended(self, person_id: str) -> int:
        return self._row_att.get(person_id, 0)

    def column_attended(self, session_id: str) -> int:
        return self._col_att.get(session_id, 0)

    @property
    def people(self) -> list[dict[str, Any]]:
        return self.grid.people if self.grid else []

    @property
    def sessions(self) -> list[dict[str, Any]]:
        return self.grid.sessions if self.grid else []

    def rowCount(self, parent: Index = _ROOT) -> int:  # noqa: N802
        if parent.isValid() or self.grid is None:
            return 0
        return len(self.people) + len(TOTAL_ROWS)

    def columnCount(self, parent: Index = _ROOT) -> int:  # noqa: N802
        if parent.isValid() or self.grid is None:
            return 0
        return len(self.sessions) + len(EXTRA_COLUMNS)

    def is_mark_cell(self, index: Index) -> bool:
        return (
            index.isValid()
            and index.row() < len(self.people)
            and index.column() < len(self.sessions)
            and not self.sessions[index.column()]["cancelled"]
        )

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:  # noqa: N802
        if self.grid is None:
            return None
        if orientation == Qt.Orientation.Horizontal:
            if section < len(self.sessions):
                s = self.sessions[section]
                day = dt.date.fromisoformat(s["date"])
                if role == Qt.ItemDataRole.DisplayRole:
                    text = f"{day.month}/{day.day}\n{d.WEEKDAY_LABELS[day.weekday()]}"
                    return text + ("\n" + self.tr("取消") if s["cancelled"] else "")
                if role == Qt.ItemDataRole.ToolTipRole:
                    return f"{s['date']} {s['start_time']}–{s['end_time']} {s['notes']}".strip()
                return None
            if role == Qt.ItemDataRole.DisplayRole:
                return self.tr(EXTRA_COLUMNS[section - len(self.sessions)])
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            if section < len(self.people):
                p = self.people[section]
                suffix = "" if p["active"] else self.tr("（已退班）")
                return (
                    p["name"]
                    + (self.tr("（插班）") if p["walk_in"] and p["active"] else "")
                    + suffix
                )
            return self.tr(TOTAL_ROWS[section - len(self.people)])
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        g = self.grid
        if g is None or role not in _ROLES or not index.isValid():
            return None
        row, col = index.row(), index.column()
        n_people, n_sessions = len(self.people), len(self.sessions)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        if row < n_people:
            pid = self.people[row]["id"]
            if col < n_sessions:
                s = self.sessions[col]
                mark = g.mark(pid, s["id"])
                if role == Qt.ItemDataRole.DisplayRole:
                    return d.MARK_SHORT[mark]
                if role == Qt.ItemDataRole.ToolTipRole:
                    return self.tr(d.MARK_LABELS[mark]) if mark else self.tr("未签到")
                if role == Qt.ItemDataRole.BackgroundRole:
                    if s["cancelled"]:
                        return _brush(CANCELLED_COLOR)
                    return _brush(MARK_COLORS[mark]) if mark else None
                if role == Qt.ItemDataRole.UserRole:
                    return mark
                return None
            extra = col - n_sessions
            if role == Qt.ItemDataRole.DisplayRole:
                got, held = self.attended(pid), len(self._held)
                if extra == 0:
                    return f"{got}/{held}"
                if extra == 1:
                    return d.format_rate(d.rate(got, held))
                return self.tr("是") if d.completed(got, held, g.share) else ""
            if role == Qt.ItemDataRole.BackgroundRole:
                return _brush(TOTAL_COLOR)
            if role == Qt.ItemDataRole.ToolTipRole and extra == 0:
                counts = g.row_counts(pid)
                return "　".join(f"{self.tr(d.MARK_LABELS[m])} {counts[m]}" for m in d.MARKS)
            return None
        total_row = row - n_people
        if role == Qt.ItemDataRole.BackgroundRole:
            return _brush(TOTAL_COLOR)
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if col < n_sessions:
            s = self.sessions[col]
            if s["cancelled"]:
                return "—"
            got = self.column_attended(s["id"])
            return str(got) if total_row == 0 else d.format_rate(d.rate(got, n_people))
        if col - n_sessions == 1 and total_row == 1:
            held_got = sum(self._row_att.values())
            return d.format_rate(d.rate(held_got, len(self._held) * n_people))
        return ""

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    # -- marking ---------------------------------------------------------------------------
    def set_mark(self, index: Index, mark: str) -> bool:
        """Show ``mark`` in a cell at once and write it in the background. :returns: False when
        the cell takes no mark (a total, a cancelled session)."""
        if self.grid is None or not self.is_mark_cell(index):
            return False
        pid = self.people[index.row()]["id"]
        sid = self.sessions[index.column()]["id"]
        key = (pid, sid)
        before = self.grid.marks.get(key, "")
        if before == mark:
            return True
        self._put(key, mark, index.row(), index.column())
        self.pending += 1
        self._inflight[key] = mark

        def settled() -> None:
            self.pending -= 1
            if self._inflight.get(key) == mark:
                del self._inflight[key]

        def failed(exc: Exception) -> None:
            settled()
            if self.grid is not None and self.grid.marks.get(key, "") == mark:
                self._put(key, before, *self._cell_of(pid, sid))
            self.mark_failed.emit(exc)

        def written(_: object) -> None:
            settled()
            self.mark_written.emit(pid, sid, mark)

        self.tasks.run(
            lambda s: TrainingService(s).mark(sid, pid, mark),
            success=written,
            failure=failed,
            initiator=self,
        )
        return True

    def _cell_of(self, pid: str, sid: str) -> tuple[int, int]:
        row = next((i for i, p in enumerate(self.people) if p["id"] == pid), -1)
        col = next((i for i, s in enumerate(self.sessions) if s["id"] == sid), -1)
        return row, col

    def _put(self, key: tuple[str, str], mark: str, row: int, col: int) -> None:
        assert self.grid is not None
        pid, sid = key
        delta = (mark in d.ATTENDED) - (self.grid.marks.get(key, "") in d.ATTENDED)
        if delta and pid in self._row_att and sid in self._col_att:
            self._col_att[sid] += delta
            if sid in self._held:
                self._row_att[pid] += delta
        if mark:
            self.grid.marks[key] = mark
        else:
            self.grid.marks.pop(key, None)
        if row < 0 or col < 0:
            return
        last_col = self.columnCount() - 1
        last_row = self.rowCount() - 1
        self.dataChanged.emit(self.index(row, col), self.index(row, col))
        self.dataChanged.emit(self.index(row, len(self.sessions)), self.index(row, last_col))
        self.dataChanged.emit(self.index(len(self.people), 0), self.index(last_row, last_col))


class AttendanceView(QTableView):
    """The grid's view: a mark per keystroke, then down to the next participant."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(False)
        self.horizontalHeader().setDefaultSectionSize(46)
        self.horizontalHeader().setMinimumSectionSize(40)
        self.verticalHeader().setDefaultSectionSize(26)
        self.setToolTip(self.tr("1/P 出席　2/L 迟到　3/E 请假　4/A 缺席　空格 出席　0/Delete 清除"))

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if not event.modifiers() & (
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
        ):
            if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
                mark: str | None = ""
            else:
                mark = mark_for(event.text())
            if mark is not None and self.mark_current(mark):
                event.accept()
                return
        super().keyPressEvent(event)

    def inputMethodEvent(self, event: QInputMethodEvent) -> None:  # noqa: N802
        """A Chinese input method that is switched on sends what was typed as a commit string
        (often full-width: ``１``); each character still marks one cell."""
        text = event.commitString()
        handled = False
        for ch in text:
            mark = mark_for(ch)
            if mark is not None:
                handled = self.mark_current(mark) or handled
        if handled:
            event.accept()
            return
        super().inputMethodEvent(event)

    def mark_current(self, mark: str) -> bool:
        """Mark the current cell and move down to the next participant. :returns: False when
        the current cell takes no mark."""
        model = self.model()
        index = self.currentIndex()
        if not isinstance(model, AttendanceModel) or not model.is_mark_cell(index):
            return False
        model.set_mark(index, mark)
        below = model.index(min(index.row() + 1, max(len(model.people) - 1, 0)), index.column())
        self.setCurrentIndex(below)
        return True


def mark_for(text: str) -> str | None:
    """The mark a typed character stands for (full-width ``１`` and ``Ｐ`` included), or None."""
    if not text or len(text) != 1:
        return None
    return d.MARK_KEYS.get(unicodedata.normalize("NFKC", text).lower())
