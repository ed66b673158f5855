"""Server migration 14 (issue 13): the annual facts' floor-area parts are filled "where known".
Their replica columns may be null (not known), and every 0 stored there becomes null by a change
the server makes itself (stamped after the row's own stamps, appended to the feed): every desk —
one that joins later too — receives it and merges it like any edit, so the copies stay equal.
A person could not leave them unknown before, so a stored 0 was the form's default, not a fact
(docs/indicators.md). A 0 that a person types from now on stays 0."""

from __future__ import annotations

import time

from sync.server.db.conn import Conn

TABLE = "annual_facts"
PARTS = ("floor_area_activity", "floor_area_office")


def _not_null(c: Conn) -> set[str]:
    """The parts whose column is still NOT NULL."""
    if c.dialect.postgres:
        rows = c.raw.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema ="
            " current_schema() AND table_name = %s AND is_nullable = 'NO'",
            (TABLE,),
        ).fetchall()
        return {r[0] for r in rows} & set(PARTS)
    return {r[1] for r in c.raw.execute(f"PRAGMA table_info({TABLE})") if r[3]} & set(PARTS)


def _rebuild_sqlite(c: Conn) -> None:
    """SQLite cannot drop a NOT NULL: the table is copied into one without it (in the
    migration's transaction), its indexes made again."""
    info = list(c.raw.execute(f"PRAGMA table_info({TABLE})"))
    cols = []
    for _cid, name, kind, notnull, default, pk in info:
        if pk:
            cols.append(f"{name} {kind} PRIMARY KEY")
        elif name in PARTS:
            cols.append(f"{name} REAL")
        else:
            cols.append(
                f"{name} {kind}"
                + (" NOT NULL" if notnull else "")
                + (f" DEFAULT {default}" if default is not None else "")
            )
    indexes = [
        r[0]
        for r in c.raw.execute(
            "SELECT sql FROM sqlite_master"
            " WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
            (TABLE,),
        )
    ]
    names = ", ".join(r[1] for r in info)
    c.ddl(f"CREATE TABLE {TABLE}_m13 ({', '.join(cols)})")
    c.execute(f"INSERT INTO {TABLE}_m13 ({names}) SELECT {names} FROM {TABLE}")
    c.ddl(f"DROP TABLE {TABLE}")
    c.ddl(f"ALTER TABLE {TABLE}_m13 RENAME TO {TABLE}")
    for sql in indexes:
        c.ddl(sql)


def nullable_parts(c: Conn) -> None:
    """Let the parts' columns hold null (a new database has them so already)."""
    todo = _not_null(c)
    if not todo:
        return
    if c.dialect.postgres:
        for name in sorted(todo):
            c.ddl(f"ALTER TABLE {TABLE} ALTER COLUMN {name} DROP NOT NULL")
            c.ddl(f"ALTER TABLE {TABLE} ALTER COLUMN {name} DROP DEFAULT")
    else:
        _rebuild_sqlite(c)


def zeros_unknown(c: Conn) -> int:
    """Every stored 0 of a part becomes null, by a server change. :returns: rows changed."""
    from sync.server.replica_write import ServerClock, apply_change

    clock = ServerClock(c, lambda: int(time.time() * 1000))
    rows = c.all(
        f"SELECT id, station_id, {', '.join(PARTS)} FROM {TABLE}"
        f" WHERE {' OR '.join(f'{p} = 0' for p in PARTS)} ORDER BY id"
    )
    for r in rows:
        fields = {p: None for p in PARTS if r[p] == 0}
        apply_change(c, r["station_id"], TABLE, r["id"], fields, clock)
    return len(rows)


def migrate(c: Conn) -> None:
    nullable_parts(c)
    zeros_unknown(c)
