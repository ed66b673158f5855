"""The station profile form, shared by the first-run dialog and the settings page."""

from __future__ import annotations

import re

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from pzh_core.domain import refdata
from pzh_station.services.station import MAX_POPULATION, StationProfile
from pzh_station.ui.widgets import FieldErrorLabel, FieldErrors


def split_names(text: str) -> list[str]:
    """Staff names typed one per line (or separated by 、，,;), in order, blanks dropped."""
    return [n.strip() for n in re.split(r"[\n、，,;；]+", text) if n.strip()]


class StationForm(QWidget):
    """Name, county, population (a first guess of the 常住人口 in the annual facts), staff.

    Messages of ``StationService.save_profile``'s ValidationError go under their fields.
    """

    def __init__(self, parent: QWidget | None = None, *, full: bool = True) -> None:
        super().__init__(parent)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText(self.tr("如：仁和区大田镇综合文化站"))
        self.county_combo = QComboBox()
        self.county_combo.addItem(self.tr("（请选择）"), "")
        for county in refdata.counties():
            self.county_combo.addItem(county, county)
        self.population_spin = QSpinBox()
        self.population_spin.setRange(0, MAX_POPULATION)
        self.population_spin.setGroupSeparatorShown(True)
        self.population_spin.setSuffix(self.tr(" 人"))
        self.teams_spin = QSpinBox()
        self.teams_spin.setRange(0, 10_000)
        self.fulltime_spin = QSpinBox()
        self.fulltime_spin.setRange(0, 1_000)
        self.staff_edit = QPlainTextEdit()
        self.staff_edit.setPlaceholderText(self.tr("每行一个姓名，如：\n李明\n王芳"))
        self.staff_edit.setFixedHeight(90)
        self.message = FieldErrorLabel(reserve=False)
        self.message.setObjectName("form_message")
        self.errors = FieldErrors(general=self.message)

        form = QFormLayout()
        rows = [
            ("name", self.tr("文化站名称*"), self.name_edit),
            ("county", self.tr("所属县（区）*"), self.county_combo),
            ("population", self.tr("服务人口"), self.population_spin),
        ]
        self.population_spin.setToolTip(
            self.tr("人均指标按“年度基本情况”中每年的常住人口计算；此处只作首年的初始值")
        )
        # 业余文艺团队 and 从业人员 moved to 文艺团队 and 年度基本情况 (issue 13); the two spin
        # boxes only keep the profile's old values when it is saved.
        rows.append(("staff", self.tr("录入人员"), self.staff_edit))
        for name, label, widget in rows:
            box = QWidget()
            column = QVBoxLayout(box)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(2)
            column.addWidget(widget)
            column.addWidget(self.errors.add(name, widget))
            form.addRow(label, box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.message)

    def set_profile(self, p: StationProfile) -> None:
        self.name_edit.setText(p.name)
        self.county_combo.setCurrentIndex(max(self.county_combo.findData(p.county), 0))
        self.population_spin.setValue(p.population or 0)
        self.teams_spin.setValue(p.amateur_teams or 0)
        self.fulltime_spin.setValue(p.full_time_staff or 0)
        self.staff_edit.setPlainText("\n".join(p.staff))

    def profile(self, base: StationProfile | None = None) -> StationProfile:
        return StationProfile(
            id=base.id if base else None,
            name=self.name_edit.text().strip(),
            county=self.county_combo.currentData() or "",
            population=self.population_spin.value(),
            amateur_teams=self.teams_spin.value(),
            full_time_staff=self.fulltime_spin.value(),
            staff=split_names(self.staff_edit.toPlainText()),
        )
