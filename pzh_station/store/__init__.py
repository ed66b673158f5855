"""The local store: one SQLite file, sync-ready rows and a change log. No Qt here."""

from pzh_station.store.db import Store
from pzh_station.store.errors import StoreError

__all__ = ["Store", "StoreError"]
