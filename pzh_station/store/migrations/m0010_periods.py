"""v10: submitted and approved periods, changes made after approval (issue 14), the operator of
each change-log entry and the changes received from the server (a record's history: who, when,
what), and an optional PIN per operator. ``received`` is local only: never synced."""

import sqlite3

NAME = "periods"


def up(conn: sqlite3.Connection) -> None:
    from pzh_station.store.migrations import add_field, create_synced_table

    add_field(conn, "staff", "pin_hash", "text")  # an operator's optional PIN, hashed
    create_synced_table(
        conn,
        "periods",
        {
            "period": "text",
            "status": "text",
            "submitted_by": "text",
            "submitted_at": "text",
            "figures": "json",
            "incomplete": "json",
            "decided_by": "text",
            "decided_at": "text",
            "reason": "text",
            "approved_figures": "json",
            "accepted_by": "text",
            "accepted_at": "text",
        },
    )
    create_synced_table(
        conn,
        "late_changes",
        {
            "device": "text",
            "seq": "int",
            "tbl": "text",
            "row_id": "text",
            "fields": "json",
            "stamp": "text",
            "message": "text",
            "decision": "text",
            "decided_by": "text",
            "decided_at": "text",
            "note": "text",
        },
    )
    conn.execute("ALTER TABLE changes ADD COLUMN operator TEXT NOT NULL DEFAULT ''")
    conn.execute("CREATE INDEX changes_row ON changes(tbl, row_id)")
    conn.execute(
        "CREATE TABLE received ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " tbl TEXT NOT NULL,"
        " row_id TEXT NOT NULL,"
        " stamp TEXT NOT NULL,"
        " fields TEXT NOT NULL DEFAULT '{}',"
        " operator TEXT NOT NULL DEFAULT '',"
        " UNIQUE (tbl, row_id, stamp))"
    )
