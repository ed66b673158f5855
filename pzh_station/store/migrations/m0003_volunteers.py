"""v3: cultural volunteers and service records (issue 4)."""

import sqlite3

NAME = "volunteers"


def up(conn: sqlite3.Connection) -> None:
    # Volunteer tables are added here by the volunteers work.
    pass
