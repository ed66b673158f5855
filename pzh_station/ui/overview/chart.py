"""Month-by-month chart: activities (bars, this year and last) and person-visits (line, right
axis)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QLineSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QWidget

MONTHS = [f"{m}月" for m in range(1, 13)]


def _nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (at least 1)."""
    if value <= 0:
        return 1
    step = 10 ** (len(str(int(value))) - 1)
    return float(((int(value) // step) + 1) * step)


def _integer_axis(axis: QValueAxis, top: float) -> None:
    """0 … a round maximum with whole-number ticks: an empty year shows 0 and 1 once each,
    not 0 0 0 1 1 (ticks at 0.25 printed with ``%d``)."""
    interval = 1
    while top / interval > 5:
        for factor in (2, 2.5, 2):
            interval = int(interval * factor)
            if top / interval <= 5:
                break
    steps = max(1, -(-int(top) // interval))  # ceil
    axis.setRange(0, steps * interval)
    axis.setTickCount(steps + 1)


class MonthChart(QChartView):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(240)
        chart = QChart()
        # on top: the chart's foot is below the fold of the overview at 1366×768
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignTop)
        chart.setMargins(QMargins(4, 4, 4, 4))
        self.setChart(chart)
        self.this_year = QBarSet(self.tr("活动场次"))
        self.last_year = QBarSet(self.tr("去年活动场次"))
        self.last_year.setColor(QColor("#c8c8c8"))
        self.this_year.setColor(QColor("#2e86c1"))
        self.bars = QBarSeries()
        self.bars.append(self.last_year)
        self.bars.append(self.this_year)
        self.visits = QLineSeries()
        self.visits.setName(self.tr("参与人次（右轴）"))
        pen = QPen(QColor("#e67e22"))
        pen.setWidth(2)
        self.visits.setPen(pen)
        chart.addSeries(self.bars)
        chart.addSeries(self.visits)
        self.x_axis = QBarCategoryAxis()
        self.x_axis.append([self.tr(m) for m in MONTHS])
        self.count_axis = QValueAxis()
        self.count_axis.setLabelFormat("%d")
        self.visit_axis = QValueAxis()
        self.visit_axis.setLabelFormat("%d")
        chart.addAxis(self.x_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(self.count_axis, Qt.AlignmentFlag.AlignLeft)
        chart.addAxis(self.visit_axis, Qt.AlignmentFlag.AlignRight)
        self.bars.attachAxis(self.x_axis)
        self.bars.attachAxis(self.count_axis)
        self.visits.attachAxis(self.x_axis)
        self.visits.attachAxis(self.visit_axis)

    def set_months(
        self, year: int, months: Sequence[dict[str, Any]], previous: Sequence[dict[str, Any]]
    ) -> None:
        """Show twelve months of ``{"activities", "person_visits"}`` (and last year's
        activities)."""
        self.chart().setTitle(self.tr("{}年逐月活动场次与参与人次").format(year))
        self.this_year.remove(0, self.this_year.count())
        self.last_year.remove(0, self.last_year.count())
        self.this_year.append([float(m["activities"]) for m in months])
        self.last_year.append([float(m["activities"]) for m in previous])
        self.visits.replace([QPointF(i, float(m["person_visits"])) for i, m in enumerate(months)])
        top = max([m["activities"] for m in [*months, *previous]] + [0])
        _integer_axis(self.count_axis, top)
        _integer_axis(self.visit_axis, max([m["person_visits"] for m in months] + [0]))

    def activities_shown(self) -> list[float]:
        return [self.this_year.at(i) for i in range(self.this_year.count())]

    def visits_shown(self) -> list[float]:
        return [p.y() for p in self.visits.points()]
