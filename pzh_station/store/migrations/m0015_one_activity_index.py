"""v15: one index for the activity list and the reports (issue 16), a narrower change-log index.

``activities_list`` (the list's order and filters, with title, place and notes for search) and
``activities_report`` (the figures' columns, station first) were two covering indexes over the
same rows, 15.6 MB of a 50,000-activity file. Now that a row is about 400 bytes (compact clocks,
migration 12) instead of 1 KB, one index without the text columns serves both: the list's order
and kind/date filters and every figure read it alone; a text search reads the table in one pass
(``store/activities.py``). ``changes_row`` keys on the row id alone (ids are unique across
tables). Figures before and after: docs/benchmarks.md ("Compact clocks")."""

import sqlite3

NAME = "one_activity_index"
VACUUM_AFTER = True


def up(conn: sqlite3.Connection) -> None:
    conn.execute("DROP INDEX IF EXISTS activities_list")
    conn.execute("DROP INDEX IF EXISTS activities_report")
    conn.execute(
        "CREATE INDEX activities_list ON activities(deleted, date, start_time, id, kind,"
        " attendance, delivery, target_groups, station_id)"
    )
    conn.execute("DROP INDEX IF EXISTS changes_row")
    conn.execute("CREATE INDEX changes_row ON changes(row_id)")
