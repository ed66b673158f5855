"""The volunteers page (文化志愿者): archive, service records, star levels.

The main window's operator (当前录入人, ``ctx.operator``) says who is at the keyboard: new records
are recorded by them, and verifications, rejections, correction requests and approvals are made
in their name (the service refuses a verifier who recorded the record, where the station has
several staff). The page shows that name so nobody verifies by accident in someone else's.
Every slot queues work on ``ctx.tasks``; lists reload when ``tasks.changed`` names "volunteers".
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from pzh_core.domain import refdata
from pzh_core.domain.errors import ValidationError
from pzh_core.domain.volunteer import (
    RECORD_STATES,
    STATUSES,
    ServiceRecord,
    next_threshold,
    star_label,
)
from pzh_station.services.volunteers import MAX_LIST, VolunteerService
from pzh_station.store.volunteers import RecordFilter, VolunteerFilter
from pzh_station.ui.context import UiContext
from pzh_station.ui.volunteers.bulk import BulkEntryDialog
from pzh_station.ui.volunteers.forms import (
    CorrectionDialog,
    CorrectionsDialog,
    ReasonDialog,
    RecordDialog,
    VolunteerDialog,
)
from pzh_station.ui.volunteers.importing import ImportDialog
from pzh_station.ui.volunteers.model import RowsModel, hours_text
from pzh_station.ui.widgets import FieldErrorLabel, RefCombo

SEARCH_DELAY_MS = 250


def _table(model: RowsModel, *, multi: bool = False) -> QTableView:
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


def _stars(n: int) -> str:
    return "★" * n if n else ""


class VolunteersPage(QWidget):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.dialog: Any = None
        self.year = dt.date.today().year

        self.operator_label = QLabel()
        self.operator_label.setObjectName("operator_label")
        self.message = FieldErrorLabel()
        self.message.setObjectName("page_message")
        self.info = QLabel()
        self.info.setObjectName("page_info")
        self.info.setStyleSheet("color: #2e7d32;")
        self.info.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.operator_label)
        top.addWidget(self.info, 1)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_archive(), self.tr("志愿者档案"))
        self.tabs.addTab(self._build_records(), self.tr("服务记录"))
        self.tabs.addTab(self._build_stars(), self.tr("星级"))
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(self.tabs, 1)

        # Only the tab on show is loaded; the others when first shown after a change.
        self._stale: set[int] = {0, 1, 2}
        self.tabs.currentChanged.connect(self._tab_shown)
        ctx.tasks.changed.connect(self._changed)
        self._show_operator()
        self._tab_shown(self.tabs.currentIndex())

    # == archive =============================================================================
    def _build_archive(self) -> QWidget:
        self.add_button = QPushButton(self.tr("新增志愿者"))
        self.edit_button = QPushButton(self.tr("编辑"))
        self.delete_button = QPushButton(self.tr("移出档案"))
        self.certificate_button = QPushButton(self.tr("时长证明(PDF)…"))
        self.export_button = QPushButton(self.tr("导出档案…"))
        self.import_button = QPushButton(self.tr("导入档案…"))
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText(self.tr("搜索姓名、电话、编号、团队"))
        self.search_edit.setClearButtonEnabled(True)
        self.status_combo = QComboBox()
        self.status_combo.addItem(self.tr("全部状态"), "")
        for code, label in STATUSES.items():
            self.status_combo.addItem(self.tr(label), code)
        self.skill_combo = RefCombo("volunteer_skills", empty=self.tr("全部技能"))
        skills = refdata.labels("volunteer_skills")
        self.volunteer_model = RowsModel(
            self.ctx.tasks,
            [
                ("编号", lambda r: r["number"]),
                ("姓名", lambda r: r["name"]),
                ("性别", lambda r: r["gender"]),
                ("电话", lambda r: r["phone"]),
                ("所属团队", lambda r: r["team"]),
                ("服务技能", lambda r: "、".join(skills.get(s, s) for s in r["skills"])),
                ("状态", lambda r: STATUSES.get(r["status"], r["status"])),
                ("加入日期", lambda r: r["join_date"]),
                ("本年时长", lambda r: hours_text(r["year_total"])),
                ("累计时长", lambda r: hours_text(r["total"])),
                ("星级", lambda r: _stars(r["stars"])),
            ],
            self,
            align_right=(8, 9),
        )
        self.volunteer_table = _table(self.volunteer_model)
        for col, width in enumerate((110, 80, 44, 110, 130, 150, 54, 92, 72, 72, 80)):
            self.volunteer_table.setColumnWidth(col, width)
        self.volunteer_table.horizontalHeader().setSectionResizeMode(
            5, QHeaderView.ResizeMode.Stretch
        )
        self.volunteer_count = QLabel()
        self.detail_label = QLabel()
        self.detail_label.setObjectName("volunteer_detail")
        self.detail_label.setWordWrap(True)

        actions = QHBoxLayout()
        for b in (
            self.add_button,
            self.edit_button,
            self.delete_button,
            self.certificate_button,
            self.import_button,
            self.export_button,
        ):
            actions.addWidget(b)
        actions.addStretch(1)
        filters = QHBoxLayout()
        filters.addWidget(self.search_edit, 1)
        filters.addWidget(self.status_combo)
        filters.addWidget(self.skill_combo)
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.addLayout(actions)
        layout.addLayout(filters)
        layout.addWidget(self.volunteer_table, 1)
        layout.addWidget(self.detail_label)
        layout.addWidget(self.volunteer_count)

        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(SEARCH_DELAY_MS)
        self.search_timer.timeout.connect(self.reload_volunteers)
        self.search_edit.textChanged.connect(self.search_timer.start)
        self.status_combo.currentIndexChanged.connect(self.reload_volunteers)
        self.skill_combo.currentIndexChanged.connect(self.reload_volunteers)
        self.add_button.clicked.connect(self.add_volunteer)
        self.edit_button.clicked.connect(self.edit_volunteer)
        self.delete_button.clicked.connect(self.delete_volunteer)
        self.certificate_button.clicked.connect(self.certificate)
        self.export_button.clicked.connect(self.export_archive)
        self.import_button.clicked.connect(self.import_archive)
        self.volunteer_table.doubleClicked.connect(lambda _i: self.edit_volunteer())
        self.volunteer_table.selectionModel().selectionChanged.connect(self._volunteer_selected)
        self.volunteer_model.loaded.connect(self._volunteers_loaded)
        return tab

    def reload_volunteers(self) -> None:
        self.search_timer.stop()
        f = VolunteerFilter(
            text=self.search_edit.text().strip(),
            status=self.status_combo.currentData() or "",
            skill=self.skill_combo.code(),
        )
        year = self.year
        self.volunteer_model.reload(lambda s: VolunteerService(s).list(f, year=year))

    def _volunteers_loaded(self) -> None:
        rows = self.volunteer_model.rows
        self.volunteer_count.setText(
            self.tr("共 {} 位志愿者，本年已审核 {} 小时").format(
                len(rows), hours_text(sum(r["year_total"] for r in rows))
            )
        )
        self._update_buttons()

    def selected_volunteer(self) -> dict[str, Any] | None:
        rows = self.volunteer_table.selectionModel().selectedRows()
        return self.volunteer_model.row(rows[0].row()) if rows else None

    def select_volunteer(self, volunteer_id: str) -> None:
        row = self.volunteer_model.row_of(volunteer_id)
        if row >= 0:
            self.volunteer_table.selectRow(row)

    def _volunteer_selected(self) -> None:
        self._update_buttons()
        row = self.selected_volunteer()
        if row is None:
            self.detail_label.setText("")
            return
        vid = row["id"]
        self.ctx.tasks.run(
            lambda s: VolunteerService(s).totals(vid), success=lambda t: self._show_totals(row, t)
        )

    def _show_totals(self, row: dict[str, Any], totals: Any) -> None:
        years = "，".join(
            f"{y}年 {hours_text(h)}" for y, h in sorted(totals.by_year.items())
        ) or self.tr("无")
        this_year = f"{self.year}-"
        months = "，".join(
            f"{int(m[5:])}月 {hours_text(h)}"
            for m, h in totals.by_month.items()
            if m.startswith(this_year)
        )
        nxt = next_threshold(totals.all_time)
        star = star_label(totals.stars) or self.tr("未达星级")
        text = self.tr("{}：累计已审核 {} 小时（{}）").format(
            row["name"], hours_text(totals.all_time), star
        )
        if nxt is not None:
            text += self.tr("，距下一星级还差 {} 小时").format(hours_text(nxt - totals.all_time))
        text += self.tr("。按年：{}。").format(years)
        if months:
            text += self.tr("本年按月：{}。").format(months)
        self.detail_label.setText(text)

    def add_volunteer(self) -> None:
        self._open(
            VolunteerDialog(self.ctx, None, self), self.select_volunteer, self.tr("志愿者已保存")
        )

    def edit_volunteer(self) -> None:
        row = self.selected_volunteer()
        if row:
            self._open(
                VolunteerDialog(self.ctx, row["id"], self),
                self.select_volunteer,
                self.tr("志愿者已保存"),
            )

    def delete_volunteer(self) -> None:
        row = self.selected_volunteer()
        if row:
            vid = row["id"]
            self._run(
                lambda s: VolunteerService(s).delete(vid), self.tr("已移出档案（服务记录保留）")
            )

    def certificate(self) -> None:
        row = self.selected_volunteer()
        if not row:
            return
        path = self.ask_save_path(
            self.tr("保存志愿服务时长证明"), f"志愿服务时长证明-{row['name']}.pdf", "PDF (*.pdf)"
        )
        if path:
            vid = row["id"]
            self._run(
                lambda s: VolunteerService(s).write_certificate(vid, path),
                self.tr("已生成证明：{}").format(path),
            )

    def export_archive(self) -> None:
        path = self.ask_save_path(
            self.tr("导出志愿者档案"), "志愿者档案.xlsx", "Excel (*.xlsx);;CSV (*.csv)"
        )
        if path:
            self._run(
                lambda s: VolunteerService(s).export(path),
                self.tr("已导出到：{}").format(path),
            )

    def import_archive(self) -> None:
        path = self.ask_open_path(self.tr("导入志愿者档案"), "Excel/CSV (*.xlsx *.csv)")
        if path:
            self.message.set_message("")
            self.ctx.tasks.run(
                lambda s: VolunteerService(s).read_import(path),
                failure=self._failed,
                success=lambda result: self._open(
                    ImportDialog(self.ctx, result, self, file_name=Path(path).name),
                    self._imported,
                    "",
                ),
            )

    def _imported(self, result: Any) -> None:
        self._info(
            self.tr("已导入 {} 位志愿者（其中更新已有档案 {} 位）").format(
                result.written, result.updated
            )
        )

    def ask_open_path(self, title: str, filters: str) -> str:
        """The file to read (a dialog; tests replace this method)."""
        path, _ = QFileDialog.getOpenFileName(self, title, str(Path.home()), filters)
        return path

    def ask_save_path(self, title: str, name: str, filters: str) -> str:
        """The file to write (a dialog; tests replace this method)."""
        path, _ = QFileDialog.getSaveFileName(self, title, str(Path.home() / name), filters)
        return path

    # == records =============================================================================
    def _build_records(self) -> QWidget:
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
        self.record_model = RowsModel(
            self.ctx.tasks,
            [
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
            ],
            self,
            align_right=(3,),
        )
        self.record_table = _table(self.record_model, multi=True)
        for col, width in enumerate((92, 80, 100, 50, 200, 160, 64, 64, 64, 92, 120)):
            self.record_table.setColumnWidth(col, width)
        self.record_count = QLabel()

        actions = QHBoxLayout()
        for b in (
            self.record_button,
            self.bulk_button,
            self.edit_record_button,
            self.delete_record_button,
            self.verify_button,
            self.reject_button,
            self.correct_button,
            self.history_button,
            self.pending_button,
            self.export_hours_button,
        ):
            actions.addWidget(b)
        actions.addStretch(1)
        filters = QHBoxLayout()
        filters.addWidget(self.record_search, 1)
        filters.addWidget(self.record_status_combo)
        filters.addWidget(self.record_year_spin)
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.addLayout(actions)
        layout.addLayout(filters)
        layout.addWidget(self.record_table, 1)
        layout.addWidget(self.record_count)

        self.record_timer = QTimer(self)
        self.record_timer.setSingleShot(True)
        self.record_timer.setInterval(SEARCH_DELAY_MS)
        self.record_timer.timeout.connect(self.reload_records)
        self.record_search.textChanged.connect(self.record_timer.start)
        self.record_status_combo.currentIndexChanged.connect(self.reload_records)
        self.record_year_spin.valueChanged.connect(self.reload_records)
        self.record_button.clicked.connect(self.add_record)
        self.bulk_button.clicked.connect(self.bulk_entry)
        self.edit_record_button.clicked.connect(self.edit_record)
        self.delete_record_button.clicked.connect(self.delete_record)
        self.verify_button.clicked.connect(self.verify)
        self.reject_button.clicked.connect(self.reject)
        self.correct_button.clicked.connect(self.request_correction)
        self.history_button.clicked.connect(self.correction_history)
        self.pending_button.clicked.connect(self.pending_corrections)
        self.export_hours_button.clicked.connect(self.export_hours)
        self.record_table.doubleClicked.connect(lambda _i: self.edit_record())
        self.record_table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.record_model.loaded.connect(self._records_loaded)
        return tab

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

    # == stars ===============================================================================
    def _build_stars(self) -> QWidget:
        self.stars_year_spin = QSpinBox()
        self.stars_year_spin.setRange(2000, 2100)
        self.stars_year_spin.setValue(self.year)
        self.stars_model = RowsModel(
            self.ctx.tasks,
            [
                ("姓名", lambda r: r["name"]),
                ("编号", lambda r: r["number"]),
                ("达到星级", lambda r: f"{_stars(r['stars'])} {r['label']}"),
                ("年初累计时长", lambda r: hours_text(r["hours_before"])),
                ("年末累计时长", lambda r: hours_text(r["hours"])),
            ],
            self,
            align_right=(3, 4),
        )
        self.stars_table = _table(self.stars_model)
        for col, width in enumerate((100, 120, 200, 110, 110)):
            self.stars_table.setColumnWidth(col, width)
        self.stars_count = QLabel()
        levels = "　".join(
            f"{star_label(i)} {t} 小时"
            for i, t in ((lvl["stars"], lvl["hours"]) for lvl in refdata.load("star_levels"))
        )
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("年份")))
        row.addWidget(self.stars_year_spin)
        row.addStretch(1)
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.addLayout(row)
        layout.addWidget(
            QLabel(self.tr("本年新达到星级的志愿者（按已审核的累计服务时长）。星级标准：") + levels)
        )
        layout.addWidget(self.stars_table, 1)
        layout.addWidget(self.stars_count)
        self.stars_year_spin.valueChanged.connect(self.reload_stars)
        self.stars_model.loaded.connect(
            lambda: self.stars_count.setText(
                self.tr("共 {} 位志愿者新达到星级").format(self.stars_model.rowCount())
            )
        )
        return tab

    def reload_stars(self) -> None:
        year = self.stars_year_spin.value()
        self.stars_model.reload(lambda s: VolunteerService(s).new_levels(year))

    # == shared ==============================================================================
    def operator(self) -> str:
        """The staff member at the keyboard (the main window's 当前录入人)."""
        self._show_operator()
        return (self.ctx.operator or "").strip()

    def _show_operator(self) -> None:
        name = (self.ctx.operator or "").strip()
        self.operator_label.setText(
            self.tr("登记、审核、更正以“{}”的名义进行（在窗口顶部“当前录入人”处切换）").format(name)
            if name
            else self.tr("未选择录入人：请先在窗口顶部选择“当前录入人”")
        )

    def showEvent(self, event) -> None:  # noqa: ANN001, N802
        self._show_operator()
        # Follow the window's chooser while shown (it sets ctx.operator; there is no app signal).
        combo = getattr(self.window(), "operator_combo", None)
        if combo is not None and not getattr(self, "_follows_operator", False):
            self._follows_operator = True
            combo.currentIndexChanged.connect(lambda _i: QTimer.singleShot(0, self._show_operator))
        super().showEvent(event)

    def reload_all(self) -> None:
        """Mark every tab stale and reload the one on show."""
        self._stale = {0, 1, 2}
        self._tab_shown(self.tabs.currentIndex())

    def _tab_shown(self, index: int) -> None:
        if index in self._stale:
            self._stale.discard(index)
            (self.reload_volunteers, self.reload_records, self.reload_stars)[index]()

    def _changed(self, areas: set[str]) -> None:
        if areas & {"volunteers", "people", "activities"}:
            self.reload_all()
        self._show_operator()

    def _update_buttons(self) -> None:
        has_vol = self.selected_volunteer() is not None
        for b in (self.edit_button, self.delete_button, self.certificate_button):
            b.setEnabled(has_vol)
        records = self.selected_records()
        one = len(records) == 1
        status = records[0]["status"] if one else ""
        self.edit_record_button.setEnabled(one and status != "verified")
        self.delete_record_button.setEnabled(
            bool(records) and all(r["status"] != "verified" for r in records)
        )
        self.verify_button.setEnabled(any(r["status"] == "recorded" for r in records))
        self.reject_button.setEnabled(one and status == "recorded")
        self.correct_button.setEnabled(one and status == "verified")
        self.history_button.setEnabled(one)

    def _open(self, dialog: Any, on_saved: Any, text: str) -> None:
        self.dialog = dialog
        if hasattr(dialog, "saved"):
            if on_saved is not None:
                dialog.saved.connect(on_saved)
            if text:
                dialog.saved.connect(lambda _r: self._info(text))
        dialog.open()

    def _run(self, fn: Any, done_text: str) -> None:
        self.message.set_message("")
        self.ctx.tasks.run(fn, success=lambda _r: self._info(done_text), failure=self._failed)

    def _failed(self, error: Exception) -> None:
        if isinstance(error, ValidationError):
            self._error("；".join(error.errors.values()))
        else:
            self._error(getattr(error, "message", None) or str(error))

    def _error(self, text: str) -> None:
        self.info.setText("")
        self.message.set_message(text)

    def _info(self, text: str) -> None:
        self.message.set_message("")
        self.info.setText(text)
        window = self.window()
        if window is not self and hasattr(window, "statusBar"):
            window.statusBar().showMessage(text, 5000)
