"""The station file as the core's indicator queries see it (:mod:`pzh_core.queries`)."""

from __future__ import annotations

from pzh_core.queries import Db
from pzh_station.store.db import Store


def indicator_db(store: Store) -> Db:
    """The store's connection wrapped for the indicator queries (SQLite dialect)."""
    return Db.of(store.conn)
