"""Submitting a month or a year (报送) and its state on this PC (issue 14; the rules are
pzh_core.approval, the SQL pzh_station/store/periods.py).

Submission is a synced ``periods`` row written offline like any other record; the county's
decisions arrive in it from the city server. ``Store.write`` refuses any change to a record in a
submitted, approved or past-deadline period with the reason at the field.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from pzh_core import approval
from pzh_core import indicators as ind
from pzh_core.china_tz import CHINA
from pzh_core.domain.errors import ValidationError
from pzh_core.i18n import tr
from pzh_core.period import Period
from pzh_core.schema import det_id
from pzh_station.services.context import Services
from pzh_station.services.reports import ReportService
from pzh_station.store import periods as q

C = "Periods"
INCOMPLETE_LABELS = {
    "activities_without_attendance": "条活动未填参与人次",
    "sessions_not_marked": "个已上课次未签到",
    "records_unverified": "条志愿服务记录待审核",
    "facts_unconfirmed": "年度基本情况未确认",
}


@dataclass
class PeriodState:
    period: str
    status: str  # "" when never submitted
    row: dict[str, Any] = field(default_factory=dict)
    lock: approval.Lock | None = None

    @property
    def label(self) -> str:
        return approval.period_label(self.period)

    @property
    def status_label(self) -> str:
        return approval.STATUS_LABELS.get(self.status, self.status)


def incomplete_lines(items: dict[str, int]) -> list[str]:
    """The incomplete items as Chinese lines (only those with a count)."""
    out = []
    for key, n in items.items():
        if n and key == "facts_unconfirmed":
            out.append(tr(C, INCOMPLETE_LABELS[key]))
        elif n:
            out.append(f"{n} {tr(C, INCOMPLETE_LABELS[key])}")
    return out


class PeriodService:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.store = services.store

    def _period(self, text: str) -> str:
        try:
            return approval.parse_period(text)
        except ValueError as exc:
            raise ValidationError({"period": str(exc)}) from exc

    def incomplete(self, period_text: str) -> dict[str, int]:
        """What is incomplete in the period (counts; 0 = complete)."""
        period = self._period(period_text)
        start, end = approval.period_bounds(period)
        items = q.incomplete(self.store, start, end, self.services.today().isoformat())
        if not approval.is_month(period):
            items["facts_unconfirmed"] = 0 if q.facts_confirmed(self.store, int(period)) else 1
        return items

    def figures(self, period: str) -> dict[str, Any]:
        end = approval.period_end(period)
        month = end.month if approval.is_month(period) else None
        report = ReportService(self.services)
        values = ind.compute(
            report.db, report.stations(), Period(end.year, month, end), approval.SNAPSHOT_KEYS
        )
        return {k: (round(v, 2) if isinstance(v, float) else v) for k, v in values.items()}

    def row_id(self, period: str) -> str:
        return det_id("period", self.store.station_id or "", period)

    def state(self, period_text: str) -> PeriodState:
        period = self._period(period_text)
        row = self.store.get(approval.TABLE, self.row_id(period)) or {}
        status = "" if row.get("deleted") else str(row.get("status") or "")
        states = q.states(self.store)
        lock = approval.lock_for(
            approval.covering(period),
            states,
            today=self.services.today(),
            deadline_days=q.store_deadline_days(self.store),
        )
        return PeriodState(period, status, row, lock)

    def submit(self, period_text: str) -> PeriodState:
        """Submit the period with the operator and time and the figures as they stand."""
        period = self._period(period_text)
        if not self.services.operator:
            raise ValidationError({"operator": tr(C, "请先在窗口上方选择当前录入人，再报送。")})
        end = approval.period_end(period)
        if end >= self.services.today() and approval.is_month(period):
            raise ValidationError(
                {"period": tr(C, "{}尚未结束，不能报送。").format(approval.period_label(period))}
            )
        if not approval.is_month(period) and not q.facts_confirmed(self.store, int(period)):
            # The year's submission is the annual return: not with unconfirmed facts (issue 13).
            raise ValidationError(
                {
                    "period": tr(
                        C, "{}年的年度基本情况尚未确认，不能报送全年；请先在“年度基本情况”中确认。"
                    ).format(period)
                }
            )
        current = self.state(period)
        if current.status in ("submitted", "approved", "accepted"):
            raise ValidationError(
                {
                    "period": tr(C, "{}{}，无需再次报送。").format(
                        current.label, current.status_label
                    )
                }
            )
        now = dt.datetime.fromtimestamp(self.store.check_clock() / 1000, tz=CHINA)
        self.store.write(
            approval.TABLE,
            self.row_id(period),
            {
                "period": period,
                "status": "submitted",
                "submitted_by": self.services.operator,
                "submitted_at": now.strftime("%Y-%m-%d %H:%M"),
                "figures": self.figures(period),
                "incomplete": self.incomplete(period),
                "deleted": False,
            },
        )
        return self.state(period)

    def withdraw(self, period_text: str) -> PeriodState:
        """Withdraw a submission the county has not decided on yet."""
        period = self._period(period_text)
        current = self.state(period)
        if current.status != "submitted":
            raise ValidationError(
                {
                    "period": tr(C, "{}当前为“{}”，不能撤回。").format(
                        current.label, current.status_label
                    )
                }
            )
        self.store.write(approval.TABLE, self.row_id(period), {"status": "withdrawn"})
        return self.state(period)

    def year_states(self, year: int) -> list[PeriodState]:
        """The year's twelve months and the year itself."""
        return [self.state(f"{year}-{m:02d}") for m in range(1, 13)] + [self.state(str(year))]

    def late_changes(self) -> list[dict[str, Any]]:
        return q.late_changes(self.store)
