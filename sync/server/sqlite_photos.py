"""The server's photo store (issue 15): files by content hash, uploads in chunks, per-station
accounting. Its own SQLite index (``photos/index.sqlite3``) beside the files, apart from the
replica database: photos never slow the record sync down.

Layout under ``<data dir>/photos``: ``files/ab/<hash>`` (complete, checked files, each stored
once whichever stations sent it), ``partial/<station>/<hash>`` (uploads in progress, one per
station so two stations sending the same photo never mix their bytes), ``index.sqlite3``.

An upload grows by chunks at the offset the server has acknowledged; a chunk that arrives again
(its answer was lost) is acknowledged again without writing. When the last byte arrives the whole
file's SHA-256 and its type (by content) are checked before it becomes a stored file.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from pzh_core import photos

DAY_BYTES = 200 * 1024 * 1024  # default daily bytes one station may send
STATION_BYTES = 5 * 1024 * 1024 * 1024  # default stored bytes per station
CHINA = dt.timezone(dt.timedelta(hours=8))

DDL = (
    "CREATE TABLE IF NOT EXISTS files (hash TEXT PRIMARY KEY, size INTEGER NOT NULL,"
    " kind TEXT NOT NULL, created_ms INTEGER NOT NULL)",
    # Which stations hold a file: its bytes count against each of them; they may fetch it.
    "CREATE TABLE IF NOT EXISTS owners (hash TEXT NOT NULL, station_id TEXT NOT NULL,"
    " created_ms INTEGER NOT NULL, PRIMARY KEY (station_id, hash))",
    "CREATE INDEX IF NOT EXISTS owners_hash ON owners(hash)",
    "CREATE TABLE IF NOT EXISTS uploads (station_id TEXT NOT NULL, hash TEXT NOT NULL,"
    " size INTEGER NOT NULL, kind TEXT NOT NULL, received INTEGER NOT NULL DEFAULT 0,"
    " updated_ms INTEGER NOT NULL, PRIMARY KEY (station_id, hash))",
    "CREATE TABLE IF NOT EXISTS traffic (station_id TEXT NOT NULL, day TEXT NOT NULL,"
    " bytes INTEGER NOT NULL, PRIMARY KEY (station_id, day))",
    # Per-station limits set by the city (NULL: the server's default).
    "CREATE TABLE IF NOT EXISTS limits (station_id TEXT PRIMARY KEY, station_bytes INTEGER,"
    " day_bytes INTEGER)",
)


class PhotoRefused(Exception):
    """``status`` (HTTP), ``code`` and a Chinese ``message``; ``received`` when it helps."""

    def __init__(self, status: int, code: str, message: str, received: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.received = received


@dataclass(frozen=True)
class UploadState:
    received: int
    size: int
    complete: bool
    day_left: int  # bytes this station may still send today


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB"


class PhotoStore:
    """The photo store under ``root``; thread-safe (one lock: chunks are small and quick)."""

    def __init__(
        self,
        root: str | Path,
        *,
        now_ms,
        day_bytes: int = DAY_BYTES,
        station_bytes: int = STATION_BYTES,
    ) -> None:
        self.root = Path(root)
        (self.root / "files").mkdir(parents=True, exist_ok=True)
        (self.root / "partial").mkdir(parents=True, exist_ok=True)
        self.now_ms = now_ms
        self.day_bytes = day_bytes
        self.station_bytes = station_bytes
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(
            str(self.root / "index.sqlite3"), check_same_thread=False, isolation_level=None
        )
        self._conn.execute("PRAGMA journal_mode = WAL")
        for ddl in DDL:
            self._conn.execute(ddl)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # -- paths ---------------------------------------------------------------------------
    def file_path(self, hash_: str) -> Path:
        return self.root / "files" / photos.shard_path(hash_)

    def _partial(self, station_id: str, hash_: str) -> Path:
        return self.root / "partial" / station_id / hash_

    def _day(self) -> str:
        return dt.datetime.fromtimestamp(self.now_ms() / 1000, CHINA).strftime("%Y-%m-%d")

    # -- limits and usage ----------------------------------------------------------------
    def limits(self, station_id: str) -> tuple[int, int]:
        """(stored bytes, bytes per day) allowed for a station."""
        row = self._conn.execute(
            "SELECT station_bytes, day_bytes FROM limits WHERE station_id = ?", (station_id,)
        ).fetchone()
        station = row[0] if row and row[0] is not None else self.station_bytes
        day = row[1] if row and row[1] is not None else self.day_bytes
        return station, day

    def set_limits(
        self, station_id: str, *, station_bytes: int | None, day_bytes: int | None
    ) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT INTO limits (station_id, station_bytes, day_bytes) VALUES (?, ?, ?)"
                " ON CONFLICT(station_id) DO UPDATE SET station_bytes = excluded.station_bytes,"
                " day_bytes = excluded.day_bytes",
                (station_id, station_bytes, day_bytes),
            )

    def usage(self, station_id: str) -> int:
        return self._conn.execute(
            "SELECT coalesce(sum(f.size), 0) FROM owners o JOIN files f ON f.hash = o.hash"
            " WHERE o.station_id = ?",
            (station_id,),
        ).fetchone()[0]

    def sent_today(self, station_id: str) -> int:
        row = self._conn.execute(
            "SELECT bytes FROM traffic WHERE station_id = ? AND day = ?",
            (station_id, self._day()),
        ).fetchone()
        return row[0] if row else 0

    def _check_room(self, station_id: str, size: int) -> None:
        limit, _ = self.limits(station_id)
        used = self.usage(station_id)
        if used + size > limit:
            raise PhotoRefused(
                507,
                "station_full",
                f"本站在市服务器上的照片已用 {_mb(used)}，上限 {_mb(limit)}，这个文件放不下了。"
                "照片仍完好地保存在本机；请联系县（区）文化馆清理或提高本站的照片上限。",
            )

    def _day_left(self, station_id: str) -> int:
        _, day = self.limits(station_id)
        return max(0, day - self.sent_today(station_id))

    # -- upload --------------------------------------------------------------------------
    def begin(self, station_id: str, hash_: str, size: int, kind: str) -> UploadState:
        """Start or resume an upload: how many bytes the server already holds."""
        if kind not in photos.KINDS:
            raise PhotoRefused(
                415, "wrong_type", photos.MESSAGES["wrong_type"].format(name=hash_[:12])
            )
        if not 0 < size <= photos.MAX_STORED_BYTES:
            raise PhotoRefused(
                413,
                "too_big",
                photos.MESSAGES["too_big"].format(
                    name=hash_[:12], mb=size / 1024 / 1024, limit=photos.MAX_STORED_BYTES >> 20
                ),
            )
        with self._lock:
            stored = self._conn.execute(
                "SELECT size FROM files WHERE hash = ?", (hash_,)
            ).fetchone()
            if stored is not None:
                # Stored already (another PC or station sent it): this station holds it too.
                owned = self._conn.execute(
                    "SELECT 1 FROM owners WHERE station_id = ? AND hash = ?", (station_id, hash_)
                ).fetchone()
                if not owned:
                    self._check_room(station_id, stored[0])
                    self._own(station_id, hash_)
                return UploadState(stored[0], stored[0], True, self._day_left(station_id))
            self._check_room(station_id, size)
            row = self._conn.execute(
                "SELECT size, received FROM uploads WHERE station_id = ? AND hash = ?",
                (station_id, hash_),
            ).fetchone()
            partial = self._partial(station_id, hash_)
            received = row[1] if row and row[0] == size else 0
            # The file on disk is the truth: a crash may have lost bytes after the index moved.
            have = partial.stat().st_size if partial.exists() else 0
            received = min(received, have)
            self._conn.execute(
                "INSERT INTO uploads (station_id, hash, size, kind, received, updated_ms)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(station_id, hash) DO UPDATE SET"
                " size = excluded.size, kind = excluded.kind, received = excluded.received,"
                " updated_ms = excluded.updated_ms",
                (station_id, hash_, size, kind, received, self.now_ms()),
            )
            return UploadState(received, size, False, self._day_left(station_id))

    def put_chunk(
        self, station_id: str, hash_: str, offset: int, data: bytes, *, metered: bool = True
    ) -> UploadState:
        """Write one chunk at ``offset`` (the caller checked the chunk's own hash).

        :param metered: counts against the station's daily budget (network, not a USB bundle).
        """
        with self._lock:
            row = self._conn.execute(
                "SELECT size, received FROM uploads WHERE station_id = ? AND hash = ?",
                (station_id, hash_),
            ).fetchone()
            if row is None:
                done = self._conn.execute(
                    "SELECT size FROM files WHERE hash = ?", (hash_,)
                ).fetchone()
                if done is not None and self._owns(station_id, hash_):
                    return UploadState(done[0], done[0], True, self._day_left(station_id))
                raise PhotoRefused(409, "not_started", "请先开始上传这个文件。", received=0)
            size, received = row
            if offset > received:
                raise PhotoRefused(409, "offset", "服务器还没有收到前面的部分。", received=received)
            end = offset + len(data)
            if end > size:
                raise PhotoRefused(400, "past_end", "数据超出了文件的长度。", received=received)
            if end <= received:  # a resent chunk whose answer was lost: nothing to write
                return UploadState(received, size, False, self._day_left(station_id))
            new = end - received
            if metered and new > self._day_left(station_id):
                raise PhotoRefused(
                    429,
                    "photo_budget",
                    "今天本站上传照片的流量已用完，明天会自动继续上传。记录的同步不受影响。",
                    received=received,
                )
            partial = self._partial(station_id, hash_)
            partial.parent.mkdir(parents=True, exist_ok=True)
            with partial.open("r+b" if partial.exists() else "wb") as fh:
                fh.truncate(offset)
                fh.seek(offset)
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            if metered:
                self._count(station_id, new)
            if end < size:
                self._conn.execute(
                    "UPDATE uploads SET received = ?, updated_ms = ? WHERE station_id = ? AND hash = ?",
                    (end, self.now_ms(), station_id, hash_),
                )
                return UploadState(end, size, False, self._day_left(station_id))
            return self._finish(station_id, hash_, size)

    def _finish(self, station_id: str, hash_: str, size: int) -> UploadState:
        partial = self._partial(station_id, hash_)
        data = partial.read_bytes()
        kind = photos.sniff(data[:16])
        problem = None
        if photos.sha256(data) != hash_:
            problem = PhotoRefused(
                422, "hash_mismatch", "文件在传输中损坏（校验不符），将重新上传。", received=0
            )
        elif kind is None:
            problem = PhotoRefused(
                415, "wrong_type", photos.MESSAGES["wrong_type"].format(name=hash_[:12]), received=0
            )
        if problem is not None:
            partial.unlink(missing_ok=True)
            self._conn.execute(
                "DELETE FROM uploads WHERE station_id = ? AND hash = ?", (station_id, hash_)
            )
            raise problem
        dest = self.file_path(hash_)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(partial, dest)
        self._conn.execute("BEGIN IMMEDIATE")
        self._conn.execute(
            "INSERT OR IGNORE INTO files (hash, size, kind, created_ms) VALUES (?, ?, ?, ?)",
            (hash_, size, kind, self.now_ms()),
        )
        self._own(station_id, hash_)
        self._conn.execute(
            "DELETE FROM uploads WHERE station_id = ? AND hash = ?", (station_id, hash_)
        )
        self._conn.execute("COMMIT")
        return UploadState(size, size, True, self._day_left(station_id))

    def _own(self, station_id: str, hash_: str) -> None:
        self._conn.execute(
            "INSERT OR IGNORE INTO owners (hash, station_id, created_ms) VALUES (?, ?, ?)",
            (hash_, station_id, self.now_ms()),
        )

    def _owns(self, station_id: str, hash_: str) -> bool:
        return (
            self._conn.execute(
                "SELECT 1 FROM owners WHERE station_id = ? AND hash = ?", (station_id, hash_)
            ).fetchone()
            is not None
        )

    def _count(self, station_id: str, n: int) -> None:
        self._conn.execute(
            "INSERT INTO traffic (station_id, day, bytes) VALUES (?, ?, ?)"
            " ON CONFLICT(station_id, day) DO UPDATE SET bytes = bytes + excluded.bytes",
            (station_id, self._day(), n),
        )

    def put_whole(self, station_id: str, hash_: str, data: bytes) -> UploadState:
        """A whole file at once (from a USB bundle): the same checks, not metered."""
        kind = photos.sniff(data[:16]) or "unknown"
        state = self.begin(station_id, hash_, len(data), kind)
        if state.complete:
            return state
        return self.put_chunk(station_id, hash_, 0, data, metered=False)

    # -- reading -------------------------------------------------------------------------
    def stored(self, station_id: str, hash_: str) -> tuple[Path, int, str] | None:
        """(path, size, kind) of a file the station holds, or None."""
        row = self._conn.execute(
            "SELECT f.size, f.kind FROM files f JOIN owners o ON o.hash = f.hash"
            " WHERE f.hash = ? AND o.station_id = ?",
            (hash_, station_id),
        ).fetchone()
        return (self.file_path(hash_), row[0], row[1]) if row else None

    def has(self, hash_: str) -> tuple[Path, int, str] | None:
        row = self._conn.execute("SELECT size, kind FROM files WHERE hash = ?", (hash_,)).fetchone()
        return (self.file_path(hash_), row[0], row[1]) if row else None


def evidence_rows(storage, station_ids: list[str], start: str, end: str) -> list[dict]:  # noqa: ANN001
    """Live attachments of live activities of the stations in the period (``storage.query``
    over the replica tables), newest activity first."""
    if not station_ids:
        return []
    marks = ",".join("?" * len(station_ids))
    return storage.query(
        "SELECT a.station_id, a.id AS activity_id, a.date, a.title, a.place, t.id, t.hash,"
        " t.thumb, t.kind, t.name, t.size FROM activities a JOIN attachments t"
        " ON t.owner_table = 'activities' AND t.owner_id = a.id AND t.deleted = 0"
        f" WHERE a.station_id IN ({marks}) AND a.deleted = 0 AND a.date BETWEEN ? AND ?"
        " ORDER BY a.date DESC, a.id, t.updated_at",
        (*station_ids, start, end),
    )
