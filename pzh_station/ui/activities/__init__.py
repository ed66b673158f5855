"""The activity log (活动台账): list page, table model and the activity form."""

from pzh_station.ui.activities.page import ActivitiesPage

__all__ = ["ActivitiesPage"]
