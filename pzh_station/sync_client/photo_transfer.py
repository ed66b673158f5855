"""Photos to and from the city server (issue 15), apart from the record sync. No Qt.

Upload: each queued file (thumbnails first) is announced (``POST /v1/photos/<hash>``); the server
answers how many bytes it holds, and the file goes on from there in binary chunks
(``PUT …?offset=N``), each acknowledged. Every acknowledgement is written to the station file
(``photo_uploads.acked``) with the bytes counted against today's budget, so after a cut at any
byte — in the same run (the transport retries), in a later sync or after a restart — at most the
chunk in flight is sent again. A file the server refuses (too big, wrong type, station full) is
set aside with the server's message; the others go on.

Download: a file attached on another PC is fetched when wanted (thumbnails after each sync, a
photo when it is opened), resuming a cut download from the bytes already here (``Range``), and
checked against its hash before it enters the photo store.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import requests

from pzh_core import photos, protocol
from pzh_station.store import Store
from pzh_station.store import photos as q
from pzh_station.store.photo_files import PhotoFiles, photo_dir
from pzh_station.store.photos import china_day
from pzh_station.sync_client.errors import SyncError
from pzh_station.sync_client.steps import RunDb, as_run_db
from pzh_station.sync_client.transport import Transport, _http_error, _offline_detail, _short

log = logging.getLogger(__name__)
SET_ASIDE = {"too_big", "wrong_type", "station_full", "too_large"}
MAX_CORRUPT = 3  # chunk or file hash failures in a row before a file is set aside


def photo_files(db: RunDb) -> PhotoFiles:
    """The photo store beside the station file (files are read and written here directly: they
    are immutable and named by their hash; only the queue lives in the database)."""
    return PhotoFiles(db(lambda s: photo_dir(s.path)))


@dataclass
class PhotoProgress:
    """How far an upload run is: photos (not thumbnails) and bytes (thumbnails included) of what
    was queued when it started."""

    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int


@dataclass
class PhotoResult:
    """What one upload run did."""

    files_done: int = 0
    bytes_sent: int = 0
    chunks: int = 0
    resent_bytes: int = 0  # bytes sent again after a cut
    stopped: str = ""  # "" (queue empty), "budget", "asked", "manual"
    refused: list[str] = field(default_factory=list)  # Chinese messages of set-aside files
    pending: int = 0


class _Answer(Exception):
    """A 4xx answer with its JSON, for the loop to act on."""

    def __init__(self, status: int, data: dict[str, Any]) -> None:
        super().__init__(data.get("error", status))
        self.status = status
        self.data = data


def _send(
    transport: Transport, method: str, path: str, body: bytes | None, headers: dict[str, str]
) -> requests.Response:
    """One request through the transport's session; network failures as SyncError."""
    headers = {**headers, "Authorization": f"Bearer {transport.token}"}
    transport.stats.requests += 1
    transport.stats.body_bytes_up += len(body or b"")
    try:
        resp = transport.session.request(
            method,
            transport.base_url + path,
            data=body,
            headers=headers,
            timeout=transport.timeout,
            verify=transport.verify,
        )
        _ = resp.content  # a cut while reading the answer is caught here
    except requests.exceptions.SSLError as exc:
        raise SyncError("tls", _short(exc)) from exc
    except requests.exceptions.Timeout as exc:
        raise SyncError("timeout", _short(exc)) from exc
    except requests.exceptions.RequestException as exc:
        raise SyncError("offline", _offline_detail(transport.base_url, exc)) from exc
    transport.stats.body_bytes_down += len(resp.content)
    return resp


def _json_call(
    transport: Transport, method: str, path: str, body: bytes | None, headers: dict[str, str]
) -> dict[str, Any]:
    """A request whose answer is JSON; transient failures retried by the transport's policy;
    a 409/422/400/429/413/415/507 answer raised as :class:`_Answer` for the caller."""

    def once() -> dict[str, Any]:
        resp = _send(transport, method, path, body, headers)
        try:
            data = json.loads(resp.content.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            data = None
        if resp.status_code in (400, 409, 413, 415, 422, 429, 507) and isinstance(data, dict):
            raise _Answer(resp.status_code, data)
        if resp.status_code >= 400:
            raise _http_error(resp.status_code, data, resp.headers.get("Retry-After"))
        if not isinstance(data, dict):
            raise SyncError("bad_response", f"HTTP {resp.status_code}")
        return data

    return transport._with_retries(once)  # noqa: SLF001 - the transport's one retry policy


class PhotoUploader:
    """Send the queued photos of one station file.

    :param store: the open store, or the app's ``run_db`` (every database step is one call of
        it, run on the database worker; the network stays on the caller's thread).
    :param should_stop: asked between chunks; True ends the run (the app is closing, or a
        person switched to "only when I say").
    :param day: today's date in China (tests pass a fixed one).
    :param day_budget: bytes this PC may send per day (the city's setting); the server's own
        ``day_left`` counts too.
    """

    def __init__(
        self,
        store: Store | RunDb,
        transport: Transport,
        *,
        chunk_bytes: int = photos.CHUNK_BYTES,
        should_stop: Callable[[], bool] = lambda: False,
        day: Callable[[], str] = china_day,
        day_budget: int | None = None,
        progress: Callable[[PhotoProgress], None] | None = None,
    ) -> None:
        self.db = as_run_db(store)
        self.progress = progress
        self._done = PhotoProgress(0, 0, 0, 0)
        self._file_base = 0  # bytes done before the file under way
        self.transport = transport
        self.files = photo_files(self.db)
        self.chunk_bytes = chunk_bytes
        self.should_stop = should_stop
        self.day = day
        self.day_budget = day_budget

    def run(self) -> PhotoResult:
        result = PhotoResult()
        # attached on another PC: that PC sends it
        uploads = [up for up in self.db(q.pending_uploads) if self.files.has(up.hash)]
        # files as 照片待上传 counts them (thumbnails travel too, counted in the bytes only)
        files = sum(1 for up in uploads if not up.thumb)
        self._done = PhotoProgress(0, files, 0, sum(up.size - up.acked for up in uploads))
        self._report()
        for up in uploads:
            if self.should_stop():
                result.stopped = "asked"
                break
            base = self._file_base = self._done.bytes_done
            if not self._upload(up, result):
                break
            if not up.thumb:
                self._done.files_done += 1
            self._report(base + up.size - up.acked)
        result.pending = self.db(q.pending_count)
        return result

    def _report(self, bytes_done: int = 0) -> None:
        self._done.bytes_done = min(self._done.bytes_total, bytes_done)
        if self.progress is not None:
            self.progress(replace(self._done))

    def _budget_left(self, server_left: int) -> int:
        left = server_left
        if self.day_budget is not None:
            day = self.day()
            left = min(left, self.day_budget - self.db(lambda s: q.budget_used(s, day)))
        return left

    def _upload(self, up: q.Upload, result: PhotoResult, restarts: int = 0) -> bool:
        """One file; False when the run must stop (budget, asked)."""
        path = f"/v1/photos/{up.hash}"
        body = json.dumps({"protocol": protocol.PROTOCOL_VERSION, "size": up.size, "kind": up.kind})
        try:
            state = _json_call(
                self.transport, "POST", path, body.encode(), {"Content-Type": "application/json"}
            )
        except _Answer as ans:
            return self._refused(up, ans, result)
        offset, day_left = int(state["received"]), int(state.get("day_left", 1 << 62))
        if state.get("complete"):
            self._ack(up.hash, up.size, True, 0)
            result.files_done += 1
            return True
        data = self.files.read(up.hash)
        corrupt = 0
        last_acked = up.acked
        while offset < up.size:
            if self.should_stop():
                result.stopped = "asked"
                return False
            piece = data[offset : offset + self.chunk_bytes]
            if len(piece) > self._budget_left(day_left):
                result.stopped = "budget"
                return False
            if offset < last_acked:
                result.resent_bytes += min(last_acked, offset + len(piece)) - offset
            headers = {
                "Content-Type": "application/octet-stream",
                "X-Chunk-SHA256": hashlib.sha256(piece).hexdigest(),
            }
            try:
                ack = _json_call(self.transport, "PUT", f"{path}?offset={offset}", piece, headers)
            except _Answer as ans:
                code = ans.data.get("error")
                if code in ("offset", "not_started", "hash_mismatch", "chunk_corrupt"):
                    corrupt += code in ("hash_mismatch", "chunk_corrupt")
                    if corrupt >= MAX_CORRUPT:
                        return self._refused(up, ans, result)
                    if code == "not_started":  # the server lost the upload: announce again
                        if restarts >= MAX_CORRUPT:
                            return self._refused(up, ans, result)
                        return self._upload(up, result, restarts + 1)
                    offset = int(ans.data.get("received", offset))
                    continue
                return self._refused(up, ans, result)
            result.chunks += 1
            result.bytes_sent += len(piece)
            new = int(ack["received"])
            self._ack(up.hash, new, bool(ack.get("complete")), len(piece))
            self._report(self._file_base + max(0, new - up.acked))
            last_acked = max(last_acked, new)
            offset, day_left = new, int(ack.get("day_left", day_left))
            if ack.get("complete"):
                break
        result.files_done += 1
        return True

    def _ack(self, hash_: str, acked: int, done: bool, sent: int) -> None:
        day = self.day()
        self.db(lambda s: q.record_ack(s, hash_, acked, done, day, sent))

    def _refused(self, up: q.Upload, ans: _Answer, result: PhotoResult) -> bool:
        code = ans.data.get("error", "")
        message = ans.data.get("message") or code
        if code == "photo_budget" or ans.status == 429:
            result.stopped = "budget"
            return False
        log.warning("photo %s refused by the server: %s", up.hash[:12], code)
        self.db(lambda s: q.record_refusal(s, up.hash, message))
        result.refused.append(message)
        return True


def download(store: Store | RunDb, transport: Transport, hash_: str) -> bool:
    """Fetch one file this PC lacks into the photo store (resuming a cut download).

    :returns: True when the file is here now; False when the server does not have it yet.
    """
    files = photo_files(as_run_db(store))
    if files.has(hash_):
        return True
    part = files.path(hash_).with_name(hash_ + ".download")
    part.parent.mkdir(parents=True, exist_ok=True)

    def once() -> bytes | None:
        have = part.stat().st_size if part.exists() else 0
        headers = {"Accept-Encoding": "identity"}
        if have:
            headers["Range"] = f"bytes={have}-"
        resp = _send(transport, "GET", f"/v1/photos/{hash_}", None, headers)
        if resp.status_code == 404:
            return None
        if resp.status_code >= 400:
            raise _http_error(resp.status_code, None, resp.headers.get("Retry-After"))
        mode = "ab" if resp.status_code == 206 else "wb"
        with part.open(mode) as fh:
            fh.write(resp.content)
        return part.read_bytes()

    data = transport._with_retries(once)  # noqa: SLF001
    if data is None:
        return False
    if photos.sha256(data) != hash_:
        part.unlink(missing_ok=True)
        raise SyncError("bad_response", "取回的照片校验不符，已丢弃，下次重新取回")
    files.put_verified(hash_, data)
    part.unlink(missing_ok=True)
    return True


def fetch_missing_thumbnails(store: Store | RunDb, transport: Transport, limit: int = 200) -> int:
    """Thumbnails of this station's attachments that this PC lacks (a new PC sees them first)."""
    db = as_run_db(store)
    files = photo_files(db)
    got = 0
    missing = [h for h in db(q.live_thumbs) if not files.has(h)]
    for hash_ in missing[:limit]:
        if download(db, transport, hash_):
            got += 1
    return got
