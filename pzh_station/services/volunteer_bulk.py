"""Bulk entry: the hours of many volunteers at one activity, all or nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from pzh_core.domain.errors import ValidationError
from pzh_core.domain.volunteer import (
    ServiceRecord,
)
from pzh_core.i18n import tr
from pzh_station.services.volunteer_archive import C, _today
from pzh_station.services.volunteer_records import ServiceRecords
from pzh_station.store import volunteers as q


@dataclass
class BulkResult:
    """Bulk entry: ``problems`` by volunteer id; when any, nothing was written (``written`` 0)."""

    written: int = 0
    problems: dict[str, str] = field(default_factory=dict)
    warnings: dict[str, str] = field(default_factory=dict)
    record_ids: list[str] = field(default_factory=list)


class BulkEntry(ServiceRecords):
    # -- bulk entry --------------------------------------------------------------------
    def activity_choices(
        self, *, days: int = 365, today: dt.date | None = None
    ) -> list[dict[str, Any]]:
        """Recent activities for bulk entry (id, title, date, start/end time), newest first."""
        from pzh_station.services.activities import ActivityService
        from pzh_station.store.activities import ActivityFilter

        svc = ActivityService(self.services)
        since = (_today(today) - dt.timedelta(days=days)).isoformat()
        ids = svc.ids(ActivityFilter(date_from=since))[:500]
        rows = svc.rows(ids)
        return [rows[i] for i in ids if i in rows]

    def class_choices(self) -> list[dict[str, Any]]:
        """Training classes a service may be linked to (volunteer teachers, helpers), newest
        first."""
        from pzh_station.services.training import TrainingService

        return [
            {"id": c["id"], "name": c["name"], "start_date": c["start_date"]}
            for c in TrainingService(self.services).class_rows()[:300]
        ]

    def already_recorded(self, activity_id: str) -> dict[str, str]:
        """``{volunteer_id: record_id}`` already linked to an activity."""
        return q.record_ids_of_activity(self.store, activity_id)

    def bulk_record(
        self,
        activity_id: str,
        entries: list[tuple[str, float]],
        *,
        date: str | None = None,
        description: str | None = None,
        today: dt.date | None = None,
    ) -> BulkResult:
        """Record hours for many volunteers of one activity at once, all or nothing.

        :param entries: ``[(volunteer_id, hours), …]``.
        :param date: default the activity's date. :param description: default its title.
        :returns: problems by volunteer id (then nothing is written) or the records written.
        """
        from pzh_station.services.activities import ActivityService

        act = ActivityService(self.services).get(activity_id)
        if act is None or not act.id:
            raise ValidationError({"activity_id": tr(C, "请选择活动")})
        if not entries:
            raise ValidationError({"volunteers": tr(C, "请至少选择一位志愿者")})
        result = BulkResult()
        existing = self.already_recorded(activity_id)
        seen: set[str] = set()
        records: list[ServiceRecord] = []
        with self.store.transaction():
            for vid, hours in entries:
                if vid in seen:
                    continue
                seen.add(vid)
                if vid in existing:
                    result.problems[vid] = tr(C, "已登记过本活动的服务时长")
                    continue
                rec = ServiceRecord(
                    volunteer_id=vid,
                    date=date or act.date,
                    hours=hours,
                    description=description if description is not None else act.title,
                    activity_id=activity_id,
                )
                try:
                    warnings = self._check(rec, today=today)
                except ValidationError as exc:
                    result.problems[vid] = "；".join(exc.errors.values())
                    continue
                if warnings:
                    result.warnings[vid] = "；".join(warnings.values())
                records.append(rec)
            if result.problems:
                return result
            for rec in records:
                result.record_ids.append(self.save_record(rec, today=today).id)
        result.written = len(result.record_ids)
        return result
