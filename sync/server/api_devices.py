"""The API's device endpoints: health, server time, enrolment with an invitation code and
re-keying a forked file (``/v1/health``, ``/v1/time``, ``/v1/enroll``, ``/v1/rekey``)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from pzh_core import protocol
from pzh_core.text import has_control
from sync.server import auth, models
from sync.server.api_common import authenticate, post, read_body, throttled
from sync.server.errors import ApiError, _json
from sync.server.storage import Device, EnrollError, RekeyRefused, Station, Storage

log = logging.getLogger("pzh.sync.server")
router = APIRouter()


@router.get("/v1/health", response_model=models.Health, tags=["sync"])
def health(request: Request) -> Response:
    settings = request.app.state.settings
    return _json(
        {
            "status": "ok",
            "protocol": protocol.PROTOCOL_VERSION,
            "min_desk_version": settings.min_desk_version,
        }
    )


@router.get("/v1/time", response_model=models.Time, tags=["sync"])
def server_time(request: Request) -> Response:
    return _json({"server_time_ms": request.app.state.storage.now()})


@post(router, "/v1/enroll", models.EnrollRequest, models.EnrollResponse)
async def enroll(request: Request) -> Response:
    store, settings = request.app.state.storage, request.app.state.settings
    address = request.client.host if request.client else "-"
    wait = await run_in_threadpool(
        store.take_token, f"enroll:{address}", settings.enroll_rate, settings.enroll_burst
    )
    throttled(wait, "enroll_throttled")
    body = await read_body(request)
    code = auth.normalize_code(body.get("code", ""))
    if code is None:
        raise ApiError(400, "code_unknown", "malformed code")
    name, version = body.get("device_name", ""), body.get("app_version", "")
    if not (
        isinstance(name, str)
        and len(name) <= 100
        and protocol.utf8_ok(name)
        and not has_control(name, line=True)
        and isinstance(version, str)
        and len(version) <= 40
        and protocol.utf8_ok(version)
        and not has_control(version, line=True)
    ):
        raise ApiError(400, "bad_request", "device_name or app_version invalid")
    wanted = body.get("device_id")
    if wanted is not None and not auth.valid_device_id(wanted):
        raise ApiError(400, "bad_request", "device_id invalid")
    request_id = body.get("request_id")
    if request_id is not None and not auth.valid_request_id(request_id):
        raise ApiError(400, "bad_request", "request_id invalid")
    token = auth.new_token()
    try:
        device, station = await run_in_threadpool(
            store.enroll,
            code,
            token_hash=auth.hash_token(token),
            device_name=name,
            app_version=version,
            device_id=wanted,
            request_id=request_id,
        )
    except EnrollError as exc:
        status = 404 if exc.reason in ("unknown", "station") else 410
        key = {"spent": "code_spent", "expired": "code_expired"}.get(exc.reason, "code_unknown")
        raise ApiError(status, key, exc.reason) from exc
    log.info("device %s enrolled into station %s", device.id, station.id)
    return _json(_identity(store, device, station, token))


def _identity(
    store: Storage, device: Device, station: Station, token: str, **extra: Any
) -> dict[str, Any]:
    return {
        "protocol": protocol.PROTOCOL_VERSION,
        "device_id": device.id,
        "token": token,
        "station": {"id": station.id, "name": station.name, "county": station.county},
        "server_time_ms": store.now(),
        **extra,
    }


@post(router, "/v1/rekey", models.RekeyRequest, models.RekeyResponse)
async def rekey(request: Request) -> Response:
    """A new device id for a file whose history forked (docs/sync-protocol.md)."""
    store = request.app.state.storage
    old = await run_in_threadpool(authenticate, request, rekeyed_ok=True)
    throttled(request.app.state.sync_limiter.retry_after(old.id), "throttled")
    body = await read_body(request)
    request_id = body.get("request_id")
    name, version = body.get("device_name"), body.get("app_version")
    if not auth.valid_request_id(request_id) or not all(
        v is None
        or (
            isinstance(v, str)
            and len(v) <= 100
            and protocol.utf8_ok(v)
            and not has_control(v, line=True)
        )
        for v in (name, version)
    ):
        raise ApiError(400, "bad_request", "request_id, device_name or app_version invalid")
    token = auth.new_token()
    try:
        device, station = await run_in_threadpool(
            store.rekey,
            old,
            token_hash=auth.hash_token(token),
            request_id=str(request_id),
            device_name=name,
            app_version=version,
        )
    except RekeyRefused as exc:
        raise ApiError(403, "device_revoked", exc.reason) from exc
    log.warning("device %s re-keyed as %s (its history forked)", old.id, device.id)
    return _json(_identity(store, device, station, token, replaces=old.id))
