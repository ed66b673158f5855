"""The volunteer page's records tab (服务记录): the list with filters, record, bulk entry,
verify / reject, corrections, export of hours."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from pzh_core.domain.volunteer import (
    RECORD_STATES,
    ServiceRecord,
)
from pzh_station.services.volunteers import MAX_LIST, VolunteerService
from pzh_station.store.volunteers import RecordFilter
from pzh_station.ui.volunteers.bulk import BulkEntryDialog
from pzh_station.ui.volunteers.common import hours_text
from pzh_station.ui.volunteers.corrections import CorrectionDialog, CorrectionsDialog, ReasonDialog
from pzh_station.ui.volunteers.record_form import RecordDialog
from pzh_station.ui.widgets import RowsModel, rows_table
from pzh_station.ui.widgets.search import search_as_you_type

RECORD_COLUMNS = [
    ("服务日期", lambda r: r["date"]),
    ("志愿者", lambda r: r["name"]),
    ("编号", lambda r: r["number"]),
    ("时长", lambda r: hours_text(r["hours"])),
    ("服务内容", lambda r: r["description"]),
    ("关联活动/培训班", lambda r: r["activity_title"] or r["class_name"]),
    ("记录人", lambda r: r["recorded_by"]),
    ("状态", lambda r: RECORD_STATES.get(r["status"], r["status"])),
    ("审核人", lambda r: r["verified_by"]),
    ("审核日期", lambda r: r["verified_on"]),
    ("驳回原因", lambda r: r["reject_reason"]),
]


class RecordsTab:
    """The records tab.
    The tab's widgets and slots, mixed into :class:`~pzh_station.ui.volunteers.page.VolunteersPage`
    (which provides ``ctx``, ``operator()``, ``_open``, ``_run`` and the message line).
    """

    # == records =============================================================================
    def _build_records(self) -> QWidget:
        self.record_status_combo = QComboBox()
        self.record_status_combo.addItem(self.tr("全部状态"), "")
        for code, label in RECORD_STATES.items():
            self.record_status_combo.addItem(self.tr(label), code)
        self.record_year_spin = QSpinBox()
        self.record_year_spin.setRange(2000, 2100)
        self.record_year_spin.setSpecialValueText(self.tr("全部年份"))
        self.record_year_spin.setMinimum(1999)
        self.record_year_spin.setValue(self.year)
        self.record_search = QLineEdit()
        self.record_search.setPlaceholderText(self.tr("搜索志愿者姓名或服务内容"))
        self.record_search.setClearButtonEnabled(True)
        self.record_model = RowsModel(self.ctx.tasks, RECORD_COLUMNS, self, align_right=(3,))
        self.record_table = rows_table(self.record_model, multi=True)
        for col, width in enumerate((92, 80, 100, 50, 200, 160, 64, 64, 64, 92, 120)):
            self.record_table.setColumnWidth(col, width)
        self.record_count = QLabel()
        filters = QHBoxLayout()
        filters.addWidget(self.record_search, 1)
        filters.addWidget(self.record_status_combo)
        filters.addWidget(self.record_year_spin)
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.addLayout(self._build_record_actions())
        layout.addLayout(filters)
        layout.addWidget(self.record_table, 1)
        layout.addWidget(self.record_count)
        self._connect_records()
        return tab

    def _build_record_actions(self) -> QHBoxLayout:
        """The records' buttons, wired to their slots."""
        self.record_button = QPushButton(self.tr("登记时长"))
        self.bulk_button = QPushButton(self.tr("按活动批量登记"))
        self.edit_record_button = QPushButton(self.tr("修改"))
        self.delete_record_button = QPushButton(self.tr("删除"))
        self.verify_button = QPushButton(self.tr("审核通过"))
        self.reject_button = QPushButton(self.tr("驳回…"))
        self.correct_button = QPushButton(self.tr("申请更正…"))
        self.history_button = QPushButton(self.tr("更正历史"))
        self.pending_button = QPushButton(self.tr("待审批更正"))
        self.export_hours_button = QPushButton(self.tr("导出…"))
        actions = QHBoxLayout()
        for button, slot in (
            (self.record_button, self.add_record),
            (self.bulk_button, self.bulk_entry),
            (self.edit_record_button, self.edit_record),
            (self.delete_record_button, self.delete_record),
            (self.verify_button, self.verify),
            (self.reject_button, self.reject),
            (self.correct_button, self.request_correction),
            (self.history_button, self.correction_history),
            (self.pending_button, self.pending_corrections),
            (self.export_hours_button, self.export_hours),
        ):
            actions.addWidget(button)
            button.clicked.connect(slot)
        actions.addStretch(1)
        return actions

    def _connect_records(self) -> None:
        """Filters reload the list (the search after a pause); double-click edits a record."""
        self.record_timer = search_as_you_type(self.record_search, self.reload_records)
        self.record_status_combo.currentIndexChanged.connect(self.reload_records)
        self.record_year_spin.valueChanged.connect(self.reload_records)
        self.record_table.doubleClicked.connect(lambda _i: self.edit_record())
        self.record_table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.record_model.loaded.connect(self._records_loaded)

    def record_filter(self) -> RecordFilter:
        f = RecordFilter(
            status=self.record_status_combo.currentData() or "",
            text=self.record_search.text().strip(),
        )
        year = self.record_year_spin.value()
        if year >= 2000:
            f.date_from, f.date_to = f"{year:04d}-01-01", f"{year:04d}-12-31"
        return f

    def reload_records(self) -> None:
        self.record_timer.stop()
        f = self.record_filter()

        def load(s: Any) -> tuple[list[dict[str, Any]], tuple[int, int]]:
            svc = VolunteerService(s)
            rows = svc.records(f)
            total = svc.record_count(f) if len(rows) >= MAX_LIST else len(rows)
            return rows, (total, len(svc.pending_corrections()))

        self.record_model.reload(load)

    def _records_loaded(self) -> None:
        rows = self.record_model.rows
        total, pending = self.record_model.extra or (len(rows), 0)
        waiting = sum(1 for r in rows if r["status"] == "recorded")
        text = self.tr("共 {} 条记录，其中待审核 {} 条，已审核 {} 小时").format(
            total, waiting, hours_text(sum(r["hours"] for r in rows if r["status"] == "verified"))
        )
        if total > len(rows):
            text += self.tr("（只显示最近 {} 条，请缩小筛选范围）").format(len(rows))
        self.record_count.setText(text)
        self.pending_button.setText(
            self.tr("待审批更正 ({})").format(pending) if pending else self.tr("待审批更正")
        )
        self._update_buttons()

    def selected_records(self) -> list[dict[str, Any]]:
        rows = sorted({i.row() for i in self.record_table.selectionModel().selectedRows()})
        return [r for r in (self.record_model.row(i) for i in rows) if r]

    def select_records(self, record_ids: list[str]) -> None:
        self.record_table.clearSelection()
        mode = self.record_table.selectionMode()
        self.record_table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        for rid in record_ids:
            row = self.record_model.row_of(rid)
            if row >= 0:
                self.record_table.selectRow(row)
        self.record_table.setSelectionMode(mode)

    def add_record(self) -> None:
        vol = self.selected_volunteer()  # a volunteer chosen in the archive is preselected
        record = ServiceRecord(
            date=dt.date.today().isoformat(), hours=2.0, volunteer_id=vol["id"] if vol else ""
        )
        self._open(
            RecordDialog(self.ctx, record, self, recorder=self.operator()), self._record_saved, ""
        )

    def _record_saved(self, saved: Any) -> None:
        text = self.tr("服务记录已保存，等待其他工作人员审核")
        if saved.warnings:
            text += self.tr("。注意：") + "；".join(saved.warnings.values())
        self._info(text)

    def edit_record(self) -> None:
        rows = self.selected_records()
        if len(rows) != 1:
            return
        rid = rows[0]["id"]
        if rows[0]["status"] == "verified":
            self._error(self.tr("已审核的记录不能直接修改，请用“申请更正”"))
            return
        self.ctx.tasks.run(
            lambda s: VolunteerService(s).get_record(rid), success=self._edit_record_loaded
        )

    def _edit_record_loaded(self, record: Any) -> None:
        if record is not None:
            self._open(
                RecordDialog(self.ctx, record, self, recorder=self.operator()),
                self._record_saved,
                "",
            )

    def delete_record(self) -> None:
        ids = [r["id"] for r in self.selected_records()]
        if ids:
            self._run(
                lambda s: VolunteerService(s).delete_records(ids),
                self.tr("已删除 {} 条记录").format(len(ids)),
            )

    def verify(self) -> None:
        ids = [r["id"] for r in self.selected_records() if r["status"] == "recorded"]
        if not ids:
            self._error(self.tr("请选择待审核的记录"))
            return
        who = self.operator()
        self._run(
            lambda s: VolunteerService(s).verify_many(ids, verifier=who),
            self.tr("已审核通过 {} 条记录").format(len(ids)),
        )

    def reject(self) -> None:
        rows = [r for r in self.selected_records() if r["status"] == "recorded"]
        if len(rows) != 1:
            self._error(self.tr("请选择一条待审核的记录"))
            return
        rid, who = rows[0]["id"], self.operator()
        dialog = ReasonDialog(
            self.ctx,
            self.tr("驳回服务记录"),
            self.tr("请填写驳回原因（记录人会看到）："),
            lambda s, reason: VolunteerService(s).reject(rid, reason, verifier=who),
            self,
        )
        self._open(dialog, None, self.tr("已驳回"))

    def request_correction(self) -> None:
        rows = self.selected_records()
        if len(rows) != 1 or rows[0]["status"] != "verified":
            self._error(self.tr("请选择一条已审核的记录（未审核的记录可直接修改）"))
            return
        self._open(
            CorrectionDialog(self.ctx, rows[0], self, requester=self.operator()),
            None,
            self.tr("更正申请已提交，待其他工作人员审批"),
        )

    def correction_history(self) -> None:
        rows = self.selected_records()
        if len(rows) == 1:
            self._open(
                CorrectionsDialog(self.ctx, self, decider=self.operator(), record_id=rows[0]["id"]),
                None,
                "",
            )

    def pending_corrections(self) -> None:
        self._open(CorrectionsDialog(self.ctx, self, decider=self.operator()), None, "")

    def bulk_entry(self) -> None:
        self._open(BulkEntryDialog(self.ctx, self, recorder=self.operator()), self._bulk_saved, "")

    def _bulk_saved(self, result: Any) -> None:
        text = self.tr("已批量登记 {} 条服务记录").format(result.written)
        if result.warnings:
            text += self.tr("。注意：{} 位志愿者当天超过12小时").format(len(result.warnings))
        self._info(text)

    def export_hours(self) -> None:
        year = self.record_year_spin.value()
        year_arg = year if year >= 2000 else None
        name = f"志愿服务时长{'-' + str(year_arg) if year_arg else ''}.xlsx"
        path = self.ask_save_path(self.tr("导出服务记录"), name, "Excel (*.xlsx);;CSV (*.csv)")
        if path:
            self._run(
                lambda s: VolunteerService(s).export_hours(path, year=year_arg),
                self.tr("已导出到：{}").format(path),
            )
