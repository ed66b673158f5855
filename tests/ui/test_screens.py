"""The main window on the screens station PCs have: 1366×768 less a 40-px task bar at 100 %,
125 % and 150 % scaling (logical sizes below). Screenshots of every page go to the test's temp
dir (``PZH_SCREENSHOTS=dir`` keeps them) and the checks say what a person would see."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QScrollArea

from pzh_station.services import demo
from pzh_station.services.context import open_services
from pzh_station.ui.main_window import FRAME, MainWindow, fitted_geometry
from pzh_station.ui.overview.chart import MonthChart
from pzh_station.ui.pages import PAGES
from tests.ui_helpers import make_ctx, settle, show_started

# available area (screen less task bar) in logical pixels: 768 - 40 = 728 at 100 %
SCREENS = {
    "100": QRect(0, 0, 1366, 728),
    "125": QRect(0, 0, 1093, 582),  # 1366/1.25 × (768 - 40)/1.25
    "150": QRect(0, 0, 911, 485),
}


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("屏幕") / "数据"
    s = open_services(d, operator="李明")
    demo.fill(s)
    s.close()
    return d


@pytest.fixture
def window(qtbot, demo_dir, request):
    ctx = make_ctx(demo_dir)
    w = MainWindow(ctx)
    w.setGeometry(fitted_geometry(SCREENS[request.param]))
    show_started(qtbot, w)
    settle(qtbot, ctx)
    yield w
    w.close()


def _shot(widget, name: str, tmp_path: Path) -> None:
    folder = Path(os.environ.get("PZH_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    assert widget.grab().save(str(folder / f"{name}.png"))


@pytest.mark.parametrize("scale", SCREENS)
def test_window_and_frame_fit_the_available_area(scale):
    area = SCREENS[scale]
    client = fitted_geometry(area)
    outer = client.marginsAdded(FRAME)
    assert area.contains(outer), (scale, outer)
    if scale == "100":
        assert (client.width(), client.height()) == (1280, 689)


@pytest.mark.parametrize("window", list(SCREENS), indirect=True)
def test_every_page_fits_or_scrolls(qtbot, window, tmp_path, request):
    scale = request.node.callspec.params["window"]
    for spec in PAGES:
        page = window.show_page(spec.key)
        settle(qtbot, window.ctx)
        qtbot.wait(20)
        _shot(window, f"{scale}-{spec.key}", tmp_path)
        scroll = window.scrolls[spec.key]
        hint = page.minimumSizeHint()
        # never squeezed below what its layout needs: the scroll area scrolls instead
        assert page.width() >= hint.width() and page.height() >= hint.height(), spec.key
        if scale == "100":  # at 1366×768 and 100 % nothing needs scrolling sideways
            assert scroll.horizontalScrollBar().maximum() == 0, spec.key


@pytest.mark.parametrize("window", ["100"], indirect=True)
def test_overview_legend_is_visible_without_scrolling(qtbot, window):
    page = window.show_page("overview")
    settle(qtbot, window.ctx)
    qtbot.wait(50)
    inner = page.findChild(QScrollArea)
    legend = page.chart.chart().legend()
    assert legend.isVisible()
    rect = page.chart.mapFromScene(legend.sceneBoundingRect()).boundingRect()
    top_left = page.chart.mapTo(inner.viewport(), rect.topLeft())
    bottom_right = page.chart.mapTo(inner.viewport(), rect.bottomRight())
    assert inner.viewport().rect().contains(QRect(top_left, bottom_right)), (top_left, bottom_right)


def test_empty_chart_has_each_tick_once(qtbot):
    chart = MonthChart()
    qtbot.addWidget(chart)
    empty = [{"activities": 0, "person_visits": 0}] * 12
    chart.set_months(2026, empty, empty)
    for axis in (chart.count_axis, chart.visit_axis):
        ticks = [
            axis.min() + i * (axis.max() - axis.min()) / (axis.tickCount() - 1)
            for i in range(axis.tickCount())
        ]
        labels = [str(int(t)) for t in ticks]
        assert labels == sorted(set(labels), key=int) == ["0", "1"]


@pytest.mark.parametrize("window", ["100"], indirect=True)
def test_roster_columns_and_todays_attendance_column_are_visible(qtbot, window, tmp_path):
    page = window.show_page("training")
    settle(qtbot, window.ctx)
    page.select_class(page.classes[1]["id"])
    settle(qtbot, window.ctx)
    qtbot.wait(50)
    view = page.attendance_tab.view
    current = view.visualRect(view.currentIndex())
    assert view.viewport().rect().contains(current), current
    page.tabs.setCurrentWidget(page.roster_tab)
    qtbot.wait(50)
    _shot(window, "100-roster", tmp_path)
    table, model = page.roster_tab.table, page.roster_tab.model
    assert model.rowCount() > 0
    for col in range(model.columnCount() - 1):
        assert table.columnWidth(col) >= table.sizeHintForColumn(col), model.headerData(
            col, Qt.Orientation.Horizontal
        )


@pytest.mark.parametrize("window", ["150"], indirect=True)
def test_overview_figures_are_not_clipped_at_150_percent(qtbot, window, tmp_path):
    page = window.show_page("overview")
    settle(qtbot, window.ctx)
    qtbot.wait(50)
    _shot(window, "150-overview-cards", tmp_path)
    assert page.data is not None  # the figures came after the first paint
    for key, card in page.cards.items():
        for label in (card.title_label, card.value_label, card.previous_label):
            assert label.width() >= label.sizeHint().width(), (key, label.text())
        hint = card.target_label  # a long hint wraps inside the card instead of being cut
        assert not hint.isVisible() or hint.height() >= hint.heightForWidth(hint.width()), key
