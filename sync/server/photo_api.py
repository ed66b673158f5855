"""Photo transfer endpoints (issue 15): files travel apart from the record sync, as binary chunks.

``POST /v1/photos/{hash}`` ``{"protocol", "size", "kind"}`` starts or resumes an upload and answers
``{"received", "size", "complete", "chunk", "day_left"}``: the bytes the server already holds.
``PUT /v1/photos/{hash}?offset=N`` carries one chunk as ``application/octet-stream`` (at most
``MAX_CHUNK_BYTES``) with its SHA-256 in ``X-Chunk-SHA256``; the answer acknowledges
``received``. A chunk at an offset the server has not reached answers 409 with ``received``,
so the desk resumes from there; the last chunk makes the server check the whole file's hash and
type (by content) before storing it. ``GET /v1/photos/{hash}`` sends a file the device's station
holds (``Range: bytes=N-`` resumes a download). Refusals are 4xx/507 with a Chinese message.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from pzh_core import photos, protocol
from sync.server.errors import ApiError
from sync.server.photo_store import PhotoRefused, PhotoStore
from sync.server.storage import Device

RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")


def _json(data: dict) -> Response:
    return Response(
        json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
        media_type="application/json",
    )


def _refused(exc: PhotoRefused) -> ApiError:
    extra = {"received": exc.received} if exc.received is not None else {}
    return ApiError(exc.status, exc.code, exc.code, message=exc.message, extra=extra)


def _hash(value: str) -> str:
    if not photos.is_hash(value):
        raise ApiError(404, "not_found", "not a content hash")
    return value


PHOTO_DIR_ENV = "PZH_SYNC_PHOTO_DIR"


def open_store(storage: Any, data_dir: Path, now_ms: Callable[[], int]) -> PhotoStore:
    """The photo store over the storage's database; files in ``$PZH_SYNC_PHOTO_DIR`` (shared
    storage when several server machines serve one address), else ``photos`` in the data dir.
    ``PZH_SYNC_PHOTO_STATION_MB``: the stored MB a station may keep (default 5 GB). The daily
    budget is the city setting ``photo_day_mb``."""
    kwargs = {}
    raw = os.environ.get("PZH_SYNC_PHOTO_STATION_MB")
    if raw:
        try:
            kwargs["station_bytes"] = int(float(raw) * 1024 * 1024)
        except ValueError as exc:
            raise ValueError(f"PZH_SYNC_PHOTO_STATION_MB: not a number: {raw!r}") from exc
    root = os.environ.get(PHOTO_DIR_ENV) or data_dir / "photos"
    return PhotoStore(storage.engine, root, now_ms=now_ms, **kwargs)


def install(app: FastAPI, authenticate: Callable[[Request], Device], store: PhotoStore) -> None:
    """Add the photo endpoints; ``authenticate`` gives the request's device (or raises)."""
    app.state.photos = store

    @app.post("/v1/photos/{hash_}", tags=["photos"])
    async def begin(hash_: str, request: Request) -> Response:
        device = authenticate(request)
        hash_ = _hash(hash_)
        size, kind = _announced(await request.body())
        try:
            state = await run_in_threadpool(store.begin, device.station_id, hash_, size, kind)
        except PhotoRefused as exc:
            raise _refused(exc) from exc
        return _json(
            {
                "received": state.received,
                "size": state.size,
                "complete": state.complete,
                "chunk": photos.CHUNK_BYTES,
                "day_left": state.day_left,
                "day_budget": state.day_budget,
            }
        )

    @app.put("/v1/photos/{hash_}", tags=["photos"])
    async def chunk(hash_: str, request: Request, offset: int = 0) -> Response:
        device = authenticate(request)
        hash_ = _hash(hash_)
        data = await _chunk_of(request, offset)
        try:
            state = await run_in_threadpool(store.put_chunk, device.station_id, hash_, offset, data)
        except PhotoRefused as exc:
            raise _refused(exc) from exc
        return _json(
            {"received": state.received, "complete": state.complete, "day_left": state.day_left}
        )

    @app.get("/v1/photos/{hash_}", tags=["photos"])
    def download(hash_: str, request: Request) -> Response:
        device = authenticate(request)
        found = store.stored(device.station_id, _hash(hash_))
        if found is None:
            raise ApiError(
                404,
                "photo_unknown",
                "no such photo for this station",
                message="市服务器上没有这个文件（可能尚未从添加它的电脑上传）。",
            )
        return _ranged(found, hash_, request.headers.get("range", ""))


def _announced(raw: bytes) -> tuple[int, str]:
    """The ``size`` and ``kind`` of an upload's announcement ``{protocol, size, kind}``."""
    try:
        body = json.loads(raw[:4096]) if len(raw) <= 4096 else None
    except ValueError:
        body = None
    if not isinstance(body, dict) or body.get("protocol") != protocol.PROTOCOL_VERSION:
        raise ApiError(400, "bad_request", "body must be {protocol, size, kind}")
    size, kind = body.get("size"), body.get("kind")
    if not isinstance(size, int) or isinstance(size, bool) or not isinstance(kind, str):
        raise ApiError(400, "bad_request", "size and kind required")
    return size, kind


async def _chunk_of(request: Request, offset: int) -> bytes:
    """A chunk's bytes, read up to :data:`photos.MAX_CHUNK_BYTES` and checked against the
    SHA-256 its sender claims (``X-Chunk-SHA256``)."""
    length = request.headers.get("content-length", "")
    if not length.isdigit() or int(length) > photos.MAX_CHUNK_BYTES:
        raise ApiError(413, "too_large", "chunk too large or without length")
    data = bytearray()
    async for part in request.stream():
        data += part
        if len(data) > photos.MAX_CHUNK_BYTES:
            raise ApiError(413, "too_large", "chunk too large")
    if not data or offset < 0:
        raise ApiError(400, "bad_request", "empty chunk")
    claimed = request.headers.get("x-chunk-sha256", "").lower()
    if hashlib.sha256(data).hexdigest() != claimed:
        raise ApiError(
            400, "chunk_corrupt", "chunk hash mismatch", message="数据块在传输中损坏，将重发。"
        )
    return bytes(data)


def _ranged(found: tuple[Path, int, str], hash_: str, range_header: str) -> Response:
    """A stored photo, whole or from the ``Range`` asked for."""
    path, size, kind = found
    start = 0
    match = RANGE.match(range_header)
    if match:
        start = min(int(match.group(1)), size)
    data = _read(path, start)
    headers = {"Accept-Ranges": "bytes", "X-Content-SHA256": hash_}
    if match:
        headers["Content-Range"] = f"bytes {start}-{size - 1}/{size}"
    return Response(
        data,
        status_code=206 if match else 200,
        media_type=photos.MEDIA_TYPES[kind],
        headers=headers,
    )


def _read(path: Path, start: int) -> bytes:
    with path.open("rb") as fh:
        fh.seek(start)
        return fh.read()
