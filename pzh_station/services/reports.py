"""Reports use-cases: the overview's figures, the summary for scripts, the service-standard
checklist; the annual statistics report (文化站年报, :mod:`report_annual`) and the monthly report
(:mod:`report_monthly`).

Every figure comes from :mod:`pzh_core.indicators`; these modules only choose which
figures a report shows and lay them out.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from pzh_core import indicators as ind
from pzh_core.i18n import tr
from pzh_core.period import Period
from pzh_core.queries import Db
from pzh_station.services import report_annual, report_monthly
from pzh_station.services.context import Services
from pzh_station.services.report_format import format_value
from pzh_station.store import StoreError
from pzh_station.store.figures import indicator_db

__all__ = ["CHART_KEYS", "OVERVIEW_KEYS", "ReportService", "format_value"]

# The figures the overview page shows, in order (key, group).
OVERVIEW_KEYS = [
    "activities",
    "person_visits",
    "visits_per_resident",
    "special_group_activities",
    "mobile_activities",
    "online_activities",
    "training_classes",
    "training_sessions",
    "trainee_visits",
    "attendance_rate",
    "completers",
    "volunteers_active",
    "volunteer_hours_verified",
    "new_star_levels",
]
CHART_KEYS = ("activities", "person_visits")


class ReportService:
    """Figures and report files of this station."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.store = services.store

    @property
    def db(self) -> Db:
        """What the core's indicator queries run on."""
        return indicator_db(self.store)

    def stations(self) -> list[str]:
        sid = self.store.station_id
        if not sid:
            raise StoreError("no_station", tr("Reports", "尚未设置文化站信息，请先完成首次设置。"))
        return [sid]

    def station_name(self) -> str:
        row = self.store.get("stations", self.stations()[0]) or {}
        return row.get("name", "")

    # -- figures -------------------------------------------------------------------------
    def summary(
        self, year: int, *, month: int | None = None, as_of: dt.date | None = None
    ) -> dict[str, Any]:
        """Every indicator for the year (or one month) as one JSON-ready dict.

        :param year: calendar year.
        :param month: 1–12 for one month.
        :param as_of: the day the figures are looked at (default today); sessions after it are
            not held yet and the plan's targets are pro-rated to it.
        """
        period = Period(year, month, as_of or dt.date.today())
        out: dict[str, Any] = {
            "year": year,
            "month": month,
            "as_of": period.as_of.isoformat(),
            "station": self.station_name(),
        }
        out.update(ind.compute(self.db, self.stations(), period))
        out["checklist"] = ind.checklist(self.db, self.stations(), period)
        from pzh_station.services.annual_return import ReturnService

        # The annual return's figures under the city's definition file (issue 13).
        out["annual_return"] = ReturnService(self.services).summary(
            year, month=month, as_of=period.as_of
        )
        return out

    def overview(
        self, year: int, *, month: int | None = None, as_of: dt.date | None = None
    ) -> dict[str, Any]:
        """What the overview page shows: this period and the same period a year earlier, the
        months of the year for the chart, the plan's targets and the checklist.

        :param year: calendar year.
        :param month: 1–12 for one month, None for the year.
        :param as_of: default today.
        """
        period = Period(year, month, as_of or dt.date.today())
        stations = self.stations()
        keys = [*OVERVIEW_KEYS, "activities_target", "visits_target", "population"]
        return {
            "period": period,
            "current": ind.compute(self.db, stations, period, keys),
            "previous": ind.compute(self.db, stations, period.previous_year(), keys),
            "monthly": ind.monthly(self.db, stations, year, CHART_KEYS, as_of=period.as_of),
            "monthly_previous": ind.monthly(
                self.db, stations, year - 1, CHART_KEYS, as_of=period.as_of
            ),
            "checklist": ind.checklist(self.db, stations, Period(year, None, period.as_of)),
        }

    def records(
        self, key: str, year: int, *, month: int | None = None, as_of: dt.date | None = None
    ) -> list[ind.Record]:
        """The records behind one figure (``key`` of INDICATORS, or ``checklist:<code>``).

        :param key: the indicator.
        :param year: calendar year.
        :param month: 1–12 or None.
        :param as_of: default today.
        """
        period = Period(year, month, as_of or dt.date.today())
        if key.startswith("checklist:"):
            return ind.checklist_records(
                self.db, self.stations(), Period(year, None, period.as_of), key.split(":", 1)[1]
            )
        return ind.records(self.db, key, self.stations(), period)

    # -- report files (pzh_station.services.report_annual, report_monthly) ----------------------
    def annual_figures(
        self, year: int, *, as_of: dt.date | None = None
    ) -> list[tuple[str, str, str, Any, str]]:
        """Rows of the annual report: (key, label, unit, value, note)."""
        return report_annual.annual_figures(self, year, as_of=as_of)

    def write_annual(self, path: str | Path, year: int, *, as_of: dt.date | None = None) -> Path:
        """Write the annual statistics report (.xlsx, replaced atomically)."""
        return report_annual.write_annual(self, path, year, as_of=as_of)

    def monthly_data(
        self, year: int, month: int, *, as_of: dt.date | None = None
    ) -> dict[str, Any]:
        return report_monthly.monthly_data(self, year, month, as_of=as_of)

    def write_monthly(
        self, path: str | Path, year: int, month: int, *, as_of: dt.date | None = None
    ) -> Path:
        """Write the monthly report as .xlsx or A4 .pdf (by the file's suffix)."""
        return report_monthly.write_monthly(self, path, year, month, as_of=as_of)
