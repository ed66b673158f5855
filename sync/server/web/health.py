"""同步状态 (sync health) at a province's size (issue 16): a city user first sees each county's
counts (stations and devices needing attention), then the stations, the devices and the
set-aside changes needing attention first, a page at a time; ``?county=`` narrows to a county
(a county user always sees only theirs), ``?station=`` to one station. Everything is counted,
ordered and paged in SQL (:mod:`sync.server.sql_health`): no list is loaded to be filtered
here."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from pzh_core.china_tz import china_day
from pzh_core.domain import rules
from sync.server.storage import Scope, Station
from sync.server.web import figures
from sync.server.web.accounts import Session, User
from sync.server.web.base import NOTICES, Web, WebError, render
from sync.server.web.paging import paged

TOTAL_KEYS = (
    "stations",
    "silent_stations",
    "attention_stations",
    "devices",
    "attention_devices",
    "silent_devices",
    "errors",
    "clocks_off",
    "differing",
    "changes_today",
)


def scope_of(web: Web, request: Request, user: User) -> tuple[Scope, Station | None]:
    """What the address narrows to, within what the user may see (404 outside it)."""
    station_id = request.query_params.get("station", "")
    if station_id:
        station = web.station_for(user, station_id)
        return Scope(county=station.county, station_id=station.id), station
    county = request.query_params.get("county", "")
    if user.role == "county":
        if county and county != user.county:
            raise WebError(404, "没有这个县（区），或您无权查看它。")
        return Scope(county=user.county), None
    if county and (len(county) > 50 or not web.storage.stations_page(
        Scope(county=county), limit=1, offset=0
    ).total):  # fmt: skip
        raise WebError(404, "没有这个县（区）的文化站，或您无权查看它。")
    return Scope(county=county), None


def _station_row(r: dict[str, Any], now: int) -> dict[str, Any]:
    return {
        "station": Station(r["id"], r["name"], r["county"], r["created_ms"]),
        "devices": r["devices"],
        "last_sync_ms": r["last_sync_ms"],
        "silent": bool(r["silent"]),
        "flag": figures.sync_flag(r["last_sync_ms"], now),
        "changes_today": r["changes_today"],
        "problems": r["problems"],
    }


def _labels(web: Web, station_ids: set[str]) -> dict[str, str]:
    """The names telling apart the devices of these stations (``figures.device_labels``)."""
    return figures.device_labels(web.storage.devices_of(sorted(station_ids)))


def _device_rows(web: Web, rows: list[dict[str, Any]], now: int) -> list[dict[str, Any]]:
    labels = _labels(web, {r["device"].station_id for r in rows})
    today = china_day(now)
    out = []
    for r in rows:
        dev = r["device"]
        row = asdict(dev)
        live = not dev.revoked
        row.update(
            station_name=r["station_name"],
            county=r["county"],
            revoked=dev.revoked,
            changes_today=dev.changes_today if dev.changes_day == today else 0,
            silent=live and figures.silent(dev.last_sync_ms, now),
            clock_off=live and figures.clock_far_off(dev.skew_ms),
            label=labels.get(dev.id, dev.name),
        )
        out.append(row)
    return out


def health_page(web: Web, request: Request, session: Session) -> Response:
    scope, station = scope_of(web, request, session.user)
    storage = web.storage
    now = storage.now()
    counties = storage.health_by_county(scope)
    totals = {k: sum(c[k] for c in counties) for k in TOTAL_KEYS}
    stations = paged(request, "sp", lambda n, o: storage.health_stations(scope, limit=n, offset=o))
    stations.rows = [_station_row(r, now) for r in stations.rows]
    devices = paged(request, "dp", lambda n, o: storage.health_devices(scope, limit=n, offset=o))
    devices.rows = _device_rows(web, devices.rows, now)
    aside = paged(request, "ap", lambda n, o: storage.set_aside_page(scope, limit=n, offset=o))
    names = _labels(web, {a["station_id"] for a in aside.rows})
    for a in aside.rows:
        a["device_name"] = names.get(a["device_id"]) or a["device_id"]
    return render(
        web,
        request,
        "health.html",
        session,
        title="同步状态",
        scope=scope,
        station=station,
        by_county=session.user.role == "city" and not scope.county,
        counties=counties,
        totals=totals,
        stations=stations,
        devices=devices,
        set_aside=aside,
        table_labels=rules.TABLE_LABELS,
        silent_days=figures.SILENT_DAYS,
        back=devices.link(devices.number).replace("?", "/web/health?", 1).rstrip("?"),
        notice=NOTICES.get(request.query_params.get("ok", "")),
    )
