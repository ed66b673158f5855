"""Attachments and the photo upload queue: the only place that knows their SQL.

The queue (``photo_uploads``) lists the stored files made on this PC that the city server may not
hold yet, with how many bytes it has acknowledged. Thumbnails go first (a new PC of the station
sees them at once), then the files, oldest first. The daily byte budget is counted in ``meta``
(``photo_day``, ``photo_day_bytes``) in the same transaction that records the acknowledged chunk.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pzh_core import photos
from pzh_core.china_tz import CHINA
from pzh_core.photos import Attachment
from pzh_core.queries import in_list
from pzh_station.store.db import Store

ATTACHMENT_COLUMNS = (
    "id, owner_table, owner_id, hash, kind, size, width, height, thumb, thumb_size, name, note,"
    " created_by, deleted"
)


def _attachment(row: dict[str, Any]) -> Attachment:
    return Attachment(**{**row, "deleted": bool(row["deleted"])})


def for_owner(store: Store, owner_table: str, owner_id: str) -> list[Attachment]:
    """The live attachments of one record, in the order they were attached."""
    rows = store.query(
        f"SELECT {ATTACHMENT_COLUMNS} FROM attachments"
        " WHERE owner_table = ? AND owner_id = ? AND deleted = 0 ORDER BY updated_at, id",
        (owner_table, owner_id),
    )
    return [_attachment(r) for r in rows]


def counts(store: Store, owner_table: str, owner_ids: list[str]) -> dict[str, int]:
    """Live attachments per record, for the ids given (records without any are left out)."""
    if not owner_ids:
        return {}
    rows = store.conn.execute(
        "SELECT owner_id, count(*) FROM attachments WHERE owner_table = ? AND deleted = 0"
        f" AND {in_list('owner_id', owner_ids)} GROUP BY owner_id",
        (owner_table, *owner_ids),
    ).fetchall()
    return {r[0]: r[1] for r in rows}


def first_thumbs(store: Store, owner_table: str, owner_ids: list[str]) -> dict[str, str]:
    """The first photo's thumbnail hash per record (for the list): the oldest, in the order
    ``for_owner`` lists a record's photos (rows oldest first; each record keeps its first)."""
    if not owner_ids:
        return {}
    rows = store.conn.execute(
        "SELECT owner_id, thumb FROM attachments WHERE owner_table = ? AND deleted = 0"
        f" AND thumb != '' AND {in_list('owner_id', owner_ids)} ORDER BY updated_at ASC, id ASC",
        (owner_table, *owner_ids),
    ).fetchall()
    first: dict[str, str] = {}
    for owner_id, thumb in rows:
        first.setdefault(owner_id, thumb)
    return first


def referenced_hashes(store: Store) -> list[str]:
    """Every file and thumbnail hash a live attachment refers to."""
    rows = store.conn.execute(
        "SELECT hash FROM attachments WHERE deleted = 0"
        " UNION SELECT thumb FROM attachments WHERE deleted = 0 AND thumb != ''"
    ).fetchall()
    return [r[0] for r in rows]


def live_count(store: Store, owner_table: str, owner_id: str) -> int:
    return store.conn.execute(
        "SELECT count(*) FROM attachments WHERE owner_table = ? AND owner_id = ? AND deleted = 0",
        (owner_table, owner_id),
    ).fetchone()[0]


# -- the upload queue ---------------------------------------------------------------------
@dataclass(frozen=True)
class Upload:
    hash: str
    kind: str
    size: int
    acked: int
    thumb: bool


def enqueue(store: Store, hash_: str, kind: str, size: int, *, thumb: bool) -> None:
    """Queue a stored file for upload (once; caller's transaction or its own)."""
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO photo_uploads (hash, kind, size, thumb) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(hash) DO NOTHING",
            (hash_, kind, size, 1 if thumb else 0),
        )


def pending_uploads(store: Store, limit: int = 1000) -> list[Upload]:
    """Files the server does not hold yet, thumbnails first, then oldest first — only those a
    live attachment still refers to (a photo removed before it left is not sent)."""
    rows = store.query(
        "SELECT hash, kind, size, acked, thumb FROM photo_uploads u WHERE done = 0 AND error = ''"
        " AND EXISTS (SELECT 1 FROM attachments a WHERE a.deleted = 0"
        "             AND (a.hash = u.hash OR a.thumb = u.hash))"
        " ORDER BY thumb DESC, queued_at, hash LIMIT ?",
        (limit,),
    )
    return [Upload(r["hash"], r["kind"], r["size"], r["acked"], bool(r["thumb"])) for r in rows]


def pending_count(store: Store) -> int:
    """Photos (not thumbnails) waiting to go to the server: 照片待上传 N."""
    return store.conn.execute(
        "SELECT count(*) FROM photo_uploads u WHERE done = 0 AND thumb = 0"
        " AND EXISTS (SELECT 1 FROM attachments a WHERE a.deleted = 0 AND a.hash = u.hash)"
    ).fetchone()[0]


def refused_uploads(store: Store) -> list[dict[str, Any]]:
    return store.query("SELECT hash, kind, size, error FROM photo_uploads WHERE error != ''")


def record_ack(store: Store, hash_: str, acked: int, done: bool, day: str, sent: int) -> None:
    """The server acknowledged ``acked`` bytes of a file; ``sent`` bytes count against today's
    budget (one transaction)."""
    with store.transaction() as conn:
        conn.execute(
            "UPDATE photo_uploads SET acked = ?, done = ? WHERE hash = ?",
            (acked, 1 if done else 0, hash_),
        )
        used = budget_used(store, day) + sent
        for key, value in (("photo_day", day), ("photo_day_bytes", str(used))):
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )


def record_refusal(store: Store, hash_: str, message: str) -> None:
    with store.transaction() as conn:
        conn.execute("UPDATE photo_uploads SET error = ? WHERE hash = ?", (message, hash_))


def retry_refused(store: Store) -> int:
    """Put refused files back in the queue (after the county raised the station's limit)."""
    with store.transaction() as conn:
        return conn.execute("UPDATE photo_uploads SET error = '' WHERE error != ''").rowcount


def china_day() -> str:
    """Today in China (the photo budget's day, as the server counts it)."""
    return dt.datetime.now(CHINA).strftime("%Y-%m-%d")


def budget_used(store: Store, day: str) -> int:
    """Bytes of photos sent on ``day`` (YYYY-MM-DD)."""
    if store.meta("photo_day") != day:
        return 0
    return int(store.meta("photo_day_bytes") or 0)


def day_budget(store: Store) -> int:
    """Bytes of photos this station may send per day: the city setting ``photo_day_mb`` from the
    ``city_settings`` rows the server sent (decision 3; the server enforces the same value)."""
    from pzh_core.queries import settings as setting_q

    value = setting_q.effective(store.conn, photos.DAY_SETTING, store.station_id or "")
    return photos.day_budget_bytes(value)


def live_thumbs(store: Store) -> list[str]:
    """Thumbnail hashes of live attachments (the caller checks which are here)."""
    rows = store.conn.execute(
        "SELECT DISTINCT thumb FROM attachments WHERE deleted = 0 AND thumb != ''"
    ).fetchall()
    return [r[0] for r in rows]


def mark_received(store: Store, hashes: list[str]) -> int:
    """Files the server confirmed it holds (a USB bundle's answer): no upload needed any more."""
    done = 0
    with store.transaction() as conn:
        for h in hashes:
            done += conn.execute(
                "UPDATE photo_uploads SET done = 1, acked = size WHERE hash = ? AND done = 0", (h,)
            ).rowcount
    return done
