"""The main window's navigation: one entry per area, built lazily on first show.

Each area adds its page class here (``"module:Class"``); the class takes ``(ctx, parent)``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    key: str
    title: str  # Chinese; translated through QCoreApplication.translate("Pages", title)
    factory: str  # "pzh_station.ui.<module>:<Class>"


PAGES: list[PageSpec] = [
    PageSpec("overview", "概览", "pzh_station.ui.overview:OverviewPage"),
    PageSpec("activities", "活动台账", "pzh_station.ui.activities:ActivitiesPage"),
    PageSpec("training", "培训班", "pzh_station.ui.training:TrainingPage"),
    PageSpec("volunteers", "文化志愿者", "pzh_station.ui.volunteers:VolunteersPage"),
    PageSpec("annual", "年度基本情况", "pzh_station.ui.annual_page:AnnualFactsPage"),
    PageSpec("reports", "报表", "pzh_station.ui.reports_page:ReportsPage"),
    PageSpec("sync", "同步", "pzh_station.ui.sync_page.page:SyncPage"),
    PageSpec("settings", "设置", "pzh_station.ui.settings_page:SettingsPage"),
]
