"""Service records of volunteers: record → verify / reject, and corrections of verified ones
(更正申请) that keep the history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from pzh_core.domain.errors import ValidationError
from pzh_core.domain.volunteer import (
    CORRECTABLE,
    ServiceRecord,
    check_record,
    may_decide,
    parse_hours,
)
from pzh_core.i18n import tr
from pzh_station.services.volunteer_archive import C, VolunteerArchive, _today
from pzh_station.store import volunteers as q
from pzh_station.store.volunteers import RecordFilter

MAX_LIST = (
    2000  # the records list shows at most this many rows (newest); narrow the filter for more
)


@dataclass
class RecordSaved:
    """A saved record and the warnings shown about it (e.g. more than 12 hours that day)."""

    id: str
    warnings: dict[str, str] = field(default_factory=dict)


class ServiceRecords(VolunteerArchive):
    # -- service records ---------------------------------------------------------------
    def get_record(self, record_id: str) -> ServiceRecord | None:
        row = self.store.get("service_records", record_id)
        return ServiceRecord.from_row(row) if row and not row["deleted"] else None

    def _check(self, record: ServiceRecord, *, today: dt.date | None) -> dict[str, str]:
        """Validate against the volunteer's join date and the day total. :returns: warnings."""
        vol = self.get(record.volunteer_id) if record.volunteer_id else None
        if record.volunteer_id and (vol is None or vol.id is None):
            raise ValidationError({"volunteer_id": tr(C, "找不到这位志愿者")})
        other = (
            q.day_hours(self.store, record.volunteer_id, record.date, exclude=record.id)
            if vol
            else 0.0
        )
        result = check_record(
            record, join_date=vol.join_date if vol else "", other_hours_that_day=other, today=today
        )
        if not result.ok:
            raise ValidationError(result.errors)
        if vol is not None:
            record.person_id = vol.person_id
        return result.warnings

    def save_record(self, record: ServiceRecord, *, today: dt.date | None = None) -> RecordSaved:
        """Record a service (``record.id`` None) or change one not yet verified.

        A rejected record that is changed goes back to "recorded" for verification.
        :raises ValidationError: on a failed check, or when the record is already verified
            (a verified record changes only through :meth:`request_correction`).
        """
        record.hours = (
            float(record.hours)
            if isinstance(record.hours, (int, float)) and not isinstance(record.hours, bool)
            else record.hours
        )
        record.normalise()
        with self.store.transaction():
            warnings = self._check(record, today=today)
            fields = {
                k: record.fields()[k]
                for k in (
                    "volunteer_id",
                    "person_id",
                    "date",
                    "hours",
                    "description",
                    "activity_id",
                    "class_id",
                )
            }
            if record.id is None:
                fields.update(
                    status="recorded",
                    recorded_by=record.recorded_by or self.services.operator,
                    verified_by="",
                    verified_on="",
                    reject_reason="",
                )
                rid = self.store.write("service_records", None, fields)
            else:
                old = self.get_record(record.id)
                if old is None:
                    raise ValidationError({"date": tr(C, "这条服务记录已不存在")})
                if old.status == "verified":
                    raise ValidationError(
                        {"status": tr(C, "已审核的记录不能直接修改，请提出更正申请")}
                    )
                if old.status == "rejected":
                    fields.update(status="recorded", reject_reason="")
                changed = {k: v for k, v in fields.items() if getattr(old, k) != v}
                if changed:
                    self.store.write("service_records", record.id, changed)
                rid = record.id
        record.id = rid
        return RecordSaved(rid, warnings)

    def delete_record(self, record_id: str) -> None:
        """Delete a record that is not verified (a verified one is corrected, never deleted)."""
        old = self.get_record(record_id)
        if old is None:
            return
        if old.status == "verified":
            raise ValidationError({"status": tr(C, "已审核的记录不能删除，请提出更正申请")})
        self.store.delete("service_records", record_id)

    def delete_records(self, record_ids: list[str]) -> None:
        """Delete several records that are not verified, all or none."""
        with self.store.transaction():
            for rid in record_ids:
                self.delete_record(rid)

    def verify(
        self, record_id: str, *, verifier: str | None = None, today: dt.date | None = None
    ) -> None:
        """Verify a recorded service (审核通过).

        :param verifier: the staff member verifying; default the operator. Must be a different
            staff member from the recorder where the station has more than one active.
        :raises ValidationError: when the record is not waiting or the verifier may not decide.
        """
        # reject_reason is cleared in the same write: with the per-field merge, a rejection made on
        # another PC that loses to this verification must not leave its reason behind.
        self._decide(record_id, verifier, today, {"status": "verified", "reject_reason": ""})

    def reject(
        self,
        record_id: str,
        reason: str,
        *,
        verifier: str | None = None,
        today: dt.date | None = None,
    ) -> None:
        """Reject a recorded service with a reason (驳回); the recorder may fix and resubmit it.

        :raises ValidationError: without a reason, or as :meth:`verify`.
        """
        if not reason.strip():
            raise ValidationError({"reject_reason": tr(C, "请填写驳回原因")})
        self._decide(
            record_id, verifier, today, {"status": "rejected", "reject_reason": reason.strip()}
        )

    def _decide(
        self, record_id: str, decider: str | None, today: dt.date | None, fields: dict[str, Any]
    ) -> None:
        who = self._decider(decider)
        with self.store.transaction():
            old = self.get_record(record_id)
            if old is None:
                raise ValidationError({"status": tr(C, "这条服务记录已不存在")})
            if old.status != "recorded":
                raise ValidationError(
                    {
                        "status": tr(C, "只有待审核的记录可以审核（此记录：{}）").format(
                            tr(
                                C,
                                {"verified": "已审核", "rejected": "已驳回"}.get(
                                    old.status, old.status
                                ),
                            )
                        )
                    }
                )
            problem = may_decide(recorder=old.recorded_by, decider=who, staff=self.staff())
            if problem:
                raise ValidationError({"verified_by": problem})
            self.store.write(
                "service_records",
                record_id,
                {**fields, "verified_by": who, "verified_on": _today(today).isoformat()},
            )

    def verify_many(
        self, record_ids: list[str], *, verifier: str | None = None, today: dt.date | None = None
    ) -> dict[str, str]:
        """Verify several records at once; all or nothing. :returns: {} (raises on a problem)."""
        with self.store.transaction():
            for rid in record_ids:
                self.verify(rid, verifier=verifier, today=today)
        return {}

    def records(
        self, f: RecordFilter | None = None, *, limit: int | None = MAX_LIST
    ) -> list[dict[str, Any]]:
        """Records with volunteer name and linked activity/class, newest first."""
        return q.record_rows(self.store, f or RecordFilter(), limit=limit)

    def record_count(self, f: RecordFilter | None = None) -> int:
        return q.record_count(self.store, f or RecordFilter())

    # -- corrections -------------------------------------------------------------------
    def request_correction(
        self,
        record_id: str,
        proposed: dict[str, Any],
        reason: str,
        *,
        requested_by: str | None = None,
        today: dt.date | None = None,
    ) -> str:
        """Ask to change a verified record (更正申请); the record keeps its values until approved.

        :param proposed: the fields to change (``date``, ``hours``, ``description``,
            ``activity_id``, ``class_id``).
        :param reason: why (e.g. the volunteer asked: 志愿者本人申请).
        :raises ValidationError: not verified, a request already open, nothing changed, or the
            proposed values fail the checks.
        :returns: the correction id.
        """
        if not reason.strip():
            raise ValidationError({"reason": tr(C, "请填写更正原因")})
        unknown = set(proposed) - set(CORRECTABLE)
        if unknown:
            raise ValidationError(
                {"proposed": tr(C, "这些内容不能更正：") + "、".join(sorted(unknown))}
            )
        with self.store.transaction():
            old = self.get_record(record_id)
            if old is None or old.status != "verified":
                raise ValidationError(
                    {"status": tr(C, "只有已审核的记录需要更正申请；未审核的记录可直接修改")}
                )
            if q.has_open_correction(self.store, record_id):
                raise ValidationError({"status": tr(C, "这条记录已有待审批的更正申请")})
            proposed = _hours_parsed(proposed)
            changed = {k: v for k, v in proposed.items() if getattr(old, k) != v}
            if not changed:
                raise ValidationError({"proposed": tr(C, "更正内容与原记录相同")})
            candidate = ServiceRecord(**{**old.__dict__, **changed})
            self._check(candidate, today=today)
            before = {k: getattr(old, k) for k in (*CORRECTABLE, "verified_by", "verified_on")}
            return self.store.write(
                "service_corrections",
                None,
                {
                    "record_id": record_id,
                    "requested_by": self._decider(requested_by),
                    "reason": reason.strip(),
                    "before": before,
                    "proposed": changed,
                    "status": "requested",
                },
            )

    def decide_correction(
        self,
        correction_id: str,
        *,
        approve: bool,
        decided_by: str | None = None,
        note: str = "",
        today: dt.date | None = None,
    ) -> None:
        """Approve (the record takes the proposed values, stays verified) or refuse a correction.

        The correction row keeps what the record said before, so the history is never lost.
        :param decided_by: default the operator; another staff member than the requester where
            the station has more than one.
        :raises ValidationError: already decided, decider not allowed, or no reason for a refusal.
        """
        who = self._decider(decided_by)
        day = _today(today).isoformat()
        with self.store.transaction():
            corr = self.store.get("service_corrections", correction_id)
            if corr is None or corr["deleted"] or corr["status"] != "requested":
                raise ValidationError({"status": tr(C, "这条更正申请已处理")})
            problem = may_decide(recorder=corr["requested_by"], decider=who, staff=self.staff())
            if problem:
                raise ValidationError({"decided_by": problem.replace("记录人", "申请人")})
            if not approve and not note.strip():
                raise ValidationError({"decision_note": tr(C, "请填写不批准的理由")})
            if approve:
                old = self.get_record(corr["record_id"])
                if old is None:
                    raise ValidationError({"status": tr(C, "这条服务记录已不存在")})
                candidate = ServiceRecord(**{**old.__dict__, **corr["proposed"]})
                self._check(candidate, today=today)
                self.store.write(
                    "service_records",
                    corr["record_id"],
                    {**corr["proposed"], "verified_by": who, "verified_on": day},
                )
            self.store.write(
                "service_corrections",
                correction_id,
                {
                    "status": "approved" if approve else "rejected",
                    "decided_by": who,
                    "decided_on": day,
                    "decision_note": note.strip(),
                },
            )

    def corrections(self, record_id: str) -> list[dict[str, Any]]:
        """The correction history of a record, oldest first."""
        return q.corrections_of(self.store, record_id)

    def pending_corrections(self) -> list[dict[str, Any]]:
        return q.pending_corrections(self.store)


def _hours_parsed(proposed: dict[str, Any]) -> dict[str, Any]:
    """A correction's proposed fields with ``hours`` as typed ("2.5", "２.５") made a number;
    text that is not one is left for the record's check to word."""
    if "hours" not in proposed:
        return proposed
    hours = proposed["hours"]
    parsed = parse_hours(str(hours)) if isinstance(hours, str) else hours
    return {**proposed, "hours": float(parsed) if isinstance(parsed, (int, float)) else parsed}
