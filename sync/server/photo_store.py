"""The server's photo store (issue 15): files by content hash, uploads in chunks, per-station
accounting, on either engine (the tables of migration 8).

Stored files are plain files under ``<photo dir>/files/ab/<hash>``, each once whichever stations
sent it; the photo dir is shared by every server process (the data dir, or ``PZH_SYNC_PHOTO_DIR``
on shared storage). An upload in progress lives in the database: its acknowledged offset in
``srv_photo_uploads`` and its chunks in ``srv_photo_chunks``, each written in the transaction that
acknowledges it. So any server process behind one address continues an upload another began, and
two chunks for one upload take turns (the upload's row is locked). A chunk that arrives again (its
answer was lost) is acknowledged again without writing. With the last byte the whole file's
SHA-256 and its type (by content) are checked before it becomes a stored file.

The daily budget is the city setting ``photo_day_mb`` (decision 3), read from the station's
``city_settings`` rows in the same transaction; the stored bytes per station are the server's
(``srv_photo_limits``, else ``PZH_SYNC_PHOTO_STATION_MB``, else 5 GB).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pzh_core import photos
from pzh_core.china_tz import china_day
from pzh_core.queries import settings as setting_q
from sync.server.db.conn import Conn
from sync.server.db.engine import Engine

STATION_BYTES = 5 * 1024 * 1024 * 1024  # default stored bytes per station
MB = 1024 * 1024


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
    day_budget: int = 0  # the station's daily budget in bytes (the city setting)


def _mb(n: int) -> str:
    return f"{n / MB:.0f} MB"


class PhotoStore:
    """The photo store: files under ``root``, everything else in ``engine``'s database."""

    def __init__(
        self,
        engine: Engine,
        root: str | Path,
        *,
        now_ms: Callable[[], int],
        station_bytes: int = STATION_BYTES,
    ) -> None:
        self.engine = engine
        self.root = Path(root)
        (self.root / "files").mkdir(parents=True, exist_ok=True)
        self.now_ms = now_ms
        self.station_bytes = station_bytes

    def close(self) -> None:
        """Nothing of its own to close (the storage owns the engine)."""

    # -- paths ---------------------------------------------------------------------------
    def file_path(self, hash_: str) -> Path:
        return self.root / "files" / photos.shard_path(hash_)

    def _day(self) -> str:
        return china_day(self.now_ms())

    # -- limits and usage ----------------------------------------------------------------
    def _station_limit(self, c: Conn, station_id: str) -> int:
        got = c.scalar(
            "SELECT station_bytes FROM srv_photo_limits WHERE station_id = ?", (station_id,)
        )
        return int(got) if got is not None else self.station_bytes

    def limits(self, station_id: str) -> tuple[int, int]:
        """(stored bytes, bytes per day) allowed for a station."""
        return self.engine.read(
            lambda c: (self._station_limit(c, station_id), self._day_budget(c, station_id))
        )

    def set_station_limit(self, station_id: str, station_bytes: int | None) -> None:
        def tx(c: Conn) -> None:
            c.execute(
                "INSERT INTO srv_photo_limits (station_id, station_bytes) VALUES (?, ?)"
                " ON CONFLICT (station_id) DO UPDATE SET station_bytes = excluded.station_bytes",
                (station_id, station_bytes),
            )

        self.engine.write(tx)

    @staticmethod
    def _day_budget(c: Conn, station_id: str) -> int:
        return photos.day_budget_bytes(setting_q.effective(c.raw, photos.DAY_SETTING, station_id))

    @staticmethod
    def _usage(c: Conn, station_id: str) -> int:
        return int(
            c.scalar(
                "SELECT COALESCE(SUM(f.size), 0) FROM srv_photo_owners o"
                " JOIN srv_photo_files f ON f.hash = o.hash WHERE o.station_id = ?",
                (station_id,),
            )
        )

    def usage(self, station_id: str) -> int:
        return self.engine.read(lambda c: self._usage(c, station_id))

    def _sent_today(self, c: Conn, station_id: str) -> int:
        got = c.scalar(
            "SELECT bytes FROM srv_photo_traffic WHERE station_id = ? AND day = ?",
            (station_id, self._day()),
        )
        return int(got or 0)

    def sent_today(self, station_id: str) -> int:
        return self.engine.read(lambda c: self._sent_today(c, station_id))

    def _check_room(self, c: Conn, station_id: str, size: int) -> None:
        limit, used = self._station_limit(c, station_id), self._usage(c, station_id)
        if used + size > limit:
            raise PhotoRefused(
                507,
                "station_full",
                f"本站在市服务器上的照片已用 {_mb(used)}，上限 {_mb(limit)}，这个文件放不下了。"
                "照片仍完好地保存在本机；请联系县（区）文化馆清理或提高本站的照片上限。",
            )

    def _state(
        self, c: Conn, station_id: str, received: int, size: int, complete: bool
    ) -> UploadState:
        budget = self._day_budget(c, station_id)
        left = max(0, budget - self._sent_today(c, station_id))
        return UploadState(received, size, complete, left, budget)

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
                    name=hash_[:12], mb=size / MB, limit=photos.MAX_STORED_BYTES >> 20
                ),
            )
        return self.engine.write(lambda c: self._begin(c, station_id, hash_, size, kind))

    def _begin(self, c: Conn, station_id: str, hash_: str, size: int, kind: str) -> UploadState:
        stored = c.scalar("SELECT size FROM srv_photo_files WHERE hash = ?", (hash_,))
        if stored is not None:
            # Stored already (another PC or station sent it): this station holds it too.
            if not self._owns(c, station_id, hash_):
                self._check_room(c, station_id, stored)
                self._own(c, station_id, hash_)
            return self._state(c, station_id, stored, stored, True)
        self._check_room(c, station_id, size)
        row = c.one(
            "SELECT size, received FROM srv_photo_uploads WHERE station_id = ? AND hash = ?"
            + c.dialect.for_update,
            (station_id, hash_),
        )
        if row is not None and row["size"] == size:
            return self._state(c, station_id, row["received"], size, False)
        if row is not None:  # announced before with another size: start again
            self._drop_upload(c, station_id, hash_)
        # Two PCs of the station may announce the same photo at once: one row, both go on it.
        c.execute(
            "INSERT INTO srv_photo_uploads (station_id, hash, size, kind, received, updated_ms)"
            " VALUES (?, ?, ?, ?, 0, ?) ON CONFLICT (station_id, hash) DO NOTHING",
            (station_id, hash_, size, kind, self.now_ms()),
        )
        got = c.scalar(
            "SELECT received FROM srv_photo_uploads WHERE station_id = ? AND hash = ?",
            (station_id, hash_),
        )
        return self._state(c, station_id, int(got or 0), size, False)

    def put_chunk(
        self, station_id: str, hash_: str, offset: int, data: bytes, *, metered: bool = True
    ) -> UploadState:
        """Store one chunk at ``offset`` (the caller checked the chunk's own hash).

        :param metered: counts against the station's daily budget (network, not a USB bundle).
        """
        out = self.engine.write(
            lambda c: self._put_chunk(c, station_id, hash_, offset, data, metered)
        )
        if isinstance(out, PhotoRefused):  # the upload was dropped, committed: start again
            raise out
        return out

    def _put_chunk(
        self, c: Conn, station_id: str, hash_: str, offset: int, data: bytes, metered: bool
    ) -> UploadState | PhotoRefused:
        row = c.one(
            "SELECT size, received FROM srv_photo_uploads WHERE station_id = ? AND hash = ?"
            + c.dialect.for_update,
            (station_id, hash_),
        )
        if row is None:
            done = c.scalar("SELECT size FROM srv_photo_files WHERE hash = ?", (hash_,))
            if done is not None and self._owns(c, station_id, hash_):
                return self._state(c, station_id, done, done, True)
            raise PhotoRefused(409, "not_started", "请先开始上传这个文件。", received=0)
        size, received = row["size"], row["received"]
        if offset > received:
            raise PhotoRefused(409, "offset", "服务器还没有收到前面的部分。", received=received)
        end = offset + len(data)
        if end > size:
            raise PhotoRefused(400, "past_end", "数据超出了文件的长度。", received=received)
        if end <= received:  # a resent chunk whose answer was lost: nothing to write
            return self._state(c, station_id, received, size, False)
        new = data[received - offset :]  # the bytes past what the server holds
        if metered:
            state = self._state(c, station_id, received, size, False)
            if len(new) > state.day_left:
                raise PhotoRefused(
                    429,
                    "photo_budget",
                    f"今天本站上传照片的流量（每天 {_mb(state.day_budget)}）已用完，"
                    "明天会自动继续上传。记录的同步不受影响。",
                    received=received,
                )
            self._count(c, station_id, len(new))
        c.execute(
            "INSERT INTO srv_photo_chunks (station_id, hash, offset_bytes, data)"
            " VALUES (?, ?, ?, ?)",
            (station_id, hash_, received, new),
        )
        if end < size:
            c.execute(
                "UPDATE srv_photo_uploads SET received = ?, updated_ms = ?"
                " WHERE station_id = ? AND hash = ?",
                (end, self.now_ms(), station_id, hash_),
            )
            return self._state(c, station_id, end, size, False)
        return self._finish(c, station_id, hash_, size)

    def _finish(
        self, c: Conn, station_id: str, hash_: str, size: int
    ) -> UploadState | PhotoRefused:
        parts = c.all(
            "SELECT data FROM srv_photo_chunks WHERE station_id = ? AND hash = ?"
            " ORDER BY offset_bytes",
            (station_id, hash_),
        )
        data = b"".join(bytes(p["data"]) for p in parts)
        kind = photos.sniff(data[:16])
        problem = None
        if len(data) != size or photos.sha256(data) != hash_:
            problem = PhotoRefused(
                422, "hash_mismatch", "文件在传输中损坏（校验不符），将重新上传。", received=0
            )
        elif kind is None:
            problem = PhotoRefused(
                415, "wrong_type", photos.MESSAGES["wrong_type"].format(name=hash_[:12]), received=0
            )
        if problem is not None:  # nothing half-kept: the upload starts again from zero
            self._drop_upload(c, station_id, hash_)
            return problem
        self._write_file(hash_, data)
        c.execute(
            "INSERT INTO srv_photo_files (hash, size, kind, created_ms) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (hash) DO NOTHING",
            (hash_, size, kind, self.now_ms()),
        )
        self._own(c, station_id, hash_)
        self._drop_upload(c, station_id, hash_)
        return self._state(c, station_id, size, size, True)

    def _write_file(self, hash_: str, data: bytes) -> None:
        """Write a checked file into the shared directory (atomically; the same bytes again
        when a transaction is retried, harmlessly)."""
        dest = self.file_path(hash_)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f"{hash_}.{uuid.uuid4().hex}.part")
        with tmp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, dest)

    @staticmethod
    def _drop_upload(c: Conn, station_id: str, hash_: str) -> None:
        for table in ("srv_photo_chunks", "srv_photo_uploads"):
            c.execute(f"DELETE FROM {table} WHERE station_id = ? AND hash = ?", (station_id, hash_))

    def _own(self, c: Conn, station_id: str, hash_: str) -> None:
        c.execute(
            "INSERT INTO srv_photo_owners (station_id, hash, created_ms) VALUES (?, ?, ?)"
            " ON CONFLICT (station_id, hash) DO NOTHING",
            (station_id, hash_, self.now_ms()),
        )

    @staticmethod
    def _owns(c: Conn, station_id: str, hash_: str) -> bool:
        return (
            c.one(
                "SELECT 1 FROM srv_photo_owners WHERE station_id = ? AND hash = ?",
                (station_id, hash_),
            )
            is not None
        )

    def _count(self, c: Conn, station_id: str, n: int) -> None:
        c.execute(
            "INSERT INTO srv_photo_traffic (station_id, day, bytes) VALUES (?, ?, ?)"
            " ON CONFLICT (station_id, day) DO UPDATE"
            " SET bytes = srv_photo_traffic.bytes + excluded.bytes",
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
        row = self.engine.one(
            "SELECT f.size, f.kind FROM srv_photo_files f JOIN srv_photo_owners o"
            " ON o.hash = f.hash WHERE f.hash = ? AND o.station_id = ?",
            (hash_, station_id),
        )
        return (self.file_path(hash_), row["size"], row["kind"]) if row else None

    def has(self, hash_: str) -> tuple[Path, int, str] | None:
        row = self.engine.one("SELECT size, kind FROM srv_photo_files WHERE hash = ?", (hash_,))
        return (self.file_path(hash_), row["size"], row["kind"]) if row else None
