"""The attendance tab: the grid, "mark all present" for the chosen session, walk-ins, legend."""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pzh_core.domain.training import AttendanceGrid
from pzh_station.services.training import TrainingService
from pzh_station.store.changed import Changes
from pzh_station.ui.context import UiContext
from pzh_station.ui.training.grid import AttendanceModel, AttendanceView
from pzh_station.ui.training.people import PickPersonDialog
from pzh_station.ui.training.sessions import _error_text


class AttendanceTab(QWidget):
    status = Signal(str)
    loaded = Signal()

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.class_id: str | None = None
        self.dialog: QDialog | None = None
        self.all_present_button = QPushButton(self.tr("本次全部出席"))
        self.all_present_button.setToolTip(
            self.tr("把所选课次中尚未签到的在册学员标为出席（已有的标记不变）")
        )
        self.walk_in_button = QPushButton(self.tr("添加插班学员…"))
        legend = QLabel(
            self.tr(
                "按键：1/P 出席　2/L 迟到　3/E 请假　4/A 缺席　空格 出席　0/Delete 清除　方向键移动"
            )
        )
        legend.setStyleSheet("color: #555;")
        legend.setWordWrap(True)  # wraps rather than widening the page on a small screen
        bar = QHBoxLayout()
        bar.addWidget(self.all_present_button)
        bar.addWidget(self.walk_in_button)
        bar.addStretch(1)
        bar.addWidget(legend)
        self.model = AttendanceModel(ctx.tasks, self)
        self.view = AttendanceView(self)
        self.view.setModel(self.model)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        self.all_present_button.clicked.connect(self.mark_all_present)
        self.walk_in_button.clicked.connect(self.open_walk_in)
        self.model.mark_failed.connect(lambda e: self.status.emit(_error_text(e)))
        self.set_class(None)

    def set_class(self, class_id: str | None) -> None:
        self.class_id = class_id
        self.all_present_button.setEnabled(class_id is not None)
        self.walk_in_button.setEnabled(class_id is not None)
        self.reload()

    def reload(self) -> None:
        cid = self.class_id
        if cid is None:
            self.model.set_grid(None)
            return
        self.ctx.tasks.run(lambda s: TrainingService(s).grid(cid), success=self._show)

    def _show(self, grid: AttendanceGrid) -> None:
        if grid.class_id != self.class_id:
            return
        # Keep the cursor on the same person and session across a reload.
        current = self.view.currentIndex()
        pid = sid = None
        if current.isValid() and self.model.grid is not None:
            if current.row() < len(self.model.people):
                pid = self.model.people[current.row()]["id"]
            if current.column() < len(self.model.sessions):
                sid = self.model.sessions[current.column()]["id"]
        self.model.set_grid(grid)
        row = next((i for i, p in enumerate(grid.people) if p["id"] == pid), 0)
        col = next((i for i, s in enumerate(grid.sessions) if s["id"] == sid), None)
        if col is None:
            # Start on the latest session already held: that is the one being marked today.
            held = [
                i
                for i, s in enumerate(grid.sessions)
                if s["date"] <= grid.today.isoformat() and not s["cancelled"]
            ]
            col = held[-1] if held else 0
        if grid.people and grid.sessions:
            self.view.setCurrentIndex(self.model.index(row, col))
            # once laid out (scroll bars shown), bring today's column fully into view
            QTimer.singleShot(0, self.show_current_column)
        self.loaded.emit()

    def show_current_column(self) -> None:
        index = self.view.currentIndex()
        if index.isValid():
            self.view.scrollTo(index, QAbstractItemView.ScrollHint.EnsureVisible)

    def changed(self, changes: Changes) -> None:
        """Reload on changes from elsewhere; a mark made in this grid is already shown (reloading
        under a fast typist would only flicker and could hide marks still being written)."""
        if changes.initiator is self.model and changes == {"attendance"}:
            return
        if changes & {"training", "people", "attendance", "sync"}:
            self.reload()

    def current_session_id(self) -> str | None:
        index = self.view.currentIndex()
        if index.isValid() and index.column() < len(self.model.sessions):
            return self.model.sessions[index.column()]["id"]
        return None

    def mark_all_present(self) -> None:
        sid = self.current_session_id()
        if sid is None:
            self.status.emit(self.tr("请先在表格中选中一次课"))
            return
        self.ctx.tasks.run(
            lambda s: TrainingService(s).mark_all_present(sid),
            success=lambda n: self.status.emit(self.tr("已标记 {} 人出席").format(n)),
            failure=lambda e: self.status.emit(_error_text(e)),
        )

    def open_walk_in(self) -> None:
        sid = self.current_session_id()
        if sid is None:
            self.status.emit(self.tr("请先在表格中选中插班学员来上的那次课"))
            return
        on_roster = tuple(p["id"] for p in self.model.people if p["active"])
        dlg = PickPersonDialog(self.ctx, self, title=self.tr("添加插班学员"), exclude=on_roster)
        dlg.picked.connect(lambda pid: self.add_walk_in(sid, pid))
        self.dialog = dlg
        dlg.show()

    def add_walk_in(self, session_id: str, person_id: str) -> None:
        self.ctx.tasks.run(
            lambda s: TrainingService(s).add_walk_in(session_id, person_id),
            success=lambda r: self.status.emit(r.warning or self.tr("已添加插班学员并签到")),
            failure=lambda e: self.status.emit(_error_text(e)),
        )
