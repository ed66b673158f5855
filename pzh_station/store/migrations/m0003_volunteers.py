"""v3: cultural volunteers, service records and corrections (issue 4)."""

import sqlite3

NAME = "volunteers"


def up(conn: sqlite3.Connection) -> None:
    from pzh_station.store.migrations import create_synced_table

    create_synced_table(
        conn,
        "volunteers",
        {
            "person_id": "text",
            "number": "text",
            "join_date": "date",
            "skills": "list",
            "team": "text",
            "status": "text",
            "training": "text",
            "awards": "text",
            "notes": "text",
            "created_by": "text",
        },
    )
    create_synced_table(
        conn,
        "service_records",
        {
            "volunteer_id": "text",
            "person_id": "text",
            "date": "date",
            "hours": "real",
            "description": "text",
            "activity_id": "text",
            "class_id": "text",
            "recorded_by": "text",
            "status": "text",
            "verified_by": "text",
            "verified_on": "date",
            "reject_reason": "text",
        },
    )
    create_synced_table(
        conn,
        "service_corrections",
        {
            "record_id": "text",
            "requested_by": "text",
            "reason": "text",
            "before": "json",
            "proposed": "json",
            "status": "text",
            "decided_by": "text",
            "decided_on": "date",
            "decision_note": "text",
        },
    )
    conn.execute("CREATE INDEX service_records_volunteer ON service_records(volunteer_id, date)")
    conn.execute("CREATE INDEX service_records_date ON service_records(station_id, deleted, date)")
    # Covering index for the totals (verified hours per volunteer): no table lookups.
    conn.execute(
        "CREATE INDEX service_records_verified ON service_records(status, deleted,"
        " volunteer_id, date, hours)"
    )
    # Records lists, newest first: all of them, or by state (waiting for verification …).
    conn.execute("CREATE INDEX service_records_activity ON service_records(activity_id, date)")
    conn.execute("CREATE INDEX service_records_day ON service_records(deleted, date, id)")
    conn.execute("CREATE INDEX service_records_state ON service_records(deleted, status, date, id)")
    conn.execute("CREATE INDEX volunteers_person ON volunteers(person_id)")
    conn.execute("CREATE INDEX service_corrections_record ON service_corrections(record_id)")
