"""Web accounts managed on the pages by the city's administrators (city accounts): create,
reset a password, change what an account sees (the city or one county), disable and enable.
County accounts get 403. Every change is in the audit log; the account's sessions end when its
password, scope or state changes (:class:`~.accounts.AccountStore`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from sync.server.web.accounts import MIN_PASSWORD, AccountError, AccountStore, Session, User
from sync.server.web.admin_pages import actor
from sync.server.web.base import NOTICES, Action, Web, WebError, action, page, render

log = logging.getLogger("pzh.sync.web")


def add_routes(router: APIRouter, web: Web) -> None:
    router.add_api_route("/web/admin/users", page(web, users_page), methods=["GET"])
    router.add_api_route("/web/admin/users", action(web, create_user), methods=["POST"])
    for verb in ACCOUNT_ACTIONS:
        router.add_api_route(
            f"/web/admin/users/{{user_id}}/{verb}",
            action(web, account_action(verb)),
            methods=["POST"],
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


@dataclass(frozen=True)
class AccountAction:
    """One thing done to an existing account from its row's buttons (``POST
    /web/admin/users/{id}/{verb}``): the audit action, the change, the audit detail
    (``{name}``, ``{scope}``) and, when an administrator may not do it to themselves, why."""

    what: str
    change: Callable[[AccountStore, User, dict[str, str]], User]
    detail: str = "{name}"
    not_self: str = ""


ACCOUNT_ACTIONS = {
    "password": AccountAction(
        "user.password", lambda a, u, f: a.set_password(u.id, f.get("password", ""))
    ),
    "scope": AccountAction(
        "user.scope",
        lambda a, u, f: a.set_scope(u.id, *_role_county(f.get("scope", ""))),
        "{name} → {scope}",
        not_self="不能修改自己的范围，请让另一位市文化馆管理员修改。",
    ),
    "disable": AccountAction(
        "user.disable", lambda a, u, f: a.set_disabled(u.id, True), not_self="不能停用自己的账号。"
    ),
    "enable": AccountAction("user.enable", lambda a, u, f: a.set_disabled(u.id, False)),
}


def account_action(verb: str) -> Action:
    """The form handler of one of :data:`ACCOUNT_ACTIONS`."""
    spec = ACCOUNT_ACTIONS[verb]

    def run(web: Web, request: Request, session: Session, form: dict[str, str]) -> Response:
        user = _target(web, request, session)
        if spec.not_self and user.id == session.user.id:
            return users_page(web, request, session, error=spec.not_self, status=400)
        try:
            changed = spec.change(web.accounts, user, form)
        except AccountError as exc:
            return users_page(web, request, session, error=str(exc), status=400)
        detail = spec.detail.format(name=changed.name, scope=changed.county or "全市")
        return _done(web, session, spec.what, changed.name, detail)

    run.__name__ = f"account_{verb}"
    return run
