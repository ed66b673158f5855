"""Web accounts managed on the pages by the city's administrators (city accounts): create,
reset a password, change what an account sees (the city or one county), disable and enable.
County accounts get 403. Every change is in the audit log; the account's sessions end when its
password, scope or state changes (:class:`~.accounts.AccountStore`)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from sync.server.web.accounts import MIN_PASSWORD, AccountError, Session, User
from sync.server.web.admin_pages import actor
from sync.server.web.base import NOTICES, Web, WebError, action, page, render

log = logging.getLogger("pzh.sync.web")


def add_routes(router: APIRouter, web: Web) -> None:
    router.add_api_route("/web/admin/users", page(web, users_page), methods=["GET"])
    router.add_api_route("/web/admin/users", action(web, create_user), methods=["POST"])
    for verb, fn in (
        ("password", reset_password),
        ("scope", change_scope),
        ("disable", disable),
        ("enable", enable),
    ):
        router.add_api_route(
            f"/web/admin/users/{{user_id}}/{verb}", action(web, fn), methods=["POST"]
        )


def _city_only(session: Session) -> None:
    if session.user.role != "city":
        raise WebError(403, "只有市文化馆的账号可以管理网页账号。")


def _scopes() -> list[tuple[str, str]]:
    from pzh_core.domain import refdata

    return [("city", "全市（市文化馆）")] + [(c, f"{c}（县区文化馆）") for c in refdata.counties()]


def _role_county(scope: str) -> tuple[str, str]:
    return ("city", "") if scope == "city" else ("county", scope)


def users_page(
    web: Web,
    request: Request,
    session: Session,
    *,
    error: str = "",
    status: int = 200,
    form: dict[str, str] | None = None,
) -> Response:
    _city_only(session)
    form = {k: v for k, v in (form or {}).items() if k != "password"}  # never echoed
    return render(
        web,
        request,
        "users.html",
        session,
        status=status,
        title="网页账号",
        users=web.accounts.list_users(include_disabled=True),
        scopes=_scopes(),
        min_password=MIN_PASSWORD,
        error=error,
        notice=NOTICES.get(request.query_params.get("ok", "")),
        form=form,
    )


def _done(web: Web, session: Session, what: str, target: str, detail: str) -> Response:
    web.storage.audit(actor(session), what, target, detail)
    log.info("web: %s %s %s", session.user.name, what, detail)
    return RedirectResponse("/web/admin/users?ok=user", status_code=303)


def create_user(web: Web, request: Request, session: Session, form: dict[str, str]) -> Response:
    _city_only(session)
    role, county = _role_county(form.get("scope", ""))
    try:
        user = web.accounts.create_user(
            form.get("name", ""), role, form.get("password", ""), county=county
        )
    except AccountError as exc:
        return users_page(web, request, session, error=str(exc), status=400, form=form)
    return _done(web, session, "user.create", user.name, f"{user.name}（{user.county or '全市'}）")


def _target(web: Web, request: Request, session: Session) -> User:
    _city_only(session)
    text = request.path_params["user_id"]
    user = web.accounts.get_user(int(text)) if text.isdigit() and len(text) < 12 else None
    if user is None:
        raise WebError(404, "没有这个账号。")
    return user


def _change(web, request, session, what: str, fn, detail: str, *, not_self: str = "") -> Response:
    user = _target(web, request, session)
    if not_self and user.id == session.user.id:
        return users_page(web, request, session, error=not_self, status=400)
    try:
        changed = fn(user)
    except AccountError as exc:
        return users_page(web, request, session, error=str(exc), status=400)
    scope = changed.county or "全市"
    return _done(web, session, what, changed.name, detail.format(name=changed.name, scope=scope))


def reset_password(web: Web, request: Request, session: Session, form: dict[str, str]) -> Response:
    return _change(
        web,
        request,
        session,
        "user.password",
        lambda u: web.accounts.set_password(u.id, form.get("password", "")),
        "{name}",
    )


def change_scope(web: Web, request: Request, session: Session, form: dict[str, str]) -> Response:
    role, county = _role_county(form.get("scope", ""))
    return _change(
        web,
        request,
        session,
        "user.scope",
        lambda u: web.accounts.set_scope(u.id, role, county),
        "{name} → {scope}",
        not_self="不能修改自己的范围，请让另一位市文化馆管理员修改。",
    )


def disable(web: Web, request: Request, session: Session, form: dict[str, str]) -> Response:
    return _change(
        web,
        request,
        session,
        "user.disable",
        lambda u: web.accounts.set_disabled(u.id, True),
        "{name}",
        not_self="不能停用自己的账号。",
    )


def enable(web: Web, request: Request, session: Session, form: dict[str, str]) -> Response:
    return _change(
        web,
        request,
        session,
        "user.enable",
        lambda u: web.accounts.set_disabled(u.id, False),
        "{name}",
    )
