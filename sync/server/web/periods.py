"""报送审核: the county's and the city's pages for submitted periods (issue 14) — each
station's months and year with their state, who has not submitted since when, one period's
submission, decision and signed figures with the actions, and the changes made after approval.

The use-cases are :mod:`sync.server.approvals` (the CLI runs the same); a county user sees and
decides only its own stations (``Web.station_for`` and ``Actor.may_decide`` both check)."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from pzh_core import approval, indicators
from sync.server import approvals
from sync.server.approvals import Actor, ApprovalError
from sync.server.storage import Page, Scope
from sync.server.web.accounts import Session, User
from sync.server.web.base import Web, WebError, action, page, render, year_choices, year_param
from sync.server.web.paging import paged

log = logging.getLogger("pzh.sync.web")
NOTICES = {
    "approve": "已审核通过，该时段的数据已锁定。",
    "return": "已退回，文化站可修改后重新报送。",
    "unlock": "已解锁，文化站可以修改该时段的数据。",
    "accept": "已确认县（区）的审核。",
    "late": "已处理这条修改。",
}
STATUS_CLASS = {
    "submitted": "st-sub",
    "approved": "st-ok",
    "accepted": "st-ok",
    "returned": "st-ret",
}


def add_routes(router: APIRouter, web: Web) -> None:
    router.add_api_route("/web/periods", page(web, periods_page), methods=["GET"])
    router.add_api_route(
        "/web/periods/{station_id}/{period}", page(web, period_page), methods=["GET"]
    )
    router.add_api_route(
        "/web/periods/{station_id}/{period}/{verb}", action(web, decide), methods=["POST"]
    )
    router.add_api_route("/web/late/{late_id}/{verb}", action(web, decide_late), methods=["POST"])


def actor(user: User) -> Actor:
    return Actor(user.name, user.role, user.county, web=True)


def _period(text: str) -> str:
    try:
        return approval.parse_period(text)
    except ValueError as exc:
        raise WebError(400, str(exc)) from exc


def _scope(web: Web, request: Request, user: User) -> Scope:
    """The county the address narrows to (a county user: always theirs; 404 outside it)."""
    from pzh_core.domain import refdata

    county = request.query_params.get("county", "")
    if user.role != "city":
        if county and county != user.county:
            raise WebError(404, "没有这个县（区），或您无权查看它。")
        return Scope(county=user.county)
    if county and (len(county) > 50 or county not in refdata.counties()):
        raise WebError(404, "没有这个县（区），或您无权查看它。")
    return Scope(county=county)


def periods_page(web: Web, request: Request, session: Session) -> Response:
    """The year's grid of the scope's stations, a page at a time, the stations that have not
    submitted, and the pending late changes; for the city above ``web.stations_on_page``
    stations one row per county instead of the stations (as on the overview)."""
    year = year_param(web, request)
    scope = _scope(web, request, session.user)
    storage = web.storage
    late = paged(request, "lp", lambda n, o: storage.late_page(scope, limit=n, offset=o))
    today = web.today()
    total = storage.stations_page(scope, limit=1, offset=0).total
    context: dict[str, Any] = {}
    if session.user.role == "city" and not scope.county and total > web.stations_on_page:
        due = approvals.months_due(year, today)
        context["counties"] = storage.period_counts(scope, year, due, approvals.LOCKING_OR_DONE)
    else:
        stations = storage.stations_page(scope, limit=total, offset=0).rows
        cells = approvals.grid(storage, stations, year)
        missing = approvals.not_submitted(stations, cells, year, today)
        context["grid"] = paged(
            request, "sp", lambda n, o: Page(stations[o : o + n], len(stations))
        )
        context["missing"] = paged(
            request, "mp", lambda n, o: Page(missing[o : o + n], len(missing))
        )
        context["cells"] = cells
    return render(
        web,
        request,
        "periods.html",
        session,
        title=f"{year}年 报送审核",
        year=year,
        years=year_choices(web),
        county=scope.county,
        months=[f"{year}-{m:02d}" for m in range(1, 13)],
        labels=approval.STATUS_LABELS,
        status_class=STATUS_CLASS,
        late=late.rows,
        late_pager=late,
        station_names={r["station_id"]: r["station_name"] for r in late.rows},
        period_label=approval.period_label,
        notice=NOTICES.get(request.query_params.get("ok", ""), ""),
        **context,
    )


def period_page(web: Web, request: Request, session: Session) -> Response:
    station = web.station_for(session.user, request.path_params["station_id"])
    period = _period(request.path_params["period"])
    row = approvals.period_row(web.storage, station.id, period)
    status = "" if row.get("deleted") else row.get("status", "")
    late = web.storage.list_late_changes([station.id])  # few: every one of the station
    who = actor(session.user)
    return render(
        web,
        request,
        "period.html",
        session,
        title=f"{station.name} {approval.period_label(period)}",
        station=station,
        period=period,
        label=approval.period_label(period),
        row=row,
        state=status,
        status_label=approval.STATUS_LABELS.get(status, status),
        figure_labels={k: indicators.INDICATORS[k].label for k in approval.SNAPSHOT_KEYS},
        can={
            verb: status in approvals.FROM[verb] and who.may_decide(station, verb)
            for verb in approvals.ACTIONS
        },
        late=late,
        notice=NOTICES.get(request.query_params.get("ok", ""), ""),
        error=request.query_params.get("error", "") == "1",
    )


def decide(web: Web, request: Request, session: Session, form: dict[str, str]) -> Response:
    station = web.station_for(session.user, request.path_params["station_id"])
    period = _period(request.path_params["period"])
    verb = request.path_params["verb"]
    if verb not in approvals.ACTIONS:
        raise WebError(404, "没有这个操作。")
    try:
        approvals.decide(
            web.storage,
            station.id,
            period,
            verb,
            actor(session.user),
            reason=form.get("reason", ""),
        )
    except ApprovalError as exc:
        raise WebError(400, str(exc)) from exc
    log.info("web: %s %s station %s period %s", session.user.name, verb, station.id, period)
    return RedirectResponse(f"/web/periods/{quote(station.id)}/{period}?ok={verb}", status_code=303)


def decide_late(web: Web, request: Request, session: Session, form: dict[str, str]) -> Response:
    verb = request.path_params["verb"]
    if verb not in ("accept", "reject"):
        raise WebError(404, "没有这个操作。")
    late_id = request.path_params["late_id"]
    row = web.storage.late_change(late_id) if 0 < len(late_id) <= 100 else None
    if row is None:
        raise WebError(404, "没有这条修改。")
    web.station_for(session.user, row["station_id"])  # 404 outside the user's county
    try:
        approvals.decide_late(
            web.storage, late_id, verb == "accept", actor(session.user), note=form.get("note", "")
        )
    except ApprovalError as exc:
        raise WebError(400, str(exc)) from exc
    log.info("web: %s %s late change %s", session.user.name, verb, late_id)
    back = form.get("back", "")
    target = back if back.startswith("/web/periods") and "//" not in back else "/web/periods"
    return RedirectResponse(f"{target}?ok=late", status_code=303)
