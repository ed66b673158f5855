"""v2: station figures for the annual report; people registry and training classes (issue 3)."""

import sqlite3

NAME = "training"


def up(conn: sqlite3.Connection) -> None:
    from pzh_station.store.migrations import add_field, create_synced_table

    # The annual report needs two figures the station enters in its profile.
    add_field(conn, "stations", "amateur_teams", "int")
    add_field(conn, "stations", "full_time_staff", "int")
    create_synced_table(
        conn,
        "people",
        {
            "name": "text",
            "gender": "text",
            "birth_year": "int",
            "phone": "text",
            "village": "text",
            "ethnicity": "text",
            "notes": "text",
            "merged_into": "text",
            "created_by": "text",
        },
    )
    create_synced_table(
        conn,
        "classes",
        {
            "name": "text",
            "art_form": "text",
            "teacher": "text",
            "venue": "text",
            "start_date": "date",
            "end_date": "date",
            "capacity": "int",
            "status": "text",
            "completion_share": "real",
            "notes": "text",
            "created_by": "text",
        },
    )
    create_synced_table(
        conn,
        "sessions",
        {
            "class_id": "text",
            "date": "date",
            "start_time": "time",
            "end_time": "time",
            "cancelled": "bool",
            "notes": "text",
        },
    )
    create_synced_table(
        conn,
        "enrollments",
        {
            "class_id": "text",
            "person_id": "text",
            "active": "bool",
            "enrolled_on": "date",
            "walk_in": "bool",
        },
    )
    create_synced_table(
        conn,
        "attendance",
        {
            "session_id": "text",
            "class_id": "text",
            "person_id": "text",
            "mark": "text",
            "marked_by": "text",
        },
    )
    conn.execute("CREATE INDEX people_name ON people(name)")
    conn.execute("CREATE INDEX sessions_class ON sessions(class_id, date)")
    conn.execute("CREATE INDEX enrollments_class ON enrollments(class_id)")
    conn.execute("CREATE INDEX attendance_session ON attendance(session_id)")
    conn.execute("CREATE INDEX attendance_class ON attendance(class_id, person_id)")
    conn.execute("CREATE INDEX attendance_person ON attendance(person_id)")  # merging people
    conn.execute("CREATE INDEX enrollments_person ON enrollments(person_id)")
    # Local only (not synced): pinyin keys of each person's name. Triggers mark a row stale
    # (empty keys) on every insert or rename — including rows that arrive by sync — and
    # store.people.refresh_search_index fills the keys in Python (pypinyin) before a search.
    conn.execute(
        "CREATE TABLE people_search (id TEXT PRIMARY KEY, name TEXT NOT NULL,"
        " initials TEXT NOT NULL DEFAULT '', full TEXT NOT NULL DEFAULT '')"
    )
    conn.execute("CREATE INDEX people_search_stale ON people_search(initials) WHERE initials = ''")
    conn.execute(
        "CREATE TRIGGER people_search_insert AFTER INSERT ON people BEGIN"
        " INSERT OR REPLACE INTO people_search (id, name, initials, full) VALUES (new.id,"
        " new.name, '', '');"
        " END"
    )
    conn.execute(
        "CREATE TRIGGER people_search_rename AFTER UPDATE OF name ON people WHEN new.name IS"
        " NOT old.name BEGIN"
        " INSERT OR REPLACE INTO people_search (id, name, initials, full) VALUES (new.id,"
        " new.name, '', '');"
        " END"
    )
    conn.execute("CREATE INDEX people_phone ON people(phone)")
