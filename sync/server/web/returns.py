"""The county's summary of its stations' annual returns (县级汇总), and the city's per county.

A county user sees one column per station of the county plus the county total; a city user
sees one column per county plus the city total, and any county's stations with ``?county=``.
Each column says its return status (complete / missing or unconfirmed facts / not synced since
…). The figures are :func:`pzh_core.annual_return.compute` over the replica — the desk's own
computation — under the city's definition file; the page and the .xlsx share one layout with
the station's return sheet (:mod:`pzh_core.return_sheet`).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from pzh_core import annual_return, return_sheet
from pzh_core.china_tz import china_day
from pzh_core.definitions import Definitions
from pzh_core.period import Period
from pzh_core.text import pinyin_key
from sync.server import definitions as city_definitions
from sync.server.storage import Device, Station
from sync.server.web import figures
from sync.server.web.accounts import Session
from sync.server.web.base import (
    Web,
    WebError,
    action,
    download,
    page,
    render,
    year_choices,
    year_param,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def add_routes(router: APIRouter, web: Web) -> None:
    router.add_api_route("/web/returns", page(web, returns_page), methods=["GET"])
    router.add_api_route("/web/returns/form-number", action(web, set_form_number), methods=["POST"])
    router.add_api_route("/web/export/returns.xlsx", page(web, returns_export), methods=["GET"])


@dataclass
class Summary:
    year: int
    scope: str  # the county, or 全市
    columns: list[str]
    values: list[dict[str, Any]]
    status: list[str]
    definitions: Definitions
    counties: list[str]  # for a city user: the counties to open
    station_count: int
    form_number: str = ""  # the county's 表号 (a county summary)


def station_status(facts: dict[str, Any] | None, last_sync_ms: int | None, now_ms: int) -> str:
    """One station's return status as the county reads it."""
    state = annual_return.status(facts)
    if last_sync_ms is None:
        return "从未同步"
    if figures.silent(last_sync_ms, now_ms):
        day = china_day(last_sync_ms)
        return f"{day}以来未同步；{state}"
    return state


def summarise(
    conn: Any,
    stations: list[Station],
    year: int,
    *,
    today: dt.date,
    devices: list[Device],
    now_ms: int,
    definitions: Definitions,
    by_county: bool,
    scope: str,
) -> Summary:
    """The summary of ``stations``: a column per station (or per county) and the total."""
    period = Period(year, None, today)
    fig = annual_return.compute(conn, [s.id for s in stations], period, definitions=definitions)
    synced = figures.last_sync_by_station(devices)
    ordered = sorted(stations, key=lambda s: (pinyin_key(s.county), pinyin_key(s.name)))
    status = {s.id: station_status(fig.facts.get(s.id), synced.get(s.id), now_ms) for s in ordered}
    counties = sorted({s.county for s in ordered}, key=pinyin_key)
    if by_county:
        columns, values, states = [], [], []
        for county in counties:
            members = [s for s in ordered if s.county == county]
            columns.append(county)
            values.append(annual_return.add_up([fig.stations[s.id] for s in members]))
            done = sum(1 for s in members if status[s.id] == "完整")
            states.append(f"完整 {done}/{len(members)} 站")
    else:
        columns = [s.name for s in ordered]
        values = [fig.stations[s.id] for s in ordered]
        states = [status[s.id] for s in ordered]
    done = sum(1 for s in ordered if status[s.id] == "完整")
    columns.append(f"{scope}合计")
    values.append(fig.total)
    states.append(f"完整 {done}/{len(ordered)} 站")
    return Summary(year, scope, columns, values, states, definitions, counties, len(ordered))


def _summary(web: Web, request: Request, session: Session) -> Summary:
    year = year_param(web, request)
    user = session.user
    county = request.query_params.get("county", "")
    stations = web.stations_for(user)
    if county:
        if not user.sees_county(county) or len(county) > 50:
            raise WebError(404, "没有这个县（区），或您无权查看它。")
        stations = [s for s in stations if s.county == county]
    by_county = user.role == "city" and not county
    scope = "全市" if by_county else (county or user.county)
    summary = summarise(
        web.db(),
        stations,
        year,
        today=web.today(),
        devices=web.storage.devices_of([s.id for s in stations]),
        now_ms=web.storage.now(),
        definitions=city_definitions.current(web.data_dir),
        by_county=by_county,
        scope=scope,
    )
    if not by_county:
        summary.form_number = city_definitions.form_number(web.storage, scope)
    return summary


def set_form_number(web: Web, request: Request, session: Session, form: dict[str, str]):
    """A county (or the city for a county) sets the 表号 its stations print on the return."""
    from urllib.parse import quote

    from fastapi.responses import RedirectResponse

    county = form.get("county", "")
    if not county or len(county) > 50 or not session.user.sees_county(county):
        raise WebError(404, "没有这个县（区），或您无权管理它。")
    try:
        city_definitions.set_form_number(web.storage, county, form.get("form_number", ""))
    except ValueError as exc:
        raise WebError(400, str(exc)) from exc
    year = form.get("year", "")
    back = f"/web/returns?county={quote(county)}" + (f"&year={year}" if year.isdigit() else "")
    return RedirectResponse(back, status_code=303)


def sheet(summary: Summary) -> return_sheet.Sheet:
    return return_sheet.Sheet(
        title=f"{summary.scope} {summary.year}年文化站年报汇总",
        unit_block=[
            ("汇总范围", summary.scope),
            ("统计年度", f"{summary.year}年"),
            ("表号", summary.form_number),
            ("文化站数", f"{summary.station_count}个"),
        ],
        columns=summary.columns,
        values=summary.values,
        notes=return_sheet.notes(summary.definitions),
        status=summary.status,
        signature=False,
    )


def returns_page(web: Web, request: Request, session: Session) -> Response:
    summary = _summary(web, request, session)
    rows = []
    for text, item in return_sheet.item_rows():
        cells = [return_sheet.shown(item, v.get(item.key)) for v in summary.values] if item else []
        rows.append({"text": text, "item": item, "cells": cells})
    return render(
        web,
        request,
        "returns.html",
        session,
        title=f"{summary.year}年 年报汇总",
        summary=summary,
        rows=rows,
        year=summary.year,
        years=year_choices(web),
        county=request.query_params.get("county", ""),
    )


def returns_export(web: Web, request: Request, session: Session) -> Response:
    summary = _summary(web, request, session)
    with tempfile.TemporaryDirectory() as tmp:
        data = return_sheet.write_xlsx(Path(tmp) / "returns.xlsx", sheet(summary)).read_bytes()
    return download(data, f"文化站年报汇总-{summary.scope}-{summary.year}年.xlsx", XLSX)
