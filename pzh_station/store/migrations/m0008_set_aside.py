"""v8: the desk's set-aside list (issue 12, situation 4; docs/architecture.md decision 1).

A change the city server refused by a rule (too long, invalid, a desk too old) leaves the outbox
and is kept here with the server's reason, for staff and IT to see, while everything else keeps
syncing. Local only: never synced.
"""

import sqlite3

NAME = "set_aside"


def up(conn: sqlite3.Connection) -> None:
    conn.execute(
        "CREATE TABLE set_aside ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " seq INTEGER NOT NULL,"
        " tbl TEXT NOT NULL,"
        " row_id TEXT NOT NULL,"
        " stamp TEXT NOT NULL,"
        " fields TEXT NOT NULL DEFAULT '{}',"  # the refused values, JSON {field: value}
        " code TEXT NOT NULL DEFAULT '',"
        " message TEXT NOT NULL DEFAULT '',"
        " errors TEXT NOT NULL DEFAULT '{}',"  # JSON {field: Chinese message}
        " created_at TEXT NOT NULL DEFAULT (datetime('now')),"
        " dismissed INTEGER NOT NULL DEFAULT 0,"
        " UNIQUE (tbl, row_id, stamp))"
    )
