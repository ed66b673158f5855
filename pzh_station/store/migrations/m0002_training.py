"""v2: station figures for the annual report; people registry and training classes (issue 3)."""

import sqlite3

NAME = "training"


def up(conn: sqlite3.Connection) -> None:
    # The annual report needs two figures the station enters in its profile.
    conn.execute("ALTER TABLE stations ADD COLUMN amateur_teams INTEGER NOT NULL DEFAULT 0")
    conn.execute("ALTER TABLE stations ADD COLUMN full_time_staff INTEGER NOT NULL DEFAULT 0")
    # Training tables are added here by the training-classes work.
