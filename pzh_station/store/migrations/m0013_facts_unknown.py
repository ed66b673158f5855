"""v13: the floor-area parts of the annual facts are filled "where known" (issue 13): their
columns may be null (not known, shown "—", adding nothing), and a 0 already stored becomes null —
a person could not leave them unknown before, so a 0 there was the form's default, not a fact
(docs/indicators.md). The changes not pushed yet say null too, so what this file pushes is what
it holds; what it pushed before, the city server turns into null by a change of its own (server
migration 14), which every PC of the station then receives."""

import ast
import json
import sqlite3

NAME = "facts_unknown"
PARTS = ("floor_area_activity", "floor_area_office")


def _outbox(conn: sqlite3.Connection) -> None:
    """The annual facts' changes not acknowledged by the server: their 0 parts become null."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'sync_acked_seq'").fetchone()
    acked = int(row[0]) if row and row[0] else 0
    fixed = []
    for seq, fields in conn.execute(
        "SELECT seq, fields FROM changes WHERE tbl = 'annual_facts' AND seq > ?", (acked,)
    ).fetchall():
        try:
            data = json.loads(fields)
        except (TypeError, ValueError):
            continue
        if isinstance(data, dict) and any(data.get(p) == 0 for p in PARTS if p in data):
            data.update({p: None for p in PARTS if p in data and data[p] == 0})
            fixed.append((json.dumps(data, ensure_ascii=False, separators=(",", ":")), seq))
    conn.executemany("UPDATE changes SET fields = ? WHERE seq = ?", fixed)


def up(conn: sqlite3.Connection) -> None:
    from pzh_station.store.migrations import transform_table

    # the other columns' defaults given as they are (transform() would quote a 0 as '0')
    defaults = {
        name: ast.literal_eval(default)
        for _cid, name, _type, _nn, default, _pk in conn.execute("PRAGMA table_info(annual_facts)")
        if default is not None
    }
    transform_table(
        conn,
        "annual_facts",
        not_null=dict.fromkeys(PARTS, False),
        defaults={**defaults, **dict.fromkeys(PARTS, None)},
    )
    conn.execute(
        "CREATE INDEX IF NOT EXISTS annual_facts_year ON annual_facts(station_id, year, deleted)"
    )
    for part in PARTS:
        conn.execute(f"UPDATE annual_facts SET {part} = NULL WHERE {part} = 0")
    _outbox(conn)
