"""v11: photos and scans attached to records (issue 15).

``attachments`` is a synced table (``pzh_core.schema.photos``). ``photo_uploads`` is local: one
row per stored file (photo or thumbnail) made on this PC that the city server may not hold yet,
with the bytes it has acknowledged (``acked``), so an upload resumes from the last acknowledged
chunk after a cut or a restart. The files live beside the station file in ``photos/``.
"""

import sqlite3

NAME = "photos"

ATTACHMENTS = {
    "owner_table": "text",
    "owner_id": "text",
    "hash": "text",
    "kind": "text",
    "size": "int",
    "width": "int",
    "height": "int",
    "thumb": "text",
    "thumb_size": "int",
    "name": "text",
    "note": "text",
    "created_by": "text",
}


def up(conn: sqlite3.Connection) -> None:
    from pzh_station.store.migrations import create_synced_table

    create_synced_table(conn, "attachments", ATTACHMENTS)
    conn.execute("CREATE INDEX attachments_owner ON attachments(owner_table, owner_id, deleted)")
    conn.execute("CREATE INDEX attachments_hash ON attachments(hash)")
    conn.execute(
        "CREATE TABLE photo_uploads ("
        " hash TEXT PRIMARY KEY,"
        " kind TEXT NOT NULL,"
        " size INTEGER NOT NULL,"
        " acked INTEGER NOT NULL DEFAULT 0,"  # bytes the server has acknowledged
        " done INTEGER NOT NULL DEFAULT 0,"  # the server holds the whole file
        " thumb INTEGER NOT NULL DEFAULT 0,"  # a thumbnail: sent before full files
        " error TEXT NOT NULL DEFAULT '',"  # the server's last refusal, in Chinese
        " queued_at TEXT NOT NULL DEFAULT (datetime('now'))"
        ")"
    )
    conn.execute("CREATE INDEX photo_uploads_pending ON photo_uploads(done, thumb, queued_at)")
