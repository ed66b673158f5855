"""v14: the change log stops copying values the rows hold (issue 16; ``store/changelog.py``).

Each entry gets ``live``: 1 when the values its row still holds at the entry's stamp are read
from the row instead of kept in ``fields``. An existing entry drops from ``fields`` exactly the
values its row holds at its stamp with the same JSON value; an entry is left as it was (``live``
0, every value kept) when its row has a field at that stamp the entry did not write, or when
another entry of the row has the same stamp (a repair logged it again). Readers see the same
fields either way. ``activities_date`` goes: it is a prefix of ``activities_report``. The store
runs ``VACUUM`` afterwards (``VACUUM_AFTER``)."""

import json
import sqlite3
from typing import Any

from pzh_core import schema, stored_clocks

NAME = "lean_change_log"
VACUUM_AFTER = True


def up(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE changes ADD COLUMN live INTEGER NOT NULL DEFAULT 0")
    conn.execute("DROP INDEX IF EXISTS activities_date")
    shared = set(
        conn.execute(
            "SELECT tbl, row_id, stamp FROM changes GROUP BY tbl, row_id, stamp HAVING count(*) > 1"
        ).fetchall()
    )
    tables = [t for (t,) in conn.execute("SELECT DISTINCT tbl FROM changes") if t in schema.TABLES]
    for table in tables:
        updates = [
            lean
            for lean in (_lean(table, entry, shared) for entry in _entries(conn, table))
            if lean is not None
        ]
        conn.executemany("UPDATE changes SET fields = ?, live = 1 WHERE seq = ?", updates)


def _entries(conn: sqlite3.Connection, table: str) -> Any:
    """Each entry of ``table`` with its row (entries of rows that are gone are left alone)."""
    present = {c[1] for c in conn.execute(f'PRAGMA table_info("{table}")')}
    types = {c: k for c, k in schema.fields_of(table).items() if c in present}
    cols = ", ".join(f't."{c}"' for c in types)
    cur = conn.execute(
        f'SELECT c.seq, c.row_id, c.stamp, c.fields, t.clocks, {cols} FROM changes c JOIN "{table}"'
        " t ON t.id = c.row_id WHERE c.tbl = ?",
        (table,),
    )
    for seq, row_id, stamp, fields, clocks, *values in cur:
        yield seq, row_id, stamp, fields, clocks, dict(zip(types, values, strict=True))


def _lean(table: str, entry: tuple, shared: set) -> tuple[str, int] | None:
    """``(fields without the row's values, seq)``, or None to leave the entry as it is."""
    seq, row_id, stamp, text, clocks_text, raw = entry
    if (table, row_id, stamp) in shared:
        return None
    try:
        fields = json.loads(text)
        clocks = stored_clocks.decode(table, clocks_text)
    except ValueError:
        return None
    if not isinstance(fields, dict):
        return None
    at_stamp = {f for f, s in clocks.items() if s == stamp and f in raw}
    if not at_stamp <= set(fields):
        return None  # the row has a field at this stamp the entry did not write
    types = schema.fields_of(table)
    row = {f: schema.decode_value(types[f], raw[f]) for f in at_stamp}  # only what is compared
    live = {
        f
        for f in at_stamp
        if type(fields[f]) is type(row[f]) and fields[f] == row[f]  # noqa: E721
    }
    if not live:
        return None
    kept = {k: v for k, v in fields.items() if k not in live}
    return json.dumps(kept, ensure_ascii=False, separators=(",", ":")), seq
