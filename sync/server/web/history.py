"""修改历史 on the web station page (issue 14): a station's latest changes and one record's
history — who (operator and device), when, which field from what to what. Read-only; the
replay is pzh_core.history, the same as the desk's 历史 view."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from pzh_core import history, schema
from pzh_core.domain.rules import TABLE_LABELS
from sync.server.web.accounts import Session
from sync.server.web.base import Web, WebError, page, render


def add_routes(router: APIRouter, web: Web) -> None:
    router.add_api_route(
        "/web/station/{station_id}/history", page(web, history_page), methods=["GET"]
    )


def _who(step: history.Step, names: dict[str, str]) -> str:
    if step.device == history.SERVER:
        return step.who
    device = names.get(step.device) or f"设备 {step.device[:8]}"
    return f"{step.operator}（{device}）" if step.operator else device


def history_page(web: Web, request: Request, session: Session) -> Response:
    station = web.station_for(session.user, request.path_params["station_id"])
    table = request.query_params.get("table", "")
    row_id = request.query_params.get("row", "")
    names = {
        d.id: f"{d.name} #{d.id[:6]}" if d.name else f"设备 #{d.id[:6]}"
        for d in web.storage.list_devices(station_id=station.id)
    }
    steps = []
    if table or row_id:
        if table not in schema.TABLES or not 1 <= len(row_id) <= 64:
            raise WebError(404, "没有这条记录。")
        found = history.steps(web.storage.record_history(station.id, table, row_id))
        steps = [
            {
                "when": s.when,
                "who": _who(s, names),
                "refused": s.refused,
                "changes": [
                    (history.label(k), history.show(a, k), history.show(b, k))
                    for k, a, b in s.changes
                ],
            }
            for s in reversed(found)
        ]
    recent = []
    if not steps:
        for r in web.storage.recent_changes(station.id):
            step = history.Step(
                history.when(r["stamp"]), r["stamp"].split(".", 2)[2], r["operator"]
            )
            recent.append(
                {
                    **r,
                    "when": step.when,
                    "who": _who(step, names),
                    "what": "；".join(
                        f"{history.label(k)} {history.show(v, k)}" for k, v in r["fields"].items()
                    ),
                }
            )
    return render(
        web,
        request,
        "history.html",
        session,
        title=f"{station.name} 修改历史",
        station=station,
        table=table,
        table_label=TABLE_LABELS.get(table, table),
        row_id=row_id,
        steps=steps,
        recent=recent,
        labels=TABLE_LABELS,
    )
