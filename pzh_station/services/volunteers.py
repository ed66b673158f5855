"""Volunteer use-cases: the archive, service records (record → verify / reject), corrections,
bulk entry, totals and star levels, certificates, imports and exports.

A volunteer is a person of the people registry plus volunteer details; its id is
``det_id("volunteer", person_id)`` so two PCs that make the same person a volunteer converge on
one row. Only VERIFIED hours count toward totals, stars and certificates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pzh_core import tabular
from pzh_core.domain import refdata
from pzh_core.domain.errors import ValidationError
from pzh_core.domain.person import Person
from pzh_core.domain.volunteer import (
    CORRECTABLE,
    STATUSES,
    ServiceRecord,
    Volunteer,
    check_record,
    may_decide,
    new_level_reached,
    next_threshold,
    parse_hours,
    star_label,
    star_level,
    validate_volunteer,
)
from pzh_core.i18n import tr
from pzh_core.schema import det_id
from pzh_core.tabular import RowProblem
from pzh_station.services.context import Services
from pzh_station.services.people import PeopleService
from pzh_station.services.station import StationService
from pzh_station.store import volunteers as q
from pzh_station.store.volunteers import RecordFilter, VolunteerFilter

C = "Volunteer"

# Import/export columns of the archive: field -> header names (first is the Chinese header we write).
COLUMNS: dict[str, list[str]] = {
    "number": ["志愿者编号", "编号", "number"],
    "name": ["姓名", "名字", "name"],
    "gender": ["性别", "gender"],
    "birth_year": ["出生年份", "出生年", "birth_year"],
    "phone": ["电话", "联系电话", "手机", "手机号", "phone"],
    "village": ["村(社区)", "村社区", "村", "社区", "village"],
    "ethnicity": ["民族", "ethnicity"],
    "join_date": ["加入日期", "注册日期", "入队日期", "join_date"],
    "skills": ["服务技能", "技能", "特长", "skills"],
    "team": ["所属团队", "团队", "队伍", "team"],
    "status": ["状态", "status"],
    "training": ["培训情况", "接受培训", "training"],
    "awards": ["获奖情况", "表彰", "awards"],
    "notes": ["备注", "notes"],
}
MAX_LIST = (
    2000  # the records list shows at most this many rows (newest); narrow the filter for more
)


@dataclass
class RecordSaved:
    """A saved record and the warnings shown about it (e.g. more than 12 hours that day)."""

    id: str
    warnings: dict[str, str] = field(default_factory=dict)


@dataclass
class BulkResult:
    """Bulk entry: ``problems`` by volunteer id; when any, nothing was written (``written`` 0)."""

    written: int = 0
    problems: dict[str, str] = field(default_factory=dict)
    warnings: dict[str, str] = field(default_factory=dict)
    record_ids: list[str] = field(default_factory=list)


@dataclass
class Totals:
    """Verified hours of one volunteer."""

    all_time: float
    by_year: dict[int, float]
    by_month: dict[str, float]  # "YYYY-MM"

    @property
    def stars(self) -> int:
        return star_level(self.all_time)

    @property
    def star_label(self) -> str:
        return star_label(self.stars)

    @property
    def next_threshold(self) -> float | None:
        return next_threshold(self.all_time)


@dataclass
class ImportResult:
    total: int
    good: list[tuple[Person, Volunteer]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    written: int = 0
    updated: int = 0

    @property
    def bad_lines(self) -> set[int]:
        return {p.line for p in self.problems}


def _today(today: dt.date | None) -> dt.date:
    return today or dt.date.today()


class VolunteerService:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.store = services.store
        self.people = PeopleService(services)

    def staff(self) -> list[str]:
        """Active staff members of the station (verifiers)."""
        profile = StationService(self.services).profile()
        return profile.staff if profile else []

    # -- the archive -------------------------------------------------------------------
    def get(self, volunteer_id: str) -> Volunteer | None:
        row = self.store.get("volunteers", volunteer_id)
        return Volunteer.from_row(row) if row else None

    def get_with_person(self, volunteer_id: str) -> tuple[Volunteer, Person] | None:
        v = self.get(volunteer_id)
        if v is None:
            return None
        return v, self.people.get(v.person_id) or Person()

    def save(
        self,
        volunteer: Volunteer,
        person: Person | None = None,
        *,
        today: dt.date | None = None,
        check_duplicates: bool = False,
    ) -> str:
        """Add or update a volunteer, and the person's registry entry when ``person`` is given.

        :param volunteer: the volunteer details; ``id`` None to add. ``person_id`` names an
            existing person, or is filled from ``person`` once that is saved.
        :param person: registry fields to save with it (new person when its ``id`` is None).
        :param check_duplicates: refuse a new person who looks like one already in the registry
            (``DuplicatePersonError`` lists them, so the form can offer to use that person).
        :raises ValidationError: ``{field: Chinese message}``; nothing is written.
        :returns: the volunteer id (``det_id("volunteer", person_id)``).
        """
        if person is not None:
            volunteer.person_id = person.id or volunteer.person_id or "pending"
        errors = validate_volunteer(volunteer.normalise(), today=today)
        if person is not None:
            from pzh_core.domain.person import validate_person

            errors.update(validate_person(person.normalise(), today=today))
        number = volunteer.number.strip()
        if number:
            other = q.find_by_number(self.store, number)
            if (
                other
                and other != volunteer.id
                and not (person and person.id and other == det_id("volunteer", person.id))
            ):
                errors["number"] = tr(C, "志愿者编号“{}”已被其他志愿者使用").format(number)
        if errors:
            raise ValidationError(errors)
        with self.store.transaction():
            if person is not None:
                volunteer.person_id = self.people.save(
                    person, check_duplicates=check_duplicates and person.id is None
                )
            vid = det_id("volunteer", volunteer.person_id)
            if volunteer.id is not None and volunteer.id != vid:
                raise ValidationError({"person_id": tr(C, "志愿者不能改成另一个人，请新增志愿者")})
            old = self.store.get("volunteers", vid)
            fields = volunteer.fields()
            fields["number"] = number or self._next_number(volunteer.join_date)
            if volunteer.id is None and old is not None and not old["deleted"]:
                raise ValidationError(
                    {"name": tr(C, "此人已在志愿者档案中（编号 {}）").format(old["number"])}
                )
            if old is None or old["deleted"]:
                fields["created_by"] = volunteer.created_by or self.services.operator
                fields["deleted"] = False
                self.store.write("volunteers", vid, fields)
            else:
                fields.pop("created_by", None)
                changed = {k: v for k, v in fields.items() if old.get(k) != v}
                if changed:
                    self.store.write("volunteers", vid, changed)
        volunteer.id = vid
        volunteer.number = fields["number"]
        return vid

    def _next_number(self, join_date: str) -> str:
        """A volunteer number like ``ZY2026-0007`` (year of joining, then a running number)."""
        prefix = f"ZY{(join_date or dt.date.today().isoformat())[:4]}-"
        used = [n[len(prefix) :] for n in q.numbers_like(self.store, prefix)]
        top = max((int(n) for n in used if n.isdigit()), default=0)
        return f"{prefix}{top + 1:04d}"

    def delete(self, volunteer_id: str) -> None:
        """Move a volunteer to the trash; the records stay (they are the station's history)."""
        self.store.delete("volunteers", volunteer_id)

    def list(
        self, f: VolunteerFilter | None = None, *, year: int | None = None
    ) -> list[dict[str, Any]]:
        """The archive list with verified hours (all time, ``year``) and star level of each."""
        year = year or dt.date.today().year
        rows = q.volunteer_rows(self.store, f or VolunteerFilter(), year=year)
        for r in rows:
            r["stars"] = star_level(r["total"])
        return rows

    def active(self) -> list[dict[str, Any]]:
        """Active volunteers for pickers and bulk entry."""
        return q.active_volunteers(self.store)

    def count(self) -> int:
        return q.volunteer_count(self.store)

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

    def _decider(self, decider: str | None) -> str:
        return (decider if decider is not None else self.services.operator).strip()

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
            if "hours" in proposed:
                parsed = (
                    parse_hours(str(proposed["hours"]))
                    if isinstance(proposed["hours"], str)
                    else proposed["hours"]
                )
                proposed = {
                    **proposed,
                    "hours": float(parsed) if isinstance(parsed, (int, float)) else parsed,
                }
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
        """Training classes a service may be linked to (volunteer teachers, helpers), newest first."""
        from pzh_station.services.training import TrainingService

        return [
            {"id": c["id"], "name": c["name"], "start_date": c["start_date"]}
            for c in TrainingService(self.services).list_classes()[:300]
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

    # -- totals and stars --------------------------------------------------------------
    def totals(self, volunteer_id: str) -> Totals:
        """Verified hours of one volunteer by month, year and all time."""
        by_month = q.verified_by_month(self.store, volunteer_id)
        by_year: dict[int, float] = {}
        for month, hours in by_month.items():
            by_year[int(month[:4])] = by_year.get(int(month[:4]), 0.0) + hours
        return Totals(all_time=sum(by_month.values()), by_year=by_year, by_month=by_month)

    def new_levels(self, year: int | None = None) -> list[dict[str, Any]]:
        """Volunteers who reached a new star level in ``year`` (by service date of verified
        records): name, number, hours before the year and at its end, stars and label."""
        year = year or dt.date.today().year
        before = q.verified_totals(self.store, before=f"{year:04d}-01-01")
        after = q.verified_totals(self.store, until=f"{year:04d}-12-31")
        names = q.volunteer_names(self.store)
        out = []
        for vid, hours in after.items():
            stars = new_level_reached(before.get(vid, 0.0), hours)
            if stars and vid in names:
                out.append(
                    {
                        "id": vid,
                        "name": names[vid]["name"],
                        "number": names[vid]["number"],
                        "hours_before": before.get(vid, 0.0),
                        "hours": hours,
                        "stars": stars,
                        "label": star_label(stars),
                    }
                )
        out.sort(key=lambda r: (-r["stars"], r["name"] or ""))
        return out

    def hours_summary(self, year: int) -> list[dict[str, Any]]:
        """Per volunteer: verified hours in each month of ``year``, the year and all time, stars."""
        months = q.verified_by_volunteer_month(self.store, year)
        out = []
        for r in self.list(year=year):
            m = months.get(r["id"], {})
            out.append({**r, "months": [m.get(i, 0.0) for i in range(1, 13)]})
        return out

    # -- certificate -------------------------------------------------------------------
    def certificate_data(
        self, volunteer_id: str, *, year: int | None = None, today: dt.date | None = None
    ):  # noqa: ANN201
        """What a service-hours certificate says: the verified records (of ``year`` or all)."""
        from pzh_station.io.certificate import CertificateData

        found = self.get_with_person(volunteer_id)
        if found is None:
            raise ValidationError({"volunteer_id": tr(C, "找不到这位志愿者")})
        vol, person = found
        f = RecordFilter(volunteer_id=volunteer_id, status="verified")
        if year:
            f.date_from, f.date_to = f"{year:04d}-01-01", f"{year:04d}-12-31"
        rows = q.record_rows(self.store, f, ascending=True)
        total_all = self.totals(volunteer_id).all_time
        profile = StationService(self.services).profile()
        return CertificateData(
            station=profile.name if profile else "",
            name=person.name,
            gender=person.gender,
            number=vol.number,
            join_date=vol.join_date,
            year=year,
            records=[
                (
                    r["date"],
                    r["description"] or r["activity_title"],
                    float(r["hours"]),
                    r["verified_by"],
                )
                for r in rows
            ],
            total=sum(float(r["hours"]) for r in rows),
            total_all_time=total_all,
            star_label=star_label(star_level(total_all)),
            issued_on=_today(today).isoformat(),
        )

    def write_certificate(
        self,
        volunteer_id: str,
        path: str | Path,
        *,
        year: int | None = None,
        today: dt.date | None = None,
    ) -> Path:
        """Write the certificate PDF (A4). :returns: the path written."""
        from pzh_station.io.certificate import write_certificate

        return write_certificate(path, self.certificate_data(volunteer_id, year=year, today=today))

    # -- import / export ---------------------------------------------------------------
    def read_import(self, path: str | Path, *, today: dt.date | None = None) -> ImportResult:
        """Read and check an archive file; writes nothing. :raises tabular.TableError:

        A row is matched to a volunteer by its number, else to a person of the registry by
        name and phone; otherwise a new person is added.
        """
        from pzh_core.domain.person import normalise_phone, validate_person

        table = tabular.read_table(path, COLUMNS, required=("name",))
        result = ImportResult(total=len(table.rows))
        header = {f: table.mapped.get(f, COLUMNS[f][0]) for f in COLUMNS}
        numbers: dict[str, int] = {}
        for line, raw in table.rows:
            problems: list[RowProblem] = []
            person = Person(
                name=raw.get("name", "").strip(),
                gender=raw.get("gender", ""),
                phone=normalise_phone(raw.get("phone", "")),
                village=raw.get("village", ""),
                ethnicity=raw.get("ethnicity", ""),
                created_by=self.services.operator,
            )
            by = raw.get("birth_year", "")
            if by:
                try:
                    person.birth_year = int(float(by))
                except ValueError:
                    problems.append(
                        RowProblem(
                            line,
                            header["birth_year"],
                            tr("Import", "出生年份不是数字“{}”").format(by),
                        )
                    )
            vol = Volunteer(
                number=raw.get("number", ""),
                team=raw.get("team", ""),
                training=raw.get("training", ""),
                awards=raw.get("awards", ""),
                notes=raw.get("notes", ""),
                created_by=self.services.operator,
            )
            join = raw.get("join_date", "")
            parsed = tabular.parse_date(join) if join else _today(today).isoformat()
            if parsed is None:
                problems.append(
                    RowProblem(
                        line, header["join_date"], tr("Import", "无法识别的日期“{}”").format(join)
                    )
                )
            vol.join_date = parsed or ""
            for s in tabular.split_list(raw.get("skills", "")):
                code = refdata.code_for("volunteer_skills", s)
                if code is None:
                    problems.append(
                        RowProblem(
                            line, header["skills"], tr("Import", "未知的服务技能“{}”").format(s)
                        )
                    )
                else:
                    vol.skills.append(code)
            status = raw.get("status", "")
            vol.status = (
                next((k for k, v in STATUSES.items() if status in (k, v)), "")
                if status
                else "active"
            )
            if not vol.status:
                problems.append(
                    RowProblem(line, header["status"], tr("Import", "状态应为 在册、暂停 或 退出"))
                )
            if vol.number:
                if vol.number in numbers:
                    problems.append(
                        RowProblem(
                            line,
                            header["number"],
                            tr("Import", "编号与第{}行重复").format(numbers[vol.number]),
                        )
                    )
                numbers[vol.number] = line
            # Who is it? An existing volunteer by number, else a person by name + phone.
            existing = q.find_by_number(self.store, vol.number) if vol.number else None
            if existing:
                old = self.get(existing)
                vol.id, vol.person_id = existing, old.person_id if old else ""
                person.id = vol.person_id
            elif person.name and person.phone:
                match = [
                    p
                    for p in self.people.search(person.phone)
                    if p["name"] == person.name and p["phone"] == person.phone
                ]
                if match:
                    person.id = match[0]["id"]
                    vid = det_id("volunteer", person.id)
                    old_row = self.store.get("volunteers", vid)
                    if old_row and not old_row["deleted"]:
                        vol.id = vid
            if vol.id:
                # Updating an existing volunteer: cells the file leaves empty keep what the archive says.
                old_vol = self.get(vol.id)
                if old_vol is not None:
                    for name in ("number", "team", "training", "awards", "notes", "skills"):
                        if not getattr(vol, name):
                            setattr(vol, name, getattr(old_vol, name))
                    if not join:
                        vol.join_date = old_vol.join_date
                    if not status:
                        vol.status = old_vol.status
                    vol.created_by = old_vol.created_by
            if not problems:
                vol_check = Volunteer(**{**vol.__dict__, "person_id": vol.person_id or "pending"})
                for fname, msg in {
                    **validate_person(person, today=today),
                    **validate_volunteer(vol_check, today=today),
                }.items():
                    problems.append(RowProblem(line, header.get(fname, fname), msg))
            if problems:
                result.problems += problems
            else:
                result.good.append((person, vol))
        return result

    def write_import(
        self, result: ImportResult, *, skip_bad: bool = False, today: dt.date | None = None
    ) -> ImportResult:
        """Write the good rows in one transaction; without ``skip_bad`` any problem writes nothing."""
        if result.problems and not skip_bad:
            return result
        with self.store.transaction():
            for person, vol in result.good:
                if person.id:
                    current = self.people.get(person.id)
                    # Keep registry values the file leaves empty.
                    if current:
                        for name in ("gender", "phone", "village", "ethnicity", "birth_year"):
                            if not getattr(person, name):
                                setattr(person, name, getattr(current, name))
                        person.created_by = current.created_by
                if vol.id:
                    result.updated += 1
                self.save(vol, person, today=today)
        result.written = len(result.good)
        return result

    def export(self, path: str | Path, *, fmt: str | None = None) -> int:
        """Write the archive (with verified hours) to .xlsx or .csv. :returns: rows written."""
        skills = refdata.labels("volunteer_skills")
        totals = q.verified_totals(self.store)
        out = []
        for r in q.all_volunteers(self.store):
            total = totals.get(r["id"], 0.0)
            out.append(
                [
                    r["number"],
                    r["name"],
                    r["gender"],
                    r["birth_year"] or "",
                    r["phone"],
                    r["village"],
                    r["ethnicity"],
                    r["join_date"],
                    "、".join(skills.get(s, s) for s in r["skills"]),
                    r["team"],
                    STATUSES.get(r["status"], r["status"]),
                    r["training"],
                    r["awards"],
                    r["notes"],
                    total,
                    star_label(star_level(total)),
                ]
            )
        headers = [COLUMNS[f][0] for f in COLUMNS] + [
            tr("Export", "累计服务时长(已审核)"),
            tr("Export", "星级"),
        ]
        tabular.write_table(path, headers, out, fmt=fmt, sheet=tr("Export", "志愿者档案"))
        return len(out)

    def export_hours(
        self, path: str | Path, *, fmt: str | None = None, year: int | None = None
    ) -> int:
        """Write service records (of ``year`` or all) — and in .xlsx a sheet of verified totals
        per volunteer — to .xlsx or .csv. :returns: records written."""
        f = RecordFilter()
        if year:
            f.date_from, f.date_to = f"{year:04d}-01-01", f"{year:04d}-12-31"
        from pzh_core.domain.volunteer import RECORD_STATES

        rows = q.record_rows(self.store, f, ascending=True)
        headers = [
            tr("Export", h)
            for h in (
                "日期",
                "志愿者编号",
                "姓名",
                "服务时长(小时)",
                "服务内容",
                "关联活动",
                "关联培训班",
                "记录人",
                "状态",
                "审核人",
                "审核日期",
                "驳回原因",
            )
        ]
        records = [
            [
                r["date"],
                r["number"],
                r["name"],
                r["hours"],
                r["description"],
                r["activity_title"],
                r["class_name"],
                r["recorded_by"],
                RECORD_STATES.get(r["status"], r["status"]),
                r["verified_by"],
                r["verified_on"],
                r["reject_reason"],
            ]
            for r in rows
        ]
        fmt = fmt or Path(path).suffix.lstrip(".").lower()
        if fmt == "csv":
            tabular.write_table(path, headers, records, fmt="csv")
            return len(records)
        summary_year = year or dt.date.today().year
        month_heads = [f"{m}月" for m in range(1, 13)]
        summary = [
            [
                r["number"],
                r["name"],
                *r["months"],
                r["year_total"],
                r["total"],
                star_label(r["stars"]),
            ]
            for r in self.hours_summary(summary_year)
        ]
        tabular.write_sheets(
            path,
            [
                (tr("Export", "服务记录"), headers, records),
                (
                    tr("Export", "{}年时长汇总").format(summary_year),
                    [
                        tr("Export", "志愿者编号"),
                        tr("Export", "姓名"),
                        *month_heads,
                        tr("Export", "全年(已审核)"),
                        tr("Export", "累计(已审核)"),
                        tr("Export", "星级"),
                    ],
                    summary,
                ),
            ],
        )
        return len(records)
