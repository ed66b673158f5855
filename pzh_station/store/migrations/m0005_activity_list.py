"""v5: a covering index for the activity list, so listing, filtering and searching 50,000
activities reads the index, not the wide rows (each row carries ~1 KB of per-field clocks).

Column order follows ``store.activities``: ``deleted`` first (every list query filters on it),
then the default order (date, start time, id), then the columns filters and search read.
See docs/benchmarks.md for the figures before and after.
"""

import sqlite3

NAME = "activity_list_index"


def up(conn: sqlite3.Connection) -> None:
    conn.execute(
        "CREATE INDEX activities_list ON activities"
        "(deleted, date, start_time, id, kind, attendance, title, place, notes, target_groups)"
    )
