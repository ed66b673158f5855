"""The API's sync endpoint (``/v1/sync``): push and pull in one request, run on a few threads
(one writer, the GIL: more would only add switching)."""

from __future__ import annotations

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from sync.server import exchange, models
from sync.server.api_common import authenticate, post, read_body, throttled
from sync.server.errors import ApiError
from sync.server.storage import BatchRejected, Device, Storage

router = APIRouter()


def run_exchange(store: Storage, device: Device, req: exchange.SyncRequest) -> bytes:
    try:
        return exchange.run(store, device, req)
    except BatchRejected as exc:
        store.record_error(device.id, f"{exc.code}: {exc.detail}")
        extra = {"index": exc.index} if exc.index is not None else {}
        raise ApiError(exc.status, exc.code, exc.detail, extra={**extra, **exc.extra}) from exc


@post(router, "/v1/sync", models.SyncRequest, models.SyncResponse)
async def sync(request: Request) -> Response:
    store, state = request.app.state.storage, request.app.state
    device = await run_in_threadpool(authenticate, request)
    throttled(state.sync_limiter.retry_after(device.id), "throttled")
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
        store,
        device,
        req,
        limiter=state.exchange_slots,
    )
    return Response(result, media_type="application/json")
