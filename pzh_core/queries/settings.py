"""A city setting's effective value for one station, read from the ``city_settings`` rows the
server wrote (decision 3): the same SQL on the desk's file and the server's replica."""

from __future__ import annotations

import json
from typing import Any

from pzh_core import settings_defaults
from pzh_core.queries import Db


def effective(conn: Any, key: str, station_id: str) -> Any:
    """station > county > city > the default in :mod:`pzh_core.settings_defaults`."""
    db = Db.of(conn)
    rows = db.rows(
        "SELECT key, scope, value, deleted FROM city_settings WHERE key = ? AND station_id = ?"
        " AND device_id = 'server' AND deleted = 0 ORDER BY updated_at DESC",
        [key, station_id],
    )
    for r in rows:
        r["value"] = json.loads(r["value"]) if r["value"] else None
    found = db.rows("SELECT county FROM stations WHERE id = ?", [station_id])
    county = (found[0]["county"] or "") if found else ""
    return settings_defaults.effective(key, rows, station_id=station_id, county=county)
