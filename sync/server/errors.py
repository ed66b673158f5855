"""The server's API errors: the Chinese message of each error code, the exception that carries
one, and the handlers that answer every failure (bad input, unknown path, a bug) with a 4xx/5xx
``{"error", "message"}`` body, never a bare 500 page."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

log = logging.getLogger("pzh.sync.server")

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


def _json(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def _error_body(err: ApiError) -> dict[str, Any]:
    out: dict[str, Any] = {"error": err.code, "message": err.message}
    if err.detail:
        out["detail"] = err.detail
    out.update(err.extra)
    return out


def install_handlers(app: FastAPI) -> None:
    """Every error of the app answers with ``{"error", "message"}``."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, err: ApiError) -> Response:
        return _json(_error_body(err), err.status, err.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "bad_request")
        # exc.headers carries 405's Allow (which methods the address takes).
        return _json({"error": code, "message": MESSAGES[code]}, exc.status_code, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        return _json({"error": "bad_request", "message": MESSAGES["bad_request"]}, 400)

    @app.exception_handler(ClientDisconnect)
    async def _gone(request: Request, exc: ClientDisconnect) -> Response:
        # The client went away mid-request (a PC lost its network): nothing is wrong here.
        log.info("client disconnected during %s %s", request.method, request.url.path)
        return Response(status_code=400)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s", request.url.path)
        return _json({"error": "server_error", "message": MESSAGES["server_error"]}, 500)
