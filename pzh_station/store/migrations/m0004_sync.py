"""v4: client-side sync state (issue 5).

No schema change: the sync state lives in ``meta`` (keys ``sync_*``, ``clock_offset_ms``,
``clock_rewind``; see ``pzh_station/store/sync_state.py``), written in the same transactions as the
rows it describes. The migration stays so that version 4 means "knows sync".
"""

import sqlite3

NAME = "sync"


def up(conn: sqlite3.Connection) -> None:
    pass
