"""The volunteers page (文化志愿者): archive, service records, star levels.

The main window's operator (当前录入人, ``ctx.operator``) says who is at the keyboard: new records
are recorded by them, and verifications, rejections, correction requests and approvals are made
in their name (the service refuses a verifier who recorded the record, where the station has
several staff). The page shows that name so nobody verifies by accident in someone else's.
Every slot queues work on ``ctx.tasks``; lists reload when ``tasks.changed`` names "volunteers".
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from pzh_core.domain import refdata
from pzh_core.domain.errors import ValidationError
from pzh_core.domain.volunteer import (
    may_decide,
    star_label,
)
from pzh_station.services.station import StationProfile, StationService
from pzh_station.services.volunteers import VolunteerService
from pzh_station.ui.context import UiContext
from pzh_station.ui.enabling import enable
from pzh_station.ui.volunteers.archive_tab import ArchiveTab
from pzh_station.ui.volunteers.common import hours_text, stars_text
from pzh_station.ui.volunteers.records_tab import RecordsTab
from pzh_station.ui.widgets import FieldErrorLabel, RowsModel, rows_table


class VolunteersPage(ArchiveTab, RecordsTab, QWidget):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.dialog: Any = None
        self.year = dt.date.today().year
        self.staff: list[str] = []  # the station's staff: who may verify whose records

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
                ("达到星级", lambda r: f"{stars_text(r['stars'])} {r['label']}"),
                ("年初累计时长", lambda r: hours_text(r["hours_before"])),
                ("年末累计时长", lambda r: hours_text(r["hours"])),
            ],
            self,
            align_right=(3, 4),
        )
        self.stars_table = rows_table(self.stars_model)
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

    def operator_changed(self) -> None:
        self._show_operator()
        self._update_buttons()  # 审核通过 depends on who is at the keyboard

    def showEvent(self, event) -> None:  # noqa: ANN001, N802
        self._show_operator()
        # Follow the window's chooser while shown (it sets ctx.operator; there is no app signal).
        combo = getattr(self.window(), "operator_combo", None)
        if combo is not None and not getattr(self, "_follows_operator", False):
            self._follows_operator = True
            combo.currentIndexChanged.connect(
                lambda _i: QTimer.singleShot(0, self.operator_changed)
            )
        super().showEvent(event)

    def reload_all(self) -> None:
        """Mark every tab stale and reload the one on show."""
        self.ctx.tasks.run(
            lambda s: (StationService(s).profile() or StationProfile()).staff,
            success=self._staff_loaded,
        )
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

    def _verify_refusal(self, records: list[dict[str, Any]]) -> str:
        """Why 审核通过 cannot be used on the selected records ("" when it can): the button says
        it before the click (the recorder may not verify their own record where others can)."""
        pending = [r for r in records if r["status"] == "recorded"]
        if not pending:
            return self.tr("请先选择待审核的记录")
        who = (self.ctx.operator or "").strip()
        refusals = [
            may_decide(recorder=r.get("recorded_by") or "", decider=who, staff=self.staff)
            for r in pending
        ]
        return refusals[0] or "" if all(refusals) else ""

    def _staff_loaded(self, staff: list[str]) -> None:
        self.staff = staff
        self._update_buttons()

    def _update_buttons(self) -> None:
        has_vol = self.selected_volunteer() is not None
        for b in (self.edit_button, self.delete_button, self.certificate_button, self.erase_button):
            b.setEnabled(has_vol)
        records = self.selected_records()
        one = len(records) == 1
        status = records[0]["status"] if one else ""
        self.edit_record_button.setEnabled(one and status != "verified")
        self.delete_record_button.setEnabled(
            bool(records) and all(r["status"] != "verified" for r in records)
        )
        enable(self.verify_button, self._verify_refusal(records))
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
