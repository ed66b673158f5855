"""Sign-in and sign-out. The sign-in form's CSRF token is a cookie and a form field ("double
submit"), since there is no session yet; failed attempts are throttled by name and address."""

from __future__ import annotations

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
    secure,
    session_of,
)

log = logging.getLogger("pzh.sync.web")


def add_routes(router: APIRouter, web: Web) -> None:
    router.add_api_route("/web/login", public(web, login_page), methods=["GET"])
    router.add_api_route("/web/login", public(web, login), methods=["POST"])
    router.add_api_route("/web/logout", public(web, logout), methods=["POST"])


async def login_page(web: Web, request: Request) -> Response:
    nxt = safe_next(request.query_params.get("next"))
    if await run_in_threadpool(session_of, web, request):
        return RedirectResponse(nxt, status_code=303)
    return _login_form(web, request, nxt)


def _login_form(
    web: Web, request: Request, nxt: str, *, error: str = "", status: int = 200, name: str = ""
) -> Response:
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
        title="登录",
    )
    resp.set_cookie(
        LOGIN_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=secure(request),
        path="/web/",
    )
    return resp


async def login(web: Web, request: Request) -> Response:
    form = await read_form(request)
    check_csrf(form, request.cookies.get(LOGIN_COOKIE))
    nxt = safe_next(form.get("next"))
    name = form.get("name", "").strip()[:100]
    address = request.client.host if request.client else "?"
    wait = web.accounts.throttled(name, address)
    if wait:
        minutes = max(1, (wait + 59) // 60)
        error = f"登录失败次数过多，请{minutes}分钟后再试。"
        return _login_form(web, request, nxt, status=429, name=name, error=error)
    user = await run_in_threadpool(
        web.accounts.authenticate, name, form.get("password", ""), address
    )
    if user is None:
        error = "用户名或密码不正确。"
        return _login_form(web, request, nxt, status=401, name=name, error=error)
    token = await run_in_threadpool(web.accounts.start_session, user)
    log.info("web sign-in: %s (%s %s)", user.name, user.role, user.county)
    resp = RedirectResponse(nxt, status_code=303)
    resp.set_cookie(COOKIE, token, httponly=True, samesite="lax", secure=secure(request), path="/")
    resp.delete_cookie(LOGIN_COOKIE, path="/web/")
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
