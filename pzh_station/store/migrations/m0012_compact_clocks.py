"""v12: compact field clocks (issue 16). Every synced row's ``clocks`` goes from the JSON object
``{field: stamp}`` (about 1 KB an activity) to the stored form of ``pzh_core.stored_clocks``
(format 1, about 50 bytes): the same stamps, field by field, so the merge rule and the digest see
no difference. Rows already in that form are left as they are. The store runs ``VACUUM`` after
this migration (``VACUUM_AFTER``), so the file gives the freed pages back."""

import sqlite3

from pzh_core import stored_clocks

NAME = "compact_clocks"
VACUUM_AFTER = True


def up(conn: sqlite3.Connection) -> None:
    tables = [
        name
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
        if any(col[1] == "clocks" for col in conn.execute(f'PRAGMA table_info("{name}")'))
    ]
    for table in tables:
        rows = conn.execute(
            f'SELECT id, clocks FROM "{table}" WHERE substr(clocks, 1, 1) = ? AND clocks != ?',
            ("{", stored_clocks.EMPTY),
        ).fetchall()
        conn.executemany(
            f'UPDATE "{table}" SET clocks = ? WHERE id = ?',
            [(stored_clocks.encode(table, stored_clocks.decode(table, c)), i) for i, c in rows],
        )
