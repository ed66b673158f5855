"""The city sync server: a FastAPI app (``create_app``) serving the protocol of
``pzh_core.protocol``.

Endpoints under ``/v1``: ``enroll``, ``sync`` (push and pull in one request), ``health``,
``time``; the OpenAPI document at ``/openapi.json`` (and ``/docs``). Bad input always gets a 4xx
``{"error", "message"}`` with a Chinese message and changes nothing; see docs/sync-protocol.md.

The web pages (issue 8) add their routers to the app this returns and reach the storage
through ``app.state.storage``.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware

from pzh_core import hlc, protocol
from sync.server import auth, exchange, models
from sync.server.limits import BodyError, RateLimiter, decode_body
from sync.server.sql_storage import DEFAULT_CLAMP_MS, open_storage
from sync.server.storage import (
    REKEYED,
    BatchRejected,
    Device,
    EnrollError,
    RekeyRefused,
    Station,
    Storage,
)

log = logging.getLogger("pzh.sync.server")
DB_NAME = "server.sqlite3"
DATABASE_ENV = "PZH_SYNC_DATABASE"  # a postgresql:// URL (default: the SQLite file)
READ_DATABASE_ENV = "PZH_SYNC_READ_DATABASE"  # a read replica for the web pages' figures

MESSAGES = {
    "upgrade_required": "本机的文化站工作台版本过旧，无法与城市服务器同步。请升级到最新版本后"
    "再同步；已录入的数据都保留在本机，不会丢失。",
    "server_too_old": "城市服务器的版本比本机软件旧，暂时无法同步。请联系市文化馆升级服务器；"
    "已录入的数据都保留在本机。",
    "unauthorized": "本机尚未登记，或登记凭证无效。请向市文化馆索取邀请码，重新登记本机。",
    "device_revoked": "本机已被管理员停用，无法同步。如需继续使用，请向市文化馆索取新的邀请码"
    "重新登记。",
    "too_large": "一次发送的数据过大，服务器拒收。请升级软件；如仍出现，请联系市文化馆。",
    "bad_request": "请求格式不正确，服务器未做任何改动。请升级软件；如仍出现，请联系市文化馆。",
    "bad_change": "有一条更改不符合数据格式，本批次未保存。请升级软件；如仍出现，请联系市文化馆。",
    "foreign_row": "本批次中有记录属于其他文化站，本机不能修改，本批次未保存。请联系市文化馆。",
    "rekey_required": "本机的数据文件与上次同步时的不是同一份（从备份恢复过，或复制了数据文件"
    "夹），本批次未保存。本机将以新的设备身份重新同步，取回服务器上的全部数据，不会丢失已录入"
    "的内容。",
    "throttled": "同步请求过于频繁，请稍后再试。",
    "timeout": "网络太慢，数据未能及时送达服务器，本次未做任何改动。请稍后重试。",
    "enroll_throttled": "邀请码尝试次数过多，请稍后再试。",
    "code_unknown": "邀请码不正确，请核对后重新输入。",
    "code_spent": "该邀请码已经用过。请向市文化馆索取新的邀请码。",
    "code_expired": "该邀请码已过期。请向市文化馆索取新的邀请码。",
    "not_found": "没有这个地址。请检查服务器地址是否正确。",
    "method_not_allowed": "不支持此请求方式。",
    "server_error": "城市服务器内部出错，请稍后再试；如持续出现，请联系市文化馆。",
}


@dataclass
class ServerSettings:
    """Limits of one server (defaults are the production values).

    :param clamp_ms: stamps further than this ahead of server time are rewritten.
    :param sync_rate: sync requests per second a device may keep up (token refill rate).
    :param sync_burst: sync requests a device may make at once.
    :param enroll_rate: enrollment attempts per second from one client address.
    :param enroll_burst: enrollment attempts at once from one address.
    """

    clamp_ms: int = DEFAULT_CLAMP_MS
    sync_rate: float = 2.0
    sync_burst: int = 60
    enroll_rate: float = 0.1
    enroll_burst: int = 10
    exchange_threads: int = 6
    body_timeout_s: float = 180.0
    max_body: int = protocol.MAX_BODY_BYTES
    max_compressed: int = protocol.MAX_COMPRESSED_BYTES
    # The oldest desk version whose changes are accepted ("" = any); older desks' changes are
    # set aside with code desk_too_old (PZH_SYNC_MIN_DESK_VERSION=1.4).
    min_desk_version: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ServerSettings:
        """Defaults, overridden by ``PZH_SYNC_<FIELD>`` variables (e.g.
        ``PZH_SYNC_SYNC_BURST=120``).

        :raises ValueError: a variable that is not a number.
        """
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = environ.get(f"PZH_SYNC_{f.name.upper()}")
            if raw is not None:
                kind = type(getattr(cls(), f.name))
                try:
                    values[f.name] = kind(raw)
                except ValueError as exc:
                    raise ValueError(f"PZH_SYNC_{f.name.upper()}: not a number: {raw!r}") from exc
        return cls(**values)


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        detail: str = "",
        *,
        message: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or code)
        self.status = status
        self.code = code
        self.detail = detail
        self.message = message or MESSAGES.get(code, MESSAGES["bad_request"])
        self.headers = headers
        self.extra = extra or {}


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def _error_body(err: ApiError) -> dict[str, Any]:
    out: dict[str, Any] = {"error": err.code, "message": err.message}
    if err.detail:
        out["detail"] = err.detail
    out.update(err.extra)
    return out


def database_of(data_dir: str | Path, database: str | None = None) -> str | Path:
    """The database a server over ``data_dir`` uses: ``database``, else ``$PZH_SYNC_DATABASE``,
    else the SQLite file in ``data_dir``."""
    return database or os.environ.get(DATABASE_ENV) or Path(data_dir) / DB_NAME


def create_app(
    data_dir: str | Path,
    *,
    settings: ServerSettings | None = None,
    storage: Storage | None = None,
    now: Callable[[], int] = hlc.wall_ms,
    database: str | None = None,
    read_database: str | None = None,
) -> FastAPI:
    """The server app over ``data_dir``.

    :param settings: limits; production defaults when None.
    :param storage: a storage to use instead of opening one (it is then not closed here).
    :param now: the server's wall clock in ms (tests replace it).
    :param database: a ``postgresql://`` URL; default ``$PZH_SYNC_DATABASE``, else the SQLite
        file ``server.sqlite3`` in ``data_dir``.
    :param read_database: a read replica of it for the web pages' figures only; default
        ``$PZH_SYNC_READ_DATABASE``, else none (the figures read the primary).
    """
    settings = settings or ServerSettings()
    own_storage = storage is None
    if storage is None:
        storage = open_storage(
            database_of(data_dir, database),
            now=now,
            clamp_ms=settings.clamp_ms,
            min_desk_version=settings.min_desk_version,
            read_database=read_database or os.environ.get(READ_DATABASE_ENV) or None,
        )
    store: Storage = storage
    # Per process: a flood guard for one device (with N processes a device may make N times as
    # many requests). Enrollment attempts are counted in the database, across processes.
    sync_limiter = RateLimiter(settings.sync_rate, settings.sync_burst)
    # Few exchanges at once: they share one writer and the GIL; more threads only add switching.
    exchange_slots = anyio.CapacityLimiter(settings.exchange_threads)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        app.state.photos.close()
        app.state.bundle_keys.close()
        if own_storage:
            store.close()

    app = FastAPI(
        title="pzh-station city sync server",
        version=str(protocol.PROTOCOL_VERSION),
        description="Sync protocol of 文化站工作台 (see docs/sync-protocol.md).",
        lifespan=lifespan,
    )
    app.state.storage = store
    from pzh_core.definitions import DefinitionError
    from sync.server import definitions

    try:  # the city's 口径 file to every station (issue 13)
        definitions.publish(store, data_dir)
    except DefinitionError as exc:
        log.error("the city's definition file cannot be used (%s); stations keep theirs", exc)
    app.state.settings = settings
    app.state.data_dir = Path(data_dir)
    app.add_middleware(GZipMiddleware, minimum_size=400, compresslevel=6)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, err: ApiError) -> Response:
        return _json(_error_body(err), err.status, err.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "bad_request")
        return _json({"error": code, "message": MESSAGES[code]}, exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        return _json({"error": "bad_request", "message": MESSAGES["bad_request"]}, 400)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s", request.url.path)
        return _json({"error": "server_error", "message": MESSAGES["server_error"]}, 500)

    async def read_body(request: Request) -> dict[str, Any]:
        """The JSON object of a request, within the size limits, with the protocol checked."""
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
        if version != protocol.PROTOCOL_VERSION:
            if isinstance(version, int) and not isinstance(version, bool):
                code = (
                    "upgrade_required" if version < protocol.PROTOCOL_VERSION else "server_too_old"
                )
                raise ApiError(
                    426,
                    code,
                    f"protocol {version} not served; this server speaks"
                    f" {protocol.PROTOCOL_VERSION}",
                    extra={"protocol": protocol.PROTOCOL_VERSION},
                )
            raise ApiError(400, "bad_request", "protocol missing")
        return body

    def authenticate(request: Request, *, rekeyed_ok: bool = False) -> Device:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or len(token) > 200:
            raise ApiError(401, "unauthorized", headers={"WWW-Authenticate": "Bearer"})
        device = store.device_by_token(auth.hash_token(token))
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

    # -- endpoints -----------------------------------------------------------------------
    @app.get("/v1/health", response_model=models.Health, tags=["sync"])
    def health() -> Response:
        return _json(
            {
                "status": "ok",
                "protocol": protocol.PROTOCOL_VERSION,
                "min_desk_version": settings.min_desk_version,
            }
        )

    @app.get("/v1/time", response_model=models.Time, tags=["sync"])
    def server_time() -> Response:
        return _json({"server_time_ms": store.now()})

    @app.post(
        "/v1/enroll",
        tags=["sync"],
        response_model=models.EnrollResponse,
        responses=models.ERROR_RESPONSES,
        openapi_extra=models.request_body(models.EnrollRequest),
    )
    async def enroll(request: Request) -> Response:
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
            and isinstance(version, str)
            and len(version) <= 40
            and protocol.utf8_ok(version)
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
        return _json(_identity(device, station, token))

    def _identity(device: Device, station: Station, token: str, **extra: Any) -> dict[str, Any]:
        return {
            "protocol": protocol.PROTOCOL_VERSION,
            "device_id": device.id,
            "token": token,
            "station": {"id": station.id, "name": station.name, "county": station.county},
            "server_time_ms": store.now(),
            **extra,
        }

    @app.post(
        "/v1/rekey",
        tags=["sync"],
        response_model=models.RekeyResponse,
        responses=models.ERROR_RESPONSES,
        openapi_extra=models.request_body(models.RekeyRequest),
    )
    async def rekey(request: Request) -> Response:
        """A new device id for a file whose history forked (docs/sync-protocol.md)."""
        old = await run_in_threadpool(authenticate, request, rekeyed_ok=True)
        throttled(sync_limiter.retry_after(old.id), "throttled")
        body = await read_body(request)
        request_id = body.get("request_id")
        name, version = body.get("device_name"), body.get("app_version")
        if not auth.valid_request_id(request_id) or not all(
            v is None or (isinstance(v, str) and len(v) <= 100 and protocol.utf8_ok(v))
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
        return _json(_identity(device, station, token, replaces=old.id))

    def run_exchange(device: Device, req: exchange.SyncRequest) -> bytes:
        try:
            return exchange.run(store, device, req)
        except BatchRejected as exc:
            store.record_error(device.id, f"{exc.code}: {exc.detail}")
            extra = {"index": exc.index} if exc.index is not None else {}
            raise ApiError(exc.status, exc.code, exc.detail, extra={**extra, **exc.extra}) from exc

    @app.post(
        "/v1/sync",
        tags=["sync"],
        response_model=models.SyncResponse,
        responses=models.ERROR_RESPONSES,
        openapi_extra=models.request_body(models.SyncRequest),
    )
    async def sync(request: Request) -> Response:
        device = await run_in_threadpool(authenticate, request)
        throttled(sync_limiter.retry_after(device.id), "throttled")
        try:
            body = await read_body(request)
            try:
                req = exchange.parse(body)
            except exchange.BadRequest as exc:
                extra = {"index": exc.index} if exc.index is not None else {}
                raise ApiError(exc.status, exc.code, exc.detail, extra=extra) from exc
        except ApiError as err:
            await run_in_threadpool(store.record_error, device.id, f"{err.code}: {err.detail}")
            raise
        result = await anyio.to_thread.run_sync(
            run_exchange,
            device,
            req,
            limiter=exchange_slots,
        )
        return Response(result, media_type="application/json")

    from sync.server import web  # the city web pages (issue 8): sync/server/web/

    web.install(app)
    from sync.server import photo_api  # photos as evidence (issue 15): chunked, resumable

    photo_api.install(app, authenticate, photo_api.open_store(store, Path(data_dir), store.now))
    from sync.server import bundles  # USB bundles: device keys (issue 15)
    from sync.server.bundle_keys import BundleKeys

    bundles.install(app, authenticate, BundleKeys(store.engine, data_dir, now_ms=store.now))
    return app
