"""The figures pages: the overview of a year, a station's year, sync health, and the overview's
export (xlsx or csv)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sync.server.web import figures, health, province
from sync.server.web.accounts import Session
from sync.server.web.base import (
    NOTICES,
    Web,
    WebError,
    page,
    render,
    table_download,
    year_choices,
    year_param,
)


def add_routes(router: APIRouter, web: Web) -> None:
    router.add_api_route("/web/", page(web, overview_page), methods=["GET"])
    router.add_api_route("/web/station/{station_id}", page(web, station_page), methods=["GET"])
    router.add_api_route("/web/health", page(web, health.health_page), methods=["GET"])
    router.add_api_route("/web/export/overview.{fmt}", page(web, export), methods=["GET"])


def _overview(web: Web, request: Request, session: Session, year: int) -> figures.Overview:
    """The overview the viewer asked for: their stations one by one, or by county above
    ``web.stations_on_page`` stations (a city user), or one county's stations
    (``?county=``, a city user's drill-down)."""
    county = request.query_params.get("county", "")
    stations = web.stations_for(session.user)
    if county:
        stations = [s for s in stations if s.county == county]
        if not stations:
            raise WebError(404, "没有这个县（区）的文化站，或您无权查看它。")
    citywide = session.user.role == "city" and not county
    if citywide and len(stations) > web.stations_on_page:
        return province.county_overview(web.db(), year, today=web.today())
    ov = figures.overview(
        web.db(),
        stations,
        year,
        today=web.today(),
        last_sync=web.last_syncs(stations),
        citywide=citywide,
    )
    ov.county = county
    return ov


def _overview_chart(ov: figures.Overview) -> dict[str, Any]:
    return {
        "counties": [c.name for c in ov.counties],
        "activities": [c.values["activities"] for c in ov.counties],
        "activities_target": [round(c.values["activities_target"], 1) for c in ov.counties],
        **figures.per_resident_chart(ov),
        "per_resident_target": round(
            figures.indicators.plan_targets()["visits_per_resident_per_year"]
            * ov.period.share_of_year_gone,
            3,
        ),
    }


def overview_page(web: Web, request: Request, session: Session) -> Response:
    year = year_param(web, request)
    ov = _overview(web, request, session, year)
    now = web.storage.now()
    return render(
        web,
        request,
        "overview.html",
        session,
        title=f"{year}年 概览",
        ov=ov,
        year=year,
        years=year_choices(web),
        chart=_overview_chart(ov),
        attention=figures.attention(ov, now),
        silent_days=figures.SILENT_DAYS,
        now=now,
    )


def station_page(web: Web, request: Request, session: Session) -> Response:
    from pzh_core.domain import refdata

    station = web.station_for(session.user, request.path_params["station_id"])
    year = year_param(web, request)
    data = figures.station_year(web.db(), station, year, today=web.today())
    devices = web.storage.list_devices(station_id=station.id)
    chart = {
        "months": [f"{m['month']}月" for m in data["months"]],
        "activities": [m["activities"] for m in data["months"]],
        "person_visits": [m["person_visits"] for m in data["months"]],
    }
    return render(
        web,
        request,
        "station.html",
        session,
        title=station.name,
        station=station,
        year=year,
        years=year_choices(web),
        data=data,
        chart=chart,
        keys=figures.OVERVIEW_KEYS,
        monthly_keys=figures.MONTHLY_KEYS,
        label=figures.label,
        devices=devices,
        device_names=figures.device_labels(devices),
        last_sync_ms=figures.last_sync_by_station(devices).get(station.id),
        codes=web.storage.list_codes(station_id=station.id)[:20],
        now=web.storage.now(),
        kinds=refdata.labels("activity_kinds"),
        modes=refdata.labels("delivery_modes"),
        notice=NOTICES.get(request.query_params.get("ok", "")),
    )


def export(web: Web, request: Request, session: Session) -> Response:
    year = year_param(web, request)
    ov = _overview(web, request, session, year)
    scope = ov.county or ("全市" if session.user.role == "city" else session.user.county)
    return table_download(
        request.path_params["fmt"],
        f"文化站概览-{scope}-{year}年",
        f"pzh-overview-{_county_code(session, ov.county)}-{year}",
        figures.table_headers(),
        figures.table_rows(ov),
        sheet=f"{year}年概览",
        preamble=[figures.export_note(ov, scope, web.storage.now())],
    )


def _county_code(session: Session, county: str = "") -> str:
    from pzh_core.domain import refdata

    if session.user.role == "city" and not county:
        return "city"
    return refdata.code_for("counties", county or session.user.county) or "county"
