"""The main window's navigation: one entry per area, built lazily on first show.

Each area adds its page here: a factory that imports its page class (inside the function, so the
app starts without importing every area) and builds it with ``(ctx, parent)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import QWidget

from pzh_station.ui.context import UiContext

PageFactory = Callable[[UiContext, QWidget], QWidget]


@dataclass(frozen=True)
class PageSpec:
    key: str
    title: str  # Chinese; translated through QCoreApplication.translate("Pages", title)
    factory: PageFactory


def _overview(ctx: UiContext, parent: QWidget) -> QWidget:
    from pzh_station.ui.overview import OverviewPage

    return OverviewPage(ctx, parent)


def _activities(ctx: UiContext, parent: QWidget) -> QWidget:
    from pzh_station.ui.activities import ActivitiesPage

    return ActivitiesPage(ctx, parent)


def _training(ctx: UiContext, parent: QWidget) -> QWidget:
    from pzh_station.ui.training import TrainingPage

    return TrainingPage(ctx, parent)


def _volunteers(ctx: UiContext, parent: QWidget) -> QWidget:
    from pzh_station.ui.volunteers import VolunteersPage

    return VolunteersPage(ctx, parent)


def _teams(ctx: UiContext, parent: QWidget) -> QWidget:
    from pzh_station.ui.teams_page import TeamsPage

    return TeamsPage(ctx, parent)


def _annual(ctx: UiContext, parent: QWidget) -> QWidget:
    from pzh_station.ui.annual_page import AnnualFactsPage

    return AnnualFactsPage(ctx, parent)


def _reports(ctx: UiContext, parent: QWidget) -> QWidget:
    from pzh_station.ui.reports_page import ReportsPage

    return ReportsPage(ctx, parent)


def _periods(ctx: UiContext, parent: QWidget) -> QWidget:
    from pzh_station.ui.periods_page import PeriodsPage

    return PeriodsPage(ctx, parent)


def _sync(ctx: UiContext, parent: QWidget) -> QWidget:
    from pzh_station.ui.sync_page.page import SyncPage

    return SyncPage(ctx, parent)


def _settings(ctx: UiContext, parent: QWidget) -> QWidget:
    from pzh_station.ui.settings_page import SettingsPage

    return SettingsPage(ctx, parent)


PAGES: list[PageSpec] = [
    PageSpec("overview", "概览", _overview),
    PageSpec("activities", "活动台账", _activities),
    PageSpec("training", "培训班", _training),
    PageSpec("volunteers", "文化志愿者", _volunteers),
    PageSpec("teams", "文艺团队", _teams),
    PageSpec("annual", "年度基本情况", _annual),
    PageSpec("reports", "报表", _reports),
    PageSpec("periods", "报送审核", _periods),
    PageSpec("sync", "同步", _sync),
    PageSpec("settings", "设置", _settings),
]
