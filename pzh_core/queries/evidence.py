"""The evidence of a period (issue 15): live attachments of live activities, for the city web
pages (either engine)."""

from __future__ import annotations

from typing import Any

from pzh_core.queries import Db, in_list


def activity_photos(conn: Any, station_ids: list[str], start: str, end: str) -> list[dict]:
    """Attachments of the stations' activities dated in ``start``..``end``, newest activity
    first: ``station_id, activity_id, date, title, place, id, hash, thumb, kind, name, size``."""
    if not station_ids:
        return []
    return Db.of(conn).rows(
        "SELECT a.station_id, a.id AS activity_id, a.date, a.title, a.place, t.id, t.hash,"
        " t.thumb, t.kind, t.name, t.size FROM activities a JOIN attachments t"
        " ON t.owner_table = 'activities' AND t.owner_id = a.id AND t.deleted = 0"
        f" WHERE {in_list('a.station_id', station_ids)} AND a.deleted = 0"
        " AND a.date BETWEEN ? AND ? ORDER BY a.date DESC, a.id, t.updated_at",
        [*station_ids, start, end],
    )
