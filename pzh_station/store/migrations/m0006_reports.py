"""v6: covering indexes for the reports' figures (issue 6).

Synced rows are wide (each carries its per-field clocks), so a figure that looks up every row of
a year (5,000 activities, 10,000 service records at a busy station) spends its time reading rows.
These indexes hold exactly the columns the indicator queries read, station first (the city server
runs the same queries for many stations), so the figures are read from the index alone.
See docs/benchmarks.md (reports) for the figures before and after.
"""

import sqlite3

NAME = "report_indexes"


def up(conn: sqlite3.Connection) -> None:
    conn.execute(
        "CREATE INDEX activities_report ON activities"
        "(station_id, deleted, date, kind, delivery, attendance, target_groups, id)"
    )
    conn.execute(
        "CREATE INDEX sessions_report ON sessions(station_id, deleted, date, cancelled,"
        " class_id, id)"
    )
    conn.execute(
        "CREATE INDEX attendance_report ON attendance(session_id, deleted, mark, person_id)"
    )
    conn.execute(
        "CREATE INDEX service_records_report ON service_records"
        "(station_id, status, deleted, date, volunteer_id, hours)"
    )
