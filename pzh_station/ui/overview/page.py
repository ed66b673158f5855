"""The overview page: pick a year (and month); figures with last year beside and the plan's
targets pro-rated; a month-by-month chart; the service-standard checklist. Clicking any figure
or checklist row lists the records behind it. Refreshes when ``tasks.changed`` says data changed.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from pzh_core.indicators import INDICATORS
from pzh_station.ui.context import UiContext
from pzh_station.ui.overview.card import FigureCard

if TYPE_CHECKING:
    from PySide6.QtWidgets import QTableView

    from pzh_station.services.context import Services
    from pzh_station.services.reports import ReportService
    from pzh_station.ui.overview.chart import MonthChart
    from pzh_station.ui.overview.records_dialog import RecordsDialog
    from pzh_station.ui.widgets import RowsModel

GROUPS: list[tuple[str, list[str]]] = [
    (
        "活动",
        [
            "activities",
            "person_visits",
            "visits_per_resident",
            "special_group_activities",
            "mobile_activities",
            "online_activities",
        ],
    ),
    (
        "培训",
        [
            "training_classes",
            "training_sessions",
            "trainee_visits",
            "attendance_rate",
            "completers",
        ],
    ),
    ("文化志愿者", ["volunteers_active", "volunteer_hours_verified", "new_star_levels"]),
]
CARDS_PER_ROW = 6


def _reports(services: Services) -> ReportService:
    """The report service, loaded on the database worker with the first figures (not at start)."""
    from pzh_station.services.reports import ReportService

    return ReportService(services)


def _state(item: dict[str, Any]) -> str:
    if item["done"]:
        return QCoreApplication.translate("OverviewPage", "已完成")
    return QCoreApplication.translate("OverviewPage", "还差 {} 场").format(item["due"])


CHECKLIST_COLUMNS = [
    ("服务标准", lambda item: item["label"]),
    ("全年最低", lambda item: item["min"]),
    ("已开展", lambda item: item["count"]),
    ("状态", _state),
]


class OverviewPage(QWidget):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.data: dict[str, Any] | None = None
        self.dialog: RecordsDialog | None = None
        self._stale = True
        self._loading = False
        self.cards: dict[str, FigureCard] = {}
        controls = self._build_controls()
        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.setContentsMargins(0, 0, 0, 0)
        for title, keys in GROUPS:
            body_layout.addWidget(self._build_group(title, keys))
        body_layout.addWidget(self._build_bottom(), 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(scroll, 1)
        ctx.tasks.changed.connect(self._data_changed)
        if getattr(parent, "has_started", True):
            self.refresh()
        else:  # the app's first screen: the figures once the window is on the screen (issue 17)
            self._stale = False  # not on show: on `started`, after the first paint
            parent.started.connect(self.refresh)  # type: ignore[union-attr]

    def _build_controls(self) -> QHBoxLayout:
        """The period (year, month), 刷新 and the status line."""
        today = dt.date.today()
        self.year_spin = QSpinBox()
        self.year_spin.setRange(2000, today.year + 1)
        self.year_spin.setValue(today.year)
        self.year_spin.setSuffix(self.tr(" 年"))
        self.month_combo = QComboBox()
        self.month_combo.addItem(self.tr("全年"), None)
        for m in range(1, 13):
            self.month_combo.addItem(self.tr("{}月").format(m), m)
        self.refresh_button = QPushButton(self.tr("刷新"))
        self.status_label = QLabel()
        controls = QHBoxLayout()
        controls.addWidget(QLabel(self.tr("统计期间")))
        controls.addWidget(self.year_spin)
        controls.addWidget(self.month_combo)
        controls.addWidget(self.refresh_button)
        controls.addStretch(1)
        controls.addWidget(self.status_label)
        self.year_spin.valueChanged.connect(self.refresh)
        self.month_combo.currentIndexChanged.connect(self.refresh)
        self.refresh_button.clicked.connect(self.refresh)
        return controls

    def _build_group(self, title: str, keys: list[str]) -> QGroupBox:
        """One group box of figure cards (活动, 培训, 文化志愿者)."""
        box = QGroupBox(self.tr(title))
        grid = QGridLayout(box)
        grid.setContentsMargins(6, 6, 6, 6)
        for i, key in enumerate(keys):
            card = FigureCard(key, self.tr(INDICATORS[key].label), INDICATORS[key].unit)
            card.clicked.connect(self.open_records)
            self.cards[key] = card
            grid.addWidget(card, i // CARDS_PER_ROW, i % CARDS_PER_ROW)
        for col in range(CARDS_PER_ROW):
            grid.setColumnStretch(col, 1)
        return box

    def _build_bottom(self) -> QWidget:
        """Room for the month-by-month chart and the service-standard checklist: both come with
        the first figures (:meth:`_fill_bottom`), after the window is on the screen (issue 17:
        QtCharts and a Python table model would load before the first paint)."""
        self.bottom = QWidget()
        self.bottom.setMinimumHeight(240)
        return self.bottom

    def _fill_bottom(self) -> None:
        if self.bottom.layout() is not None:
            return
        from pzh_station.ui.overview.chart import MonthChart
        from pzh_station.ui.widgets import RowsModel, rows_table

        self.chart: MonthChart = MonthChart()
        self.checklist_model: RowsModel = RowsModel(
            self.ctx.tasks, CHECKLIST_COLUMNS, self, align_right=(1, 2)
        )
        self.checklist: QTableView = rows_table(self.checklist_model)
        self.checklist.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.checklist.setToolTip(self.tr("双击一行查看计入的活动"))
        self.checklist.doubleClicked.connect(
            lambda index: self._checklist_clicked(index.row(), index.column())
        )
        check_box = QGroupBox(self.tr("服务标准完成情况（全年）"))
        QVBoxLayout(check_box).addWidget(self.checklist)
        bottom = QHBoxLayout(self.bottom)
        bottom.setContentsMargins(0, 0, 0, 0)
        bottom.addWidget(self.chart, 3)
        bottom.addWidget(check_box, 2)

    # -- loading -------------------------------------------------------------------------
    @property
    def year(self) -> int:
        return self.year_spin.value()

    @property
    def month(self) -> int | None:
        return self.month_combo.currentData()

    def refresh(self) -> None:
        """Recompute the figures on the database thread."""
        year, month = self.year, self.month
        self._stale = False
        self._loading = True
        self.status_label.setText(self.tr("正在统计…"))
        self.ctx.tasks.read(
            lambda s: _reports(s).overview(year, month=month),
            success=self._show,
            failure=self._failed,
        )

    def _data_changed(self, areas: set[str]) -> None:
        if self.isVisible():
            self.refresh()
        else:
            self._stale = True

    def showEvent(self, event) -> None:  # noqa: ANN001, N802
        super().showEvent(event)
        if self._stale and not self._loading:
            self.refresh()

    def _failed(self, error: Exception) -> None:
        self._loading = False
        self.status_label.setText(getattr(error, "message", None) or str(error))

    def _show(self, data: dict[str, Any]) -> None:
        self._loading = False
        period = data["period"]
        if (period.year, period.month) != (self.year, self.month):
            return  # the user changed the period meanwhile; a newer result is on its way
        self.data = data
        cur, prev = data["current"], data["previous"]
        for key, card in self.cards.items():
            target, behind = "", False
            if key == "activities":
                goal = cur["activities_target"]
                target = self.tr("目标 {}（按时间折算）").format(f"{goal:.1f}")
                behind = cur[key] < goal
            elif key == "person_visits" and cur["population"]:
                goal = cur["visits_target"]
                target = self.tr("目标 {}（按时间折算）").format(f"{goal:.0f}")
                behind = cur[key] < goal
            elif key == "visits_per_resident":
                goal = cur["visits_target"] / cur["population"] if cur["population"] else None
                target = (
                    self.tr("目标 {}（全年1.25）").format(f"{goal:.2f}")
                    if goal is not None
                    else self.tr("请在“年度基本情况”中填写常住人口")
                )
                behind = goal is not None and (cur[key] or 0) < goal
            card.set_values(
                self._text(key, cur[key]), self._text(key, prev[key]), target, behind=behind
            )
        self._fill_bottom()
        self.chart.set_months(period.year, data["monthly"], data["monthly_previous"])
        self.checklist_model.set_rows(data["checklist"])
        self.status_label.setText(self.tr("{}，截至 {}").format(period.label, period.cutoff))

    def _text(self, key: str, value: Any) -> str:
        unit = INDICATORS[key].unit
        from pzh_station.services.reports import format_value

        text = format_value(key, value)
        return text if unit == "%" or value is None else f"{text} {unit}"

    def value_text(self, key: str) -> str:
        """The figure as shown (for checks and tests)."""
        return self.cards[key].value_text

    # -- drill-down ----------------------------------------------------------------------
    def open_records(self, key: str) -> None:
        year, month = self.year, self.month
        title = self.tr("{} — {}").format(self.tr(INDICATORS[key].label), self._period_label())
        total = self.cards[key].value_text if key in self.cards else ""
        self.ctx.tasks.read(
            lambda s: _reports(s).records(key, year, month=month),
            success=lambda recs: self._show_records(title, recs, total),
            failure=self._failed,
        )

    def _checklist_clicked(self, row: int, _col: int) -> None:
        item = self.checklist_model.row(row)
        if item is None:
            return
        code, label, year, count = item["code"], item["label"], self.year, str(item["count"])
        self.ctx.tasks.read(
            lambda s: _reports(s).records(f"checklist:{code}", year),
            success=lambda recs: self._show_records(f"{label} — {year}年", recs, count),
            failure=self._failed,
        )

    def _show_records(self, title: str, records: list, total: str) -> None:
        from pzh_station.ui.overview.records_dialog import RecordsDialog

        if self.dialog is not None:
            self.dialog.close()
        self.dialog = RecordsDialog(self.ctx.tasks, title, records, total, self)
        self.dialog.show()

    def _period_label(self) -> str:
        return f"{self.year}年{self.month}月" if self.month else f"{self.year}年"
