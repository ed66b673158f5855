"""Cultural volunteers (文化志愿者): archive, service records, bulk entry, stars."""

from pzh_station.ui.volunteers.page import VolunteersPage

__all__ = ["VolunteersPage"]
