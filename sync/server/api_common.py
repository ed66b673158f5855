"""What every endpoint of the sync API does first: read the request body (size limits, time
limit, JSON, protocol version), authenticate the device, refuse when it asks too often."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import anyio
from fastapi import APIRouter, Request
from pydantic import BaseModel

from pzh_core import protocol
from sync.server import auth, models
from sync.server.errors import ApiError
from sync.server.limits import BodyError, decode_body
from sync.server.storage import REKEYED, Device


async def read_body(request: Request) -> dict[str, Any]:
    """The JSON object of a request, within the size limits, with the protocol checked."""
    settings = request.app.state.settings
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > settings.max_compressed:
        raise ApiError(413, "too_large", "request body too large")
    raw = bytearray()
    try:
        # A body dribbled in slower than any real 2G link would send it holds a connection
        # for nothing: 512 KiB at 64 kbit/s takes about 65 s.
        with anyio.fail_after(settings.body_timeout_s):
            async for chunk in request.stream():
                raw += chunk
                if len(raw) > settings.max_compressed:
                    raise ApiError(413, "too_large", "request body too large")
    except TimeoutError as exc:
        raise ApiError(408, "timeout", "request body not received in time") from exc
    try:
        data = decode_body(
            bytes(raw), request.headers.get("content-encoding", ""), max_body=settings.max_body
        )
    except BodyError as exc:
        raise ApiError(
            exc.status, "too_large" if exc.status == 413 else "bad_request", exc.detail
        ) from exc
    try:
        body = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise ApiError(400, "bad_request", "body is not JSON") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", "body must be a JSON object")
    version = body.get("protocol")
    # The integer only: JSON's true and 1.0 equal 1 in Python, but no client of ours sends them.
    if type(version) is not int or version != protocol.PROTOCOL_VERSION:
        if type(version) is int:
            code = "upgrade_required" if version < protocol.PROTOCOL_VERSION else "server_too_old"
            raise ApiError(
                426,
                code,
                f"protocol {version} not served; this server speaks {protocol.PROTOCOL_VERSION}",
                extra={"protocol": protocol.PROTOCOL_VERSION},
            )
        raise ApiError(400, "bad_request", "protocol missing or not an integer")
    return body


def authenticate(request: Request, *, rekeyed_ok: bool = False) -> Device:
    """The device of the request's bearer token. :raises ApiError: none, or not allowed."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > 200:
        raise ApiError(401, "unauthorized", headers={"WWW-Authenticate": "Bearer"})
    device = request.app.state.storage.device_by_token(auth.hash_token(token))
    if device is None:
        raise ApiError(401, "unauthorized", headers={"WWW-Authenticate": "Bearer"})
    if device.revoked and not (rekeyed_ok and device.revoke_reason == REKEYED):
        if device.revoke_reason == REKEYED:  # another copy of its file re-keyed it
            raise ApiError(409, "rekey_required", extra={"applied_seq": device.applied_seq})
        raise ApiError(403, "device_revoked")
    return device


def throttled(wait: float, code: str) -> None:
    if wait > 0:
        raise ApiError(429, code, headers={"Retry-After": str(max(1, int(wait + 0.999)))})


def post(
    router: APIRouter, path: str, request: type[BaseModel], response: type[BaseModel]
) -> Callable[[Any], Any]:
    """A POST endpoint of the protocol: its request and response models in the OpenAPI
    document, every error answer listed (the body is read by :func:`read_body`, not FastAPI)."""
    return router.post(
        path,
        tags=["sync"],
        response_model=response,
        responses=models.ERROR_RESPONSES,
        openapi_extra=models.request_body(request),
    )
