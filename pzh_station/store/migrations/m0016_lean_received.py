"""v16: the changes received from the server (``received``, the records' history) stop copying
the values their rows hold, as the change log did in migration 14 (issue 16;
``store/changelog.py``): each gets ``live``, and drops from ``fields`` exactly the values its
row holds at its stamp with the same JSON value — unless its row has a field at that stamp the
change did not write (then it stays whole). The store runs ``VACUUM`` afterwards."""

import sqlite3
from typing import Any

from pzh_core import schema
from pzh_station.store.migrations.m0014_lean_change_log import _lean

NAME = "lean_received"
VACUUM_AFTER = True


def up(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE received ADD COLUMN live INTEGER NOT NULL DEFAULT 0")
    tables = [t for (t,) in conn.execute("SELECT DISTINCT tbl FROM received") if t in schema.TABLES]
    for table in tables:
        updates = [
            lean
            for lean in (_lean(table, entry, set()) for entry in _entries(conn, table))
            if lean is not None
        ]
        conn.executemany("UPDATE received SET fields = ?, live = 1 WHERE id = ?", updates)


def _entries(conn: sqlite3.Connection, table: str) -> Any:
    """Each received change of ``table`` with its row's stamps and raw values."""
    present = {c[1] for c in conn.execute(f'PRAGMA table_info("{table}")')}
    types = [c for c in schema.fields_of(table) if c in present]
    cols = ", ".join(f't."{c}"' for c in types)
    cur = conn.execute(
        f"SELECT r.id, r.row_id, r.stamp, r.fields, t.clocks, {cols} FROM received r"
        f' JOIN "{table}" t ON t.id = r.row_id WHERE r.tbl = ?',
        (table,),
    )
    for number, row_id, stamp, fields, clocks, *values in cur:
        yield number, row_id, stamp, fields, clocks, dict(zip(types, values, strict=True))
