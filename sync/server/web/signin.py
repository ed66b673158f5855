"""Sign-in and sign-out. The sign-in form's CSRF token is a cookie and a form field ("double
submit"), since there is no session yet; failed attempts are throttled by name and address."""

from __future__ import annotations

import hmac
import logging
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sync.server.web.base import (
    COOKIE,
    LOGIN_COOKIE,
    Web,
    check_csrf,
    public,
    read_form,
    render,
    safe_next,
    same_origin,
    secure,
    session_of,
)
from sync.server.web.throttle import Throttled

log = logging.getLogger("pzh.sync.web")


def add_routes(router: APIRouter, web: Web) -> None:
    router.add_api_route("/web/login", public(web, login_page), methods=["GET"])
    router.add_api_route("/web/login", public(web, login), methods=["POST"])
    router.add_api_route("/web/logout", public(web, logout), methods=["POST"])


async def login_page(web: Web, request: Request) -> Response:
    nxt = safe_next(request.query_params.get("next"))
    expired = request.query_params.get("expired") == "1"
    if await run_in_threadpool(session_of, web, request):
        return RedirectResponse(_after(nxt, expired), status_code=303)
    return _login_form(web, request, nxt, expired=expired)


def _after(nxt: str, expired: bool) -> str:
    """Where to go after signing in: the page asked for, told when a form was lost."""
    if not expired:
        return nxt
    return nxt + ("&" if "?" in nxt else "?") + "expired=1"


def _login_form(
    web: Web,
    request: Request,
    nxt: str,
    *,
    error: str = "",
    status: int = 200,
    name: str = "",
    expired: bool = False,
) -> Response:
    # One token per browser for as long as it runs (a cookie without Max-Age): a sign-in page
    # left open for hours, or opened in two tabs, still carries the cookie's token.
    token = request.cookies.get(LOGIN_COOKIE, "")
    if not (20 <= len(token) <= 64 and token.replace("-", "").replace("_", "").isalnum()):
        token = secrets.token_urlsafe(24)
    resp = render(
        web,
        request,
        "login.html",
        None,
        status=status,
        login_csrf=token,
        next=nxt,
        error=error,
        name=name,
        expired=expired,
        title="登录",
    )
    resp.set_cookie(
        LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=secure(request), path="/web/"
    )
    return resp


async def login(web: Web, request: Request) -> Response:
    form = await read_form(request)
    nxt = safe_next(form.get("next"))
    expired = form.get("expired") == "1"
    name = form.get("name", "").strip()[:100]
    token, cookie = form.get("csrf", ""), request.cookies.get(LOGIN_COOKIE) or ""
    matches = bool(token and cookie) and hmac.compare_digest(token.encode(), cookie.encode())
    if not matches and not same_origin(request):
        # The browser lost the form's cookie and cannot say where the form came from: ask
        # again (the name kept), never a bare error page.
        error = "登录页已过期，请再输入一次密码并点“登录”。"
        return _login_form(web, request, nxt, status=403, name=name, error=error, expired=expired)
    address = request.client.host if request.client else "?"
    try:
        user = await run_in_threadpool(
            web.accounts.authenticate, name, form.get("password", ""), address
        )
    except Throttled as exc:
        minutes = max(1, (exc.wait_s + 59) // 60)
        error = f"登录失败次数过多，请{minutes}分钟后再试。"
        return _login_form(web, request, nxt, status=429, name=name, error=error, expired=expired)
    if user is None:
        error = "用户名或密码不正确。"
        return _login_form(web, request, nxt, status=401, name=name, error=error, expired=expired)
    token = await run_in_threadpool(web.accounts.start_session, user)
    log.info("web sign-in: %s (%s %s)", user.name, user.role, user.county)
    resp = RedirectResponse(_after(nxt, expired), status_code=303)
    resp.set_cookie(COOKIE, token, httponly=True, samesite="lax", secure=secure(request), path="/")
    return resp


async def logout(web: Web, request: Request) -> Response:
    session = await run_in_threadpool(session_of, web, request)
    if session is not None:
        form = await read_form(request)
        check_csrf(form, session.csrf)
        await run_in_threadpool(web.accounts.end_session, request.cookies.get(COOKIE))
    resp = RedirectResponse("/web/login", status_code=303)
    resp.delete_cookie(COOKIE, path="/")
    return resp
