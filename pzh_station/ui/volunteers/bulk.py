"""Bulk entry (批量登记): hours for every volunteer who served at one activity, in one go.

Choose the activity (its date and title become the records' date and content), tick the
volunteers who served, adjust anyone's hours; saving writes all of them or none — a volunteer
who cannot be recorded (joined later, 24 hours that day, already recorded) gets the reason in
their row.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from pzh_core.domain.volunteer import hours_error, parse_hours
from pzh_station.services.volunteers import BulkResult, VolunteerService
from pzh_station.ui.context import UiContext
from pzh_station.ui.volunteers.common import hours_spin, hours_text
from pzh_station.ui.widgets import SavingDialog

NAME, NUMBER, TEAM, HOURS, PROBLEM = range(5)


def _duration(act: dict[str, Any]) -> float:
    """The activity's length rounded to half hours (2 h when it has no times)."""
    try:
        sh, sm = map(int, act["start_time"].split(":"))
        eh, em = map(int, act["end_time"].split(":"))
    except (ValueError, AttributeError, KeyError):
        return 2.0
    minutes = (eh * 60 + em) - (sh * 60 + sm)
    return max(0.5, round(minutes / 30) / 2) if minutes > 0 else 2.0


class BulkEntryDialog(SavingDialog):
    """:param recorder: the staff member recording the hours."""

    def __init__(
        self, ctx: UiContext, parent: QWidget | None = None, *, recorder: str = ""
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.recorder = recorder
        self.activities: list[dict[str, Any]] = []
        self.volunteers: list[dict[str, Any]] = []
        self.already: dict[str, str] = {}  # volunteers already recorded for the chosen activity
        self.result: BulkResult | None = None
        self._setup_errors()
        self.setWindowTitle(self.tr("批量登记服务时长"))
        self.count_label = QLabel()
        layout = QVBoxLayout(self)
        layout.addLayout(self._build_activity_form())
        layout.addWidget(self.errors.labels["activity_id"])
        layout.addLayout(self._build_filters())
        layout.addWidget(self._build_table(), 1)
        layout.addWidget(self.count_label)
        layout.addWidget(self.message)
        layout.addWidget(self._buttons(self.tr("保存全部")))
        self.errors.labels["volunteers"] = self.message
        self.resize(760, 640)  # fits 1366×768
        self.save_button.setEnabled(False)
        ctx.tasks.run(
            lambda s: (VolunteerService(s).activity_choices(), VolunteerService(s).active()),
            success=self._choices,
        )

    def _build_activity_form(self) -> QFormLayout:
        """The activity, what was done and the hours for each person."""
        self.activity_combo = QComboBox()
        self.activity_info = QLabel()
        self.description_edit = QLineEdit()
        self.hours_spin = hours_spin()
        self.apply_hours_button = QPushButton(self.tr("应用到已勾选"))
        form = QFormLayout()
        form.addRow(self.tr("活动*"), self.activity_combo)
        form.addRow("", self.activity_info)
        form.addRow(self.tr("服务内容"), self.description_edit)
        hours_row = QHBoxLayout()
        hours_row.addWidget(self.hours_spin)
        hours_row.addWidget(self.apply_hours_button)
        hours_row.addStretch(1)
        form.addRow(self.tr("每人时长"), hours_row)
        self.errors.add("activity_id", self.activity_combo)
        self.activity_combo.currentIndexChanged.connect(self._activity_chosen)
        self.apply_hours_button.clicked.connect(self.apply_hours)
        return form

    def _build_filters(self) -> QHBoxLayout:
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText(self.tr("按姓名、编号或团队筛选"))
        self.filter_edit.setClearButtonEnabled(True)
        self.check_all_button = QPushButton(self.tr("全选（显示的）"))
        self.check_none_button = QPushButton(self.tr("全不选"))
        filters = QHBoxLayout()
        filters.addWidget(self.filter_edit, 1)
        filters.addWidget(self.check_all_button)
        filters.addWidget(self.check_none_button)
        self.filter_edit.textChanged.connect(self._filter)
        self.check_all_button.clicked.connect(lambda: self._check_shown(True))
        self.check_none_button.clicked.connect(lambda: self._check_shown(False))
        return filters

    def _build_table(self) -> QTableView:
        """The active volunteers, each with a check box and an editable number of hours."""
        self.model = QStandardItemModel(0, 5, self)
        self.model.setHorizontalHeaderLabels(
            [self.tr(h) for h in ("姓名", "编号", "团队", "时长(小时)", "问题")]
        )
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        for col, width in ((NAME, 140), (NUMBER, 120), (TEAM, 150), (HOURS, 90)):
            self.table.setColumnWidth(col, width)
        self.model.itemChanged.connect(lambda _item: self._count())
        return self.table

    # -- filling -------------------------------------------------------------------------
    def _choices(self, result: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> None:
        self.activities, self.volunteers = result
        self.activity_combo.blockSignals(True)
        self.activity_combo.addItem(self.tr("（请选择活动）"), "")
        for a in self.activities:
            self.activity_combo.addItem(f"{a['date']} {a['title']}", a["id"])
        self.activity_combo.blockSignals(False)
        self.model.setRowCount(0)
        for v in self.volunteers:
            name = QStandardItem(v["name"] or "")
            name.setCheckable(True)
            name.setEditable(False)
            name.setData(v["id"], Qt.ItemDataRole.UserRole)
            row = [
                name,
                QStandardItem(v["number"]),
                QStandardItem(v["team"]),
                QStandardItem(hours_text(self.hours_spin.value())),
                QStandardItem(""),
            ]
            for item in (row[NUMBER], row[TEAM], row[PROBLEM]):
                item.setEditable(False)
            self.model.appendRow(row)
        self.save_button.setEnabled(True)
        self._count()

    def select_activity(self, activity_id: str) -> None:
        self.activity_combo.setCurrentIndex(max(0, self.activity_combo.findData(activity_id)))

    def _activity_chosen(self, _index: int) -> None:
        act = self.current_activity()
        if act is None:
            self.activity_info.setText("")
            return
        self.activity_info.setText(
            self.tr("日期 {}　时间 {}–{}　地点 {}").format(
                act["date"], act["start_time"] or "?", act["end_time"] or "?", act.get("place", "")
            )
        )
        self.description_edit.setText(act["title"])
        self.hours_spin.setValue(_duration(act))
        self.apply_hours(all_rows=True)
        aid = act["id"]
        self.ctx.tasks.run(
            lambda s: VolunteerService(s).already_recorded(aid), success=self._mark_done
        )

    def _mark_done(self, already: dict[str, str]) -> None:
        self.already = already
        for r in range(self.model.rowCount()):
            item = self.model.item(r, NAME)
            recorded = item.data(Qt.ItemDataRole.UserRole) in already
            item.setEnabled(not recorded)
            if recorded:
                item.setCheckState(Qt.CheckState.Unchecked)
            self.model.item(r, PROBLEM).setText(self.tr("已登记过本活动") if recorded else "")
        self._count()

    def current_activity(self) -> dict[str, Any] | None:
        aid = self.activity_combo.currentData()
        return next((a for a in self.activities if a["id"] == aid), None)

    # -- ticking -------------------------------------------------------------------------
    def row_of(self, volunteer_id: str) -> int:
        for r in range(self.model.rowCount()):
            if self.model.item(r, NAME).data(Qt.ItemDataRole.UserRole) == volunteer_id:
                return r
        return -1

    def set_checked(
        self, volunteer_id: str, checked: bool = True, *, hours: float | None = None
    ) -> None:
        r = self.row_of(volunteer_id)
        if r >= 0:
            self.model.item(r, NAME).setCheckState(
                Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
            )
            if hours is not None:
                self.model.item(r, HOURS).setText(hours_text(hours))

    def apply_hours(self, *, all_rows: bool = False) -> None:
        text = hours_text(self.hours_spin.value())
        for r in range(self.model.rowCount()):
            if all_rows or self.model.item(r, NAME).checkState() == Qt.CheckState.Checked:
                self.model.item(r, HOURS).setText(text)

    def _filter(self, text: str) -> None:
        text = text.strip()
        for r in range(self.model.rowCount()):
            hay = " ".join(self.model.item(r, c).text() for c in (NAME, NUMBER, TEAM))
            self.table.setRowHidden(r, bool(text) and text not in hay)

    def _check_shown(self, on: bool) -> None:
        for r in range(self.model.rowCount()):
            item = self.model.item(r, NAME)
            if not self.table.isRowHidden(r) and item.isEnabled():
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def checked(self) -> list[tuple[str, Any]]:
        out = []
        for r in range(self.model.rowCount()):
            item = self.model.item(r, NAME)
            if item.checkState() == Qt.CheckState.Checked:
                text = self.model.item(r, HOURS).text()
                hours = parse_hours(text)
                out.append(
                    (item.data(Qt.ItemDataRole.UserRole), hours if hours is not None else text)
                )
        return out

    def _count(self) -> None:
        self.count_label.setText(
            self.tr("已勾选 {} 人（共 {} 位在册志愿者）").format(
                len(self.checked()), self.model.rowCount()
            )
        )

    # -- saving --------------------------------------------------------------------------
    def save(self) -> None:
        for r in range(self.model.rowCount()):
            if self.model.item(r, NAME).data(Qt.ItemDataRole.UserRole) not in self.already:
                self.model.item(r, PROBLEM).setText("")
        entries = self.checked()
        # Hours that are not numbers are reported in their row before asking the service.
        bad = {vid: hours_error(h) for vid, h in entries if hours_error(h)}
        if bad:
            self._show_problems(bad)
            return
        act = self.current_activity()
        aid = act["id"] if act else ""
        description = self.description_edit.text().strip() or None
        self._run_save(
            lambda s: VolunteerService(s).bulk_record(aid, entries, description=description),
        )

    def _saved(self, result: BulkResult) -> None:
        self.result = result
        if result.problems:
            self.saving = False
            self.save_button.setEnabled(True)
            self._show_problems(result.problems)
            return
        super()._saved(result)

    def _show_problems(self, problems: dict[str, str]) -> None:
        for vid, text in problems.items():
            r = self.row_of(vid)
            if r >= 0:
                self.model.item(r, PROBLEM).setText(text)
        self.message.set_message(
            self.tr("{} 位志愿者不能登记（见“问题”列），未保存任何记录。").format(len(problems))
        )
