"""The county's and the city's decisions on a station's period (issue 14), shared by the web
pages and ``pzh-sync-server admin approve|return|unlock|accept|periods``.

Every decision is a server write (docs/architecture.md, decision 2) of the ``periods`` row, made
in one transaction with the check of the row as it is (:meth:`Storage.server_update`), so two
people deciding at once cannot approve a withdrawn submission. An approval keeps the figures as
they stand (``approved_figures``), computed by the core's indicators, so a later change of a
definition never changes what was signed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pzh_core import approval, indicators
from pzh_core.china_tz import china_time
from pzh_core.period import Period
from pzh_core.schema import det_id
from sync.server.storage import Station, Storage

MAX_REASON = 500
ACTIONS = ("approve", "return", "unlock", "accept")
ACTION_LABELS = {"approve": "审核通过", "return": "退回", "unlock": "解锁", "accept": "市级确认"}
# From which states an action may be taken.
FROM = {
    "approve": ("submitted",),
    "return": ("submitted",),
    "unlock": ("approved", "accepted"),
    "accept": ("approved",),
}
TO = {"approve": "approved", "return": "returned", "unlock": "unlocked", "accept": "accepted"}


class ApprovalError(ValueError):
    """A decision that cannot be taken; the message is Chinese."""


@dataclass(frozen=True)
class Actor:
    """Who decides: a web account or ``--by NAME`` on the command line (role city by default)."""

    name: str
    role: str = "city"  # city | county
    county: str = ""
    web: bool = False  # a web account (else the command line)

    @property
    def audit_name(self) -> str:
        """How the audit log names it: ``web:<account>`` or ``admin`` (the command line)."""
        return f"web:{self.name}" if self.web else "admin"

    def may_decide(self, station: Station, action: str) -> bool:
        """The city decides anything; a county all but the city's accept, for its stations."""
        if self.role == "city":
            return True
        return action != "accept" and self.role == "county" and station.county == self.county


def set_deadline(storage: Storage, county: str, days: int, actor: str = "admin") -> int:
    """A county's edit deadline (days after a period's end; 0 = none), written as a county
    setting into each of its stations (decision 3). Returns how many stations."""
    if not 0 <= days <= 3650:
        raise ApprovalError("修改期限须在0到3650天之间（0表示不限）。")
    stations = [s.id for s in storage.list_stations() if s.county == county]
    if not stations:
        raise ApprovalError(f"{county}没有文化站。")
    key = "edit_deadline_days"
    for sid in stations:
        storage.server_write(
            sid,
            "city_settings",
            det_id("city_setting", key, county, sid),
            {"key": key, "scope": county, "value": {"v": days}, "deleted": False},
        )
    storage.audit(
        actor, "deadline.set", county, f"{county}：期末后{days}天（{len(stations)}个文化站）"
    )
    return len(stations)


def period_id(station_id: str, period: str) -> str:
    return det_id("period", station_id, period)


def snapshot(storage: Storage, station_id: str, period: str) -> dict[str, Any]:
    """The figures of a station's period as they stand (the core's indicators)."""
    db = storage.primary_db()
    if db is None:
        return {}
    end = approval.period_end(period)
    month = end.month if approval.is_month(period) else None
    values = indicators.compute(
        db, [station_id], Period(end.year, month, end), approval.SNAPSHOT_KEYS
    )
    return {k: (round(v, 2) if isinstance(v, float) else v) for k, v in values.items()}


def decide(
    storage: Storage,
    station_id: str,
    period_text: str,
    action: str,
    actor: Actor,
    *,
    reason: str = "",
) -> dict[str, Any]:
    """Approve, return, unlock or accept a station's period; returns the fields written.

    :raises ApprovalError: unknown station or period, no right, the period not in a state the
        action applies to, a return or unlock without a reason.
    """
    station, period, reason = _checked(storage, station_id, period_text, action, actor, reason)
    figures = snapshot(storage, station_id, period) if action == "approve" else None
    make = _decision(station, period, action, actor, reason, figures, china_time(storage.now()))
    detail = f"{station.name} {approval.period_label(period)}" + (f"：{reason}" if reason else "")
    if not actor.web:
        detail += f"（{actor.name}）"
    return storage.server_update(
        station_id,
        approval.TABLE,
        period_id(station_id, period),
        make,
        operator=actor.name,
        audit=(actor.audit_name, f"period.{action}", period_id(station_id, period), detail),
    )


def _checked(
    storage: Storage, station_id: str, period_text: str, action: str, actor: Actor, reason: str
) -> tuple[Station, str, str]:
    """The station, the period and the cleaned reason of a decision, once checked.

    :raises ApprovalError:"""
    if action not in ACTIONS:
        raise ApprovalError(f"未知的操作：{action}")
    station = storage.get_station(station_id)
    if station is None:
        raise ApprovalError("没有这个文化站。")
    if not actor.may_decide(station, action):
        if action == "accept":
            raise ApprovalError("只有市文化馆可以确认县（区）的审核。")
        raise ApprovalError("您只能审核本县（区）文化站的数据。")
    try:
        period = approval.parse_period(period_text)
    except ValueError as exc:
        raise ApprovalError(str(exc)) from exc
    reason = " ".join((reason or "").split())
    if action in ("return", "unlock") and not reason:
        raise ApprovalError(f"{ACTION_LABELS[action]}须填写原因。")
    if len(reason) > MAX_REASON:
        raise ApprovalError(f"原因最多{MAX_REASON}字。")
    return station, period, reason


def _decision(
    station: Station,
    period: str,
    action: str,
    actor: Actor,
    reason: str,
    figures: Any,
    now: str,
) -> Callable[[dict[str, Any] | None], dict[str, Any]]:
    """The fields a decision writes over the period's current row (checked against its state,
    inside the write's transaction)."""

    def make(row: dict[str, Any] | None) -> dict[str, Any]:
        status = (row or {}).get("status", "") if not (row or {}).get("deleted") else ""
        if status not in FROM[action]:
            label = approval.STATUS_LABELS.get(status, status)
            raise ApprovalError(
                f"{station.name}{approval.period_label(period)}当前为“{label}”，"
                f"不能{ACTION_LABELS[action]}。"
            )
        if action == "unlock" and status == "accepted" and actor.role != "city":
            raise ApprovalError("市文化馆已确认该时段，须由市文化馆解锁。")
        if action == "accept":
            return {"status": "accepted", "accepted_by": actor.name, "accepted_at": now}
        fields: dict[str, Any] = {
            "period": period,
            "status": TO[action],
            "decided_by": actor.name,
            "decided_at": now,
            "reason": reason,
        }
        if figures is not None:
            fields["approved_figures"] = figures
        return fields

    return make


def decide_late(
    storage: Storage, late_id: str, accept: bool, actor: Actor, *, note: str = ""
) -> dict[str, Any]:
    """Accept (the change is applied by the server) or reject a change pushed to a locked
    period. :raises ApprovalError:"""
    rows = [r for r in storage.list_late_changes() if r["id"] == late_id]
    if not rows:
        raise ApprovalError("没有这条修改。")
    late = rows[0]
    station = storage.get_station(late["station_id"])
    if station is None or not actor.may_decide(station, "approve"):
        raise ApprovalError("您只能处理本县（区）文化站的修改。")
    note = " ".join((note or "").split())[:MAX_REASON]
    now = china_time(storage.now())

    def make(row: dict[str, Any] | None) -> dict[str, Any]:
        if row is None or row.get("decision") != "pending":
            raise ApprovalError("这条修改已经处理过了。")
        return {
            "decision": "accepted" if accept else "rejected",
            "decided_by": actor.name,
            "decided_at": now,
            "note": note,
        }

    what = "，".join(f"{k} → {v}" for k, v in late["fields"].items())
    detail = f"{station.name} {late['tbl']} {late['row_id'][:8]}：{what}" + (
        f"（{note}）" if note else ""
    )
    action = "late.accept" if accept else "late.reject"
    fields = storage.server_update(
        station.id,
        "late_changes",
        late_id,
        make,
        operator=actor.name,
        audit=(actor.audit_name, action, late_id, detail),
    )
    if accept:
        storage.server_write(
            station.id, late["tbl"], late["row_id"], dict(late["fields"]), operator=actor.name
        )
    return fields


# -- the county's and the city's lists -----------------------------------------------------------
def grid(storage: Storage, stations: list[Station], year: int) -> dict[str, dict[str, str]]:
    """station id → period (``YYYY-MM`` and ``YYYY``) → its status, for one year."""
    out: dict[str, dict[str, str]] = {s.id: {} for s in stations}
    for sid, period, status in storage.period_states([s.id for s in stations], year):
        if sid in out:
            out[sid][period] = status
    return out


def period_row(storage: Storage, station_id: str, period: str) -> dict[str, Any]:
    """One period's row ({} when never submitted)."""
    for r in storage.list_periods([station_id]):
        if r["period"] == period:
            return r
    return {}


def months_due(year: int, today: dt.date) -> list[str]:
    """The months of ``year`` that have ended by ``today``."""
    return [
        f"{year}-{m:02d}" for m in range(1, 13) if approval.period_end(f"{year}-{m:02d}") < today
    ]


def not_submitted(
    stations: list[Station],
    cells: dict[str, dict[str, str]],
    year: int,
    today: dt.date,
) -> list[dict[str, Any]]:
    """The stations with ended months not submitted: ``{"station", "since", "months"}``, the
    longest waiting first. A month counts as submitted from 已报送 on (returned counts as not)."""
    due = months_due(year, today)
    out = []
    for st in stations:
        missing = [p for p in due if cells.get(st.id, {}).get(p, "") not in LOCKING_OR_DONE]
        if missing:
            out.append({"station": st, "since": missing[0], "months": len(missing)})
    return sorted(out, key=lambda r: (r["since"], r["station"].name))


LOCKING_OR_DONE = ("submitted", "approved", "accepted")
