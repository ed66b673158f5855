"""The administration pages: stations, enrollment codes (with their printable card) and devices.
A county user creates and manages only their own county's stations."""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from sync.server import admin
from sync.server.storage import AuditEntry, Scope
from sync.server.web.accounts import Session
from sync.server.web.base import (
    NOTICES,
    Web,
    WebError,
    action,
    page,
    render,
    safe_next,
    server_address,
    table_download,
    when,
)
from sync.server.web.paging import paged

log = logging.getLogger("pzh.sync.web")
MAX_CHOICES = 2000  # a county's stations in the forms' lists (a province's county: 25–200)


def add_routes(router: APIRouter, web: Web) -> None:
    router.add_api_route("/web/admin", page(web, admin_page), methods=["GET"])
    router.add_api_route("/web/admin/audit.{fmt}", page(web, audit_export), methods=["GET"])
    router.add_api_route("/web/admin/stations", action(web, create_station), methods=["POST"])
    router.add_api_route(
        "/web/admin/stations/rename", action(web, rename_station), methods=["POST"]
    )
    router.add_api_route("/web/admin/codes", action(web, issue_code), methods=["POST"])
    router.add_api_route("/web/admin/codes/{code}", page(web, code_card), methods=["GET"])
    router.add_api_route(
        "/web/admin/devices/{device_id}/revoke", action(web, revoke), methods=["POST"]
    )


def admin_page(
    web: Web,
    request: Request,
    session: Session,
    *,
    error: str = "",
    status: int = 200,
    form: dict[str, str] | None = None,
) -> Response:
    """Forms, then the stations and the codes of the user's scope a page at a time (a city user
    narrows to a county with ``?county=``), then the latest audit entries."""
    from pzh_core.domain import refdata

    form = form or {}
    user = session.user
    county = user.county if user.role == "county" else (
        form.get("county") or request.query_params.get("county", "")
    )  # fmt: skip
    if county and (len(county) > 50 or county not in refdata.counties()):
        raise WebError(404, "没有这个县（区），或您无权查看它。")
    scope = Scope(county=county)
    storage = web.storage
    stations = paged(request, "sp", lambda n, o: storage.stations_page(scope, limit=n, offset=o))
    codes = paged(request, "cp", lambda n, o: storage.codes_page(scope, limit=n, offset=o))
    # The forms' station lists: the scope's stations, unless a province's whole list (then a
    # county is chosen first, as on the overview).
    choices = []
    if county or stations.total <= web.stations_on_page:
        choices = storage.stations_page(scope, limit=MAX_CHOICES, offset=0).rows
    named = {s.id: s.name for s in choices} | {s.id: s.name for s in stations.rows}
    missing = sorted({c.station_id for c in codes.rows} - set(named))
    for sid in missing:
        st = storage.get_station(sid)
        named[sid] = st.name if st else sid
    audit = _audit(web, session, [s.id for s in web.stations_for(user)], limit=50)
    return render(
        web,
        request,
        "admin.html",
        session,
        status=status,
        title="管理",
        county=county,
        all_counties=refdata.counties(),
        stations=stations,
        choices=choices,
        station_names=named,
        codes=codes,
        counties=refdata.counties() if user.role == "city" else [user.county],
        now=storage.now(),
        error=error,
        notice=NOTICES.get(request.query_params.get("ok", "")),
        form=form,
        audit=[_audit_row(a) for a in audit],
    )


def _audit(web: Web, session: Session, ids: list[str], *, limit: int | None) -> list[AuditEntry]:
    """A county sees the entries about its own stations; the city every entry (accounts too)."""
    scope = None if session.user.role == "city" else ids
    return web.storage.list_audit(station_ids=scope, limit=limit)


def audit_export(web: Web, request: Request, session: Session) -> Response:
    """The whole audit log the user may see, newest first, as .xlsx or .csv."""
    from pzh_core.domain import refdata

    stations = {s.id: s for s in web.stations_for(session.user)}
    entries = _audit(web, session, list(stations), limit=None)
    rows = []
    for a in entries:
        st = stations.get(a.station_id)
        where = [st.county, st.name] if st else ["", ""]
        row = [when(a.ms), a.actor.removeprefix("web:"), a.label, *where, a.detail, a.target]
        rows.append(row)
    city = session.user.role == "city"
    scope = "全市" if city else session.user.county
    code = "city" if city else refdata.code_for("counties", session.user.county) or "county"
    made = when(web.storage.now())
    return table_download(
        request.path_params["fmt"],
        f"管理记录-{scope}",
        f"pzh-audit-{code}",
        ["时间", "操作人", "操作", "县（区）", "文化站", "内容", "对象"],
        rows,
        sheet="管理记录",
        preamble=[f"{scope}管理记录：共{len(rows)}条，新的在前；导出于 {made}。"],
    )


def _audit_row(a: AuditEntry) -> dict:
    return {
        "ms": a.ms,
        "actor": a.actor.removeprefix("web:"),
        "action_label": a.label,
        "detail": a.detail,
    }


def actor(session: Session) -> str:
    """How the audit log names a web user."""
    return f"web:{session.user.name}"


def create_station(web: Web, request: Request, session: Session, form: dict[str, str]) -> Response:
    from sync.server.web.accounts import county_label

    county = county_label(form.get("county", "")) or ""
    if not county or not session.user.sees_county(county):
        raise WebError(403, "您只能在本县（区）创建文化站。")
    try:
        st = admin.create_station(web.storage, form.get("name", ""), county, actor=actor(session))
    except admin.AdminError as exc:
        return admin_page(web, request, session, error=str(exc), status=400, form=form)
    log.info("web: %s created station %s (%s)", session.user.name, st.id, st.name)
    return RedirectResponse(f"/web/station/{quote(st.id)}?ok=station", status_code=303)


def issue_code(web: Web, request: Request, session: Session, form: dict[str, str]) -> Response:
    station = web.station_for(session.user, form.get("station_id", ""))
    text = form.get("expires_days", "7").strip() or "7"
    if not text.isdigit() or len(text) > 4:
        raise WebError(400, f"有效天数须在1到{admin.MAX_EXPIRES_DAYS}之间。")
    try:
        code = admin.issue_code(
            web.storage, station.id, expires_days=int(text), actor=actor(session)
        )
    except admin.AdminError as exc:
        raise WebError(400, str(exc)) from exc
    log.info("web: %s issued a code for station %s", session.user.name, station.id)
    return RedirectResponse(f"/web/admin/codes/{quote(code.code)}", status_code=303)


def code_card(web: Web, request: Request, session: Session) -> Response:
    code, station = web.code_for(session.user, request.path_params["code"])
    return render(
        web,
        request,
        "card.html",
        session,
        title="邀请码",
        code=code,
        station=station,
        server=server_address(request),
        now=web.storage.now(),
    )


def revoke(web: Web, request: Request, session: Session, form: dict[str, str]) -> Response:
    dev, station = web.device_for(session.user, request.path_params["device_id"])
    admin.revoke_device(web.storage, dev.id, actor=actor(session))
    log.info("web: %s revoked device %s of station %s", session.user.name, dev.id, station.id)
    back = form.get("back", "")
    target = back if back in ("/web/health", f"/web/station/{station.id}") else "/web/health"
    if back.startswith("/web/health?") and safe_next(back) == back:  # the list as it was
        target = back
    sep = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{sep}ok=revoked", status_code=303)


def rename_station(web: Web, request: Request, session: Session, form: dict[str, str]) -> Response:
    station = web.station_for(session.user, form.get("station_id", ""))
    try:
        admin.rename_station(
            web.storage,
            station.id,
            form.get("new_name", ""),
            actor=actor(session),
            reason=form.get("reason", ""),
        )
    except admin.AdminError as exc:
        return admin_page(web, request, session, error=str(exc), status=400, form=form)
    log.info("web: %s renamed station %s", session.user.name, station.id)
    return RedirectResponse("/web/admin?ok=renamed", status_code=303)
