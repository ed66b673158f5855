"""The volunteer page's archive tab (志愿者档案): the list with filters, the volunteer's
totals, add / edit / delete, certificate, import and export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pzh_core.domain import refdata
from pzh_core.domain.person import masked_phone
from pzh_core.domain.volunteer import (
    STATUSES,
    next_threshold,
    star_label,
)
from pzh_station.services.volunteers import VolunteerService
from pzh_station.store.volunteers import VolunteerFilter
from pzh_station.ui.progress import Cancelled, cancelled_text, run_with_progress
from pzh_station.ui.volunteers.certificates import CertificateDialog, RegisterDialog
from pzh_station.ui.volunteers.common import hours_text, stars_text
from pzh_station.ui.volunteers.forms import VolunteerDialog
from pzh_station.ui.volunteers.importing import ImportDialog
from pzh_station.ui.widgets import RefCombo, RowsModel, rows_table
from pzh_station.ui.widgets.erase_dialog import EraseDialog
from pzh_station.ui.widgets.search import search_as_you_type


def _skills(r: dict[str, Any]) -> str:
    return "、".join(refdata.label("volunteer_skills", s) for s in r["skills"])


# the phone is masked as on printed sheets (others see the list); the form shows it in full
ARCHIVE_COLUMNS = [
    ("编号", lambda r: r["number"]),
    ("姓名", lambda r: r["name"]),
    ("性别", lambda r: r["gender"]),
    ("电话", lambda r: masked_phone(r["phone"])),
    ("所属团队", lambda r: r["team"]),
    ("服务技能", _skills),
    ("状态", lambda r: STATUSES.get(r["status"], r["status"])),
    ("加入日期", lambda r: r["join_date"]),
    ("本年时长", lambda r: hours_text(r["year_total"])),
    ("累计时长", lambda r: hours_text(r["total"])),
    ("星级", lambda r: stars_text(r["stars"])),
]


class ArchiveTab:
    """The archive tab.
    The tab's widgets and slots, mixed into :class:`~pzh_station.ui.volunteers.page.VolunteersPage`
    (which provides ``ctx``, ``operator()``, ``_open``, ``_run`` and the message line).
    """

    # == archive =============================================================================
    def _build_archive(self) -> QWidget:
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText(self.tr("搜索姓名、电话、编号、团队"))
        self.search_edit.setClearButtonEnabled(True)
        self.status_combo = QComboBox()
        self.status_combo.addItem(self.tr("全部状态"), "")
        for code, label in STATUSES.items():
            self.status_combo.addItem(self.tr(label), code)
        self.skill_combo = RefCombo("volunteer_skills", empty=self.tr("全部技能"))
        self.volunteer_model = RowsModel(self.ctx.tasks, ARCHIVE_COLUMNS, self, align_right=(8, 9))
        self.volunteer_table = rows_table(self.volunteer_model)
        for col, width in enumerate((110, 80, 44, 110, 130, 150, 54, 92, 72, 72, 80)):
            self.volunteer_table.setColumnWidth(col, width)
        self.volunteer_table.horizontalHeader().setSectionResizeMode(
            5, QHeaderView.ResizeMode.Stretch
        )
        self.volunteer_count = QLabel()
        self.detail_label = QLabel()
        self.detail_label.setObjectName("volunteer_detail")
        self.detail_label.setWordWrap(True)
        filters = QHBoxLayout()
        filters.addWidget(self.search_edit, 1)
        filters.addWidget(self.status_combo)
        filters.addWidget(self.skill_combo)
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.addLayout(self._build_archive_actions())
        layout.addLayout(filters)
        layout.addWidget(self.volunteer_table, 1)
        layout.addWidget(self.detail_label)
        layout.addWidget(self.volunteer_count)
        self._connect_archive()
        return tab

    def _build_archive_actions(self) -> QHBoxLayout:
        """The archive's buttons, wired to their slots."""
        self.add_button = QPushButton(self.tr("新增志愿者"))
        self.edit_button = QPushButton(self.tr("编辑"))
        self.delete_button = QPushButton(self.tr("移出档案"))
        self.certificate_button = QPushButton(self.tr("服务证明(PDF)…"))
        self.erase_button = QPushButton(self.tr("注销个人信息…"))
        self.register_button = QPushButton(self.tr("证明登记簿…"))
        self.export_button = QPushButton(self.tr("导出档案…"))
        self.import_button = QPushButton(self.tr("导入档案…"))
        actions = QHBoxLayout()
        for button, slot in (
            (self.add_button, self.add_volunteer),
            (self.edit_button, self.edit_volunteer),
            (self.delete_button, self.delete_volunteer),
            (self.certificate_button, self.certificate),
            (self.erase_button, self.erase_person),
            (self.register_button, lambda: self._open(RegisterDialog(self.ctx, self), None, "")),
            (self.import_button, self.import_archive),
            (self.export_button, self.export_archive),
        ):
            actions.addWidget(button)
            button.clicked.connect(slot)
        actions.addStretch(1)
        return actions

    def _connect_archive(self) -> None:
        """Filters reload the list; a row chosen shows its totals, double-click edits it."""
        self.search_timer = search_as_you_type(self.search_edit, self.reload_volunteers)
        self.status_combo.currentIndexChanged.connect(self.reload_volunteers)
        self.skill_combo.currentIndexChanged.connect(self.reload_volunteers)
        self.volunteer_table.doubleClicked.connect(lambda _i: self.edit_volunteer())
        self.volunteer_table.selectionModel().selectionChanged.connect(self._volunteer_selected)
        self.volunteer_model.loaded.connect(self._volunteers_loaded)

    def reload_volunteers(self) -> None:
        self.search_timer.stop()
        f = VolunteerFilter(
            text=self.search_edit.text().strip(),
            status=self.status_combo.currentData() or "",
            skill=self.skill_combo.code(),
        )
        year = self.year
        self.volunteer_model.reload(lambda s: VolunteerService(s).rows(f, year=year))

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
        if row:
            self._open(
                CertificateDialog(self.ctx, row, self),
                lambda done: self._info(self.tr("已出具证明 {}：{}").format(done[0], done[1])),
                "",
            )

    def erase_person(self) -> None:
        row = self.selected_volunteer()
        if row:
            self._open(
                EraseDialog(self.ctx, row["person_id"], f"{row['name']}（{row['number']}）", self),
                None,
                self.tr("个人信息已注销（服务记录和时长保留）"),
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
            self.import_progress = run_with_progress(
                self.ctx.tasks,
                self,
                self.tr("正在检查志愿者档案"),
                lambda s, report: VolunteerService(s).read_import(path, progress=report),
                failure=self._import_failed,
                success=lambda result: self._open(
                    ImportDialog(self.ctx, result, self, file_name=Path(path).name),
                    self._imported,
                    "",
                ),
            )

    def _import_failed(self, error: Exception) -> None:
        if isinstance(error, Cancelled):
            self.message.set_message(cancelled_text())
        else:
            self._failed(error)

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
