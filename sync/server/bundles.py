"""USB bundles on the server (issue 15): import a station PC's bundle exactly like a sync and
answer with a signed return bundle; enrollment files for PCs that never see a network; the key
endpoints (``POST /v1/keys``: a device registers its bundle key and learns the server's;
``GET /v1/keys/server``).

An import checks the whole bundle first (signature by the device's registered key, or by the key
its enrollment names; every photo's hash), then pushes its changes through the same
``Storage.push`` as ``/v1/sync`` (idempotent: a second import of the same bundle skips every seq the
server holds), stores its photos through the photo store (the same checks as an upload, not
counted against the daily network budget) and pulls the station's changes after the bundle's
cursor into the answer.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from pzh_core import bundle, protocol
from pzh_core.bundle import BundleError
from sync.server import auth, set_aside
from sync.server.bundle_keys import BundleKeys
from sync.server.limits import BodyError, decode_body
from sync.server.photo_store import PhotoRefused, PhotoStore
from sync.server.storage import BatchRejected, Device, EnrollError, PushResult, Storage

MAX_ANSWER_CHANGES = 200_000
NOT_YOURS = "这个同步包属于您无权管理的文化站，未导入任何内容。"
ENROLL_FORMAT = "pzh-enrollment"


class ImportRefused(Exception):
    """A bundle the server does not apply at all; ``message`` in Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class ImportResult:
    station_id: str
    device_id: str
    applied: int  # changes applied now (0 when imported before)
    skipped: int
    photos_stored: int
    photos_refused: list[str] = field(default_factory=list)
    answer: bytes = b""  # the signed return bundle
    answer_changes: int = 0


# A restored backup or a copied data folder (docs/sync-protocol.md "Device epoch") re-keys
# itself online; a bundle cannot, so the import says what to do instead.
FORKED_BY_USB = (
    "这个同步包来自一份与上次同步时不同的数据文件（这台电脑从备份恢复过，或复制了数据文件夹），"
    "未导入，服务器没有任何改动，电脑上的数据也都还在。请让这台电脑连网同步一次：它会自动换用"
    "新的设备身份，取回服务器上的数据并上传新录入的内容；无法连网时，请向县文化馆索取新的邀请码，"
    "在这台电脑上重新登记后再导出同步包。"
)


def import_bundle(
    storage: Storage,
    photo_store: PhotoStore,
    keys: BundleKeys,
    source: Path | bytes,
    *,
    may_import: Callable[[str], bool] = lambda station_id: True,
) -> ImportResult:
    """Apply a PC's bundle; returns what happened and the signed return bundle.

    :param may_import: whether the person importing may act for a station (a county user: the
        stations of the county); asked before anything is applied.
    :raises ImportRefused: nothing was applied.
    """
    try:
        b = bundle.read(source)
    except BundleError as exc:
        raise ImportRefused(exc.message) from exc
    try:
        m = b.manifest
        if m.get("direction") != "up":
            raise ImportRefused(
                bundle.MESSAGES["wrong_direction"].format(
                    "这是服务器发出的回执包，应在文化站电脑上导入。"
                )
            )
        device, token = _device(storage, keys, b.key, m, may_import)
        push = _checked_push(m.get("push", []))
        try:
            pushed = storage.push(device, push, client_time_ms=None)
        except BatchRejected as exc:
            if exc.code == "rekey_required":  # a new device id needs the network (/v1/rekey)
                raise ImportRefused(FORKED_BY_USB) from exc
            raise ImportRefused(f"同步包中的修改未被接受（{exc.code}）：{exc.detail}") from exc
        stored, refused = 0, []
        for h in b.photo_hashes:
            try:
                photo_store.put_whole(device.station_id, h, b.photo(h))
                stored += 1
            except PhotoRefused as exc:
                refused.append(exc.message)
        cursor = m.get("cursor", 0)
        if not isinstance(cursor, int) or isinstance(cursor, bool) or cursor < 0:
            raise ImportRefused(bundle.MESSAGES["not_bundle"])
        answer, n = _answer(storage, keys, device, (cursor, pushed), b.photo_hashes, token)
        return ImportResult(
            device.station_id, device.id, pushed.applied, pushed.skipped, stored, refused, answer, n
        )
    finally:
        b.close()


def _device(
    storage: Storage,
    keys: BundleKeys,
    key: str,
    m: dict[str, Any],
    may_import: Callable[[str], bool],
) -> tuple[Device, str]:
    """The device that signed the bundle (enrolled now when the bundle carries an enrollment)."""
    enroll = m.get("enroll")
    station_id = m.get("station_id")
    if not isinstance(station_id, str) or not may_import(station_id):
        raise ImportRefused(NOT_YOURS)
    if isinstance(enroll, dict):
        known = keys.device_with_key(key)
        if known:  # imported before: the code is spent by this very key
            device = storage.get_device(known)
            if device is not None and not device.revoked:
                return device, ""
        code = auth.normalize_code(str(enroll.get("code", "")))
        if code is None:
            raise ImportRefused("同步包中的邀请码格式不对。")
        issued = storage.get_code(code)
        if issued is not None and issued.station_id != station_id:
            raise ImportRefused(NOT_YOURS)
        token = auth.new_token()
        wanted = enroll.get("device_id")
        try:
            device, _ = storage.enroll(
                code,
                token_hash=auth.hash_token(token),
                device_name=str(enroll.get("device_name", ""))[:100],
                app_version=str(enroll.get("app_version", ""))[:40],
                device_id=wanted if auth.valid_device_id(wanted) else None,
            )
        except EnrollError as exc:
            text = {"spent": "已经用过", "expired": "已过期"}.get(exc.reason, "不正确")
            raise ImportRefused(
                f"同步包中的邀请码{text}，未导入任何内容。请向县（区）文化馆索取新的登记文件。"
            ) from exc
        keys.register(device.id, device.station_id, key)
        return device, token
    device_id = m.get("device_id")
    device = storage.get_device(device_id) if isinstance(device_id, str) else None
    if device is None or keys.key_of(device.id) != key:
        raise ImportRefused(bundle.MESSAGES["unknown_key"])
    if device.revoked:
        raise ImportRefused("导出这个同步包的电脑已被停用，未导入任何内容。")
    if m.get("station_id") != device.station_id:
        raise ImportRefused(bundle.MESSAGES["unknown_key"])
    return device, ""


def _checked_push(push: Any) -> list[dict[str, Any]]:
    """The same checks as ``/v1/sync`` on the pushed changes."""
    if not isinstance(push, list):
        raise ImportRefused(bundle.MESSAGES["not_bundle"])
    last = 0
    for change in push:
        try:
            protocol.validate_change(change)
        except protocol.ProtocolError as exc:
            raise ImportRefused(
                f"同步包中有一条修改不符合数据格式（{exc}），未导入任何内容。"
            ) from exc
        if change["seq"] <= last:
            raise ImportRefused(bundle.MESSAGES["not_bundle"])
        last = change["seq"]
    return push


def _answer(
    storage: Storage,
    keys: BundleKeys,
    device: Device,
    after: tuple[int, PushResult],
    received: list[str],
    token: str,
) -> tuple[bytes, int]:
    """The signed return bundle: the feed after the bundle's cursor, the acked mark and the
    changes set aside (as a ``/v1/sync`` answer lists them)."""
    cursor, pushed = after
    changes: list[dict[str, Any]] = []
    while len(changes) < MAX_ANSWER_CHANGES:
        page = storage.pull(device, cursor, protocol.MAX_PULL)
        for e in page.changes:
            item = {
                "c": e.seq,
                "t": e.table,
                "id": e.row_id,
                "s": e.stamp,
                "f": json.loads(e.fields_json),
            }
            if e.replaced:
                item["r"] = e.replaced
            changes.append(item)
        cursor = max(cursor, page.cursor)
        if not page.more:
            break
    manifest: dict[str, Any] = {
        "direction": "down",
        "protocol": protocol.PROTOCOL_VERSION,
        "station_id": device.station_id,
        "device_id": device.id,
        "created_ms": storage.now(),
        "changes": changes,
        "cursor": cursor,
        "acked_seq": pushed.acked_seq,
        "received_photos": received,
    }
    if pushed.set_aside:
        manifest["set_aside"] = set_aside.answer_items(pushed.set_aside)
    if token:  # enrolled by this bundle: the PC may sync over the network later
        manifest["enrolled"] = {"device_id": device.id, "token": token}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "answer.pzhbundle"
        bundle.write(path, manifest, [], keys.server_private)
        return path.read_bytes(), len(changes)


def enrollment_file(
    storage: Storage, keys: BundleKeys, code: str, station_id: str, server_url: str = ""
) -> bytes:
    """The file a county hands to a PC without network: the code, its station and the server's
    public key (to check return bundles)."""
    station = storage.get_station(station_id)
    if station is None:
        raise ImportRefused(f"没有这个文化站：{station_id}")
    data = {
        "format": ENROLL_FORMAT,
        "version": 1,
        "code": code,
        "station": {"id": station.id, "name": station.name, "county": station.county},
        "server_public_key": keys.server_public,
        "server_url": server_url,
    }
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


def install(app, authenticate, keys: BundleKeys) -> None:  # noqa: ANN001
    """``POST /v1/keys`` and ``GET /v1/keys/server``."""
    from sync.server.errors import ApiError

    app.state.bundle_keys = keys

    @app.post("/v1/keys", tags=["bundles"])
    async def register_key(request: Request) -> JSONResponse:
        device = authenticate(request)
        raw = await request.body()
        try:
            data = decode_body(
                raw[:8192], request.headers.get("content-encoding", ""), max_body=8192
            )
            body = json.loads(data)
        except (BodyError, ValueError):
            body = None
        if not isinstance(body, dict) or not bundle.valid_public_key(body.get("public_key")):
            raise ApiError(400, "bad_request", "public_key must be an Ed25519 key in hex")
        keys.register(device.id, device.station_id, body["public_key"])
        return JSONResponse({"server_public_key": keys.server_public})

    @app.get("/v1/keys/server", tags=["bundles"])
    def server_key() -> JSONResponse:
        return JSONResponse({"public_key": keys.server_public})
