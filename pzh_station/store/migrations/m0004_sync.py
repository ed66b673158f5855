"""v4: client-side sync state (issue 5)."""

import sqlite3

NAME = "sync"


def up(conn: sqlite3.Connection) -> None:
    # Sync state tables (if any beyond ``meta`` keys) are added here by the sync work.
    pass
