"""The overview page (概览, the app's home): the year's figures against the plan, last year beside,
a month-by-month chart, the service-standard checklist; every figure opens its records."""

from pzh_station.ui.overview.page import OverviewPage

__all__ = ["OverviewPage"]
