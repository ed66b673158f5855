"""Training classes: the classes themselves, their sessions, the roster and attendance.

Enrollments and attendance have deterministic ids (``det_id("enrollment", class, person)``,
``det_id("attendance", session, person)``) so two offline laptops that enrol or mark the same
person converge on one row. Dropping is ``active = False`` (the row stays, with its history);
re-enrolling sets it back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pzh_core.domain import training as d
from pzh_core.domain.errors import ValidationError
from pzh_core.domain.training import AttendanceGrid, TrainingClass
from pzh_core.i18n import tr
from pzh_core.schema import det_id
from pzh_core.text import clean
from pzh_station.services.context import Services
from pzh_station.store import training as q
from pzh_station.store.training import ClassFilter


@dataclass
class EnrollResult:
    """What an enrollment did. ``warning`` (Chinese) is set when the class is at or over capacity:
    the station decides — a full class still takes a person the teacher agreed to."""

    enrollment_id: str
    enrolled: int  # active participants after this enrollment
    capacity: int
    warning: str = ""
    already: bool = False  # the person was already on the roster (nothing changed)


class TrainingService:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.store = services.store

    # -- classes -------------------------------------------------------------------------
    def get_class(self, class_id: str) -> TrainingClass | None:
        row = self.store.get("classes", class_id)
        return TrainingClass.from_row(row) if row and not row["deleted"] else None

    def save_class(self, c: TrainingClass) -> str:
        """Add (``c.id`` None) or update a class.

        :raises ValidationError: ``{field: Chinese message}``; nothing written.
        :returns: the class id.
        """
        errors = d.validate_class(c.normalise())
        if errors:
            raise ValidationError(errors)
        fields = c.fields()
        fields["completion_share"] = float(fields["completion_share"])
        if c.id is None:
            fields["created_by"] = c.created_by or self.services.operator
            return self.store.write("classes", None, fields)
        old = self.store.get("classes", c.id)
        if old is None or old["deleted"]:
            raise ValidationError({"name": tr("Training", "这个培训班已不存在")})
        fields.pop("created_by", None)
        changed = {k: v for k, v in fields.items() if old.get(k) != v}
        if changed:
            self.store.write("classes", c.id, changed)
        return c.id

    def delete_class(self, class_id: str) -> None:
        """Tombstone a class (its sessions and marks stay, reachable if it is restored)."""
        self.store.delete("classes", class_id)

    def class_rows(self, f: ClassFilter | None = None) -> list[dict[str, Any]]:
        """Classes with ``enrolled`` and ``sessions`` counts, newest first (``ClassFilter``:
        text, status, year; none: every live class)."""
        return q.class_rows(self.store, f or ClassFilter())

    def find_class(self, name: str) -> TrainingClass | None:
        """The class with this exact name (the newest when several share it)."""
        rows = q.classes_named(self.store, name.strip())
        return TrainingClass.from_row(rows[0]) if rows else None

    # -- sessions ------------------------------------------------------------------------
    def sessions(self, class_id: str) -> list[dict[str, Any]]:
        return q.sessions(self.store, class_id)

    def add_session(
        self, class_id: str, date: str, start_time: str = "", end_time: str = "", *, notes: str = ""
    ) -> str:
        """Add one session. :raises ValidationError: bad date/time or one already at that time."""
        date, start_time, end_time = clean(date, "date"), *_times(start_time, end_time)
        errors = d.validate_session(date, start_time, end_time)
        if not errors and q.session_at(self.store, class_id, date, start_time):
            errors["date"] = tr("Training", "这一天这个时间已有课次")
        if errors:
            raise ValidationError(errors)
        return self.store.write(
            "sessions",
            None,
            {
                "class_id": class_id,
                "date": date,
                "start_time": start_time,
                "end_time": end_time,
                "cancelled": False,
                "notes": notes,
            },
        )

    def add_sessions(
        self,
        class_id: str,
        dates: Iterable[dt.date | str],
        start_time: str = "",
        end_time: str = "",
    ) -> list[str]:
        """Add the sessions of a schedule in one transaction (dates that already have a session at
        that start time are left alone, so generating twice does not double them).

        :param dates: from :func:`domain.training.weekly_dates`, after the user removed some.
        :returns: ids of the sessions made.
        """
        days = [x.isoformat() if isinstance(x, dt.date) else clean(x, "date") for x in dates]
        start_time, end_time = _times(start_time, end_time)
        errors = d.validate_session(days[0] if days else "2000-01-01", start_time, end_time)
        if errors:
            raise ValidationError(errors)
        if len(days) > d.MAX_SESSIONS:
            raise ValidationError(
                {"date": tr("Training", "课次过多（一次最多{}次）").format(d.MAX_SESSIONS)}
            )
        made = []
        with self.store.transaction():
            for day in dict.fromkeys(days):
                if d.validate_session(day, start_time, end_time):
                    raise ValidationError({"date": tr("Training", "日期不正确：{}").format(day)})
                if q.session_at(self.store, class_id, day, start_time):
                    continue
                made.append(
                    self.store.write(
                        "sessions",
                        None,
                        {
                            "class_id": class_id,
                            "date": day,
                            "start_time": start_time,
                            "end_time": end_time,
                            "cancelled": False,
                        },
                    )
                )
        return made

    def move_session(
        self, session_id: str, date: str, start_time: str | None = None, end_time: str | None = None
    ) -> None:
        """Move a session to another day and/or time (its marks stay with it)."""
        row = self._session(session_id)
        date = clean(date, "date")
        start = row["start_time"] if start_time is None else clean(start_time, "time")
        end = row["end_time"] if end_time is None else clean(end_time, "time")
        errors = d.validate_session(date, start, end)
        other = q.session_at(self.store, row["class_id"], date, start)
        if not errors and other and other != session_id:
            errors["date"] = tr("Training", "这一天这个时间已有课次")
        if errors:
            raise ValidationError(errors)
        change = {
            k: v
            for k, v in (("date", date), ("start_time", start), ("end_time", end))
            if row[k] != v
        }
        if change:
            self.store.write("sessions", session_id, change)

    def cancel_session(self, session_id: str, *, cancelled: bool = True, reason: str = "") -> None:
        """Cancel (or un-cancel) a session: it stays in the list, struck out, and no longer counts
        for rates and completion."""
        row = self._session(session_id)
        change: dict[str, Any] = {"cancelled": cancelled}
        if reason and reason != row["notes"]:
            change["notes"] = reason
        self.store.write("sessions", session_id, change)

    def delete_session(self, session_id: str) -> None:
        """Remove a session added by mistake (a tombstone)."""
        self.store.delete("sessions", session_id)

    def _session(self, session_id: str) -> dict[str, Any]:
        row = self.store.get("sessions", session_id)
        if row is None or row["deleted"]:
            raise ValidationError({"session": tr("Training", "这个课次已不存在")})
        return row

    # -- roster --------------------------------------------------------------------------
    def roster(self, class_id: str, *, include_dropped: bool = True) -> list[dict[str, Any]]:
        """People on the roster with ``active``, ``walk_in`` and ``enrolled_on``."""
        return q.roster(self.store, class_id, include_dropped=include_dropped)

    def enroll(
        self,
        class_id: str,
        person_id: str,
        *,
        walk_in: bool = False,
        today: dt.date | None = None,
        check_capacity: bool = True,
    ) -> EnrollResult:
        """Put a person on the roster (or back on it after a drop).

        :param walk_in: came to a session without enrolling (added from the attendance screen).
        :param check_capacity: count the roster for the warning (a bulk import counts once at
            the end instead, with :meth:`capacity_warning`).
        :returns: counts and a capacity warning; a full class is warned about, not refused.
        """
        cls = self.store.get("classes", class_id)
        if cls is None or cls["deleted"]:
            raise ValidationError({"class": tr("Training", "这个培训班已不存在")})
        person = self.store.get("people", person_id)
        if person is None or person["deleted"]:
            raise ValidationError({"person": tr("Training", "这个人不在登记册中")})
        if person["merged_into"]:
            person_id = person["merged_into"]
        eid = det_id("enrollment", class_id, person_id)
        existing = self.store.get("enrollments", eid)
        already = bool(existing and not existing["deleted"] and existing["active"])
        if not already:
            today = today or dt.date.today()
            fields: dict[str, Any] = {"active": True, "deleted": False}
            if existing is None or existing["deleted"]:
                fields.update(
                    class_id=class_id,
                    person_id=person_id,
                    enrolled_on=today.isoformat(),
                    walk_in=walk_in,
                )
            self.store.write("enrollments", eid, fields)
        if not check_capacity:
            return EnrollResult(eid, -1, cls["capacity"], "", already)
        enrolled, warning = self.capacity_warning(class_id, capacity=cls["capacity"])
        return EnrollResult(eid, enrolled, cls["capacity"], warning, already)

    def capacity_warning(self, class_id: str, *, capacity: int | None = None) -> tuple[int, str]:
        """``(active participants, Chinese warning or "")`` for a class at or over its capacity."""
        if capacity is None:
            row = self.store.get("classes", class_id)
            capacity = row["capacity"] if row else 0
        enrolled = q.active_count(self.store, class_id)
        warning = ""
        if capacity and enrolled > capacity:
            warning = tr("Training", "已超出人数上限：{} 人 / 上限 {} 人").format(
                enrolled, capacity
            )
        elif capacity and enrolled == capacity:
            warning = tr("Training", "已达到人数上限（{} 人）").format(capacity)
        return enrolled, warning

    def drop(self, class_id: str, person_id: str) -> None:
        """Take a person off the roster (退班). The enrollment and past marks stay."""
        eid = det_id("enrollment", class_id, person_id)
        row = self.store.get("enrollments", eid)
        if row is None or row["deleted"]:
            raise ValidationError({"person": tr("Training", "此人不在这个班的花名册中")})
        if row["active"]:
            self.store.write("enrollments", eid, {"active": False})

    # -- attendance ----------------------------------------------------------------------
    def mark(self, session_id: str, person_id: str, mark: str) -> str:
        """Set one mark (``present``, ``late``, ``excused``, ``absent``, or "" to clear).

        :returns: the attendance row id (``det_id("attendance", session, person)``).
        """
        if mark not in (*d.MARKS, ""):
            raise ValidationError({"mark": tr("Training", "未知的签到标记")})
        session = self._session(session_id)
        aid = det_id("attendance", session_id, person_id)
        old = self.store.get("attendance", aid)
        if old is not None and not old["deleted"] and old["mark"] == mark:
            return aid
        fields: dict[str, Any] = {"mark": mark, "marked_by": self.services.operator}
        if old is None or old["deleted"]:
            fields.update(
                session_id=session_id,
                class_id=session["class_id"],
                person_id=person_id,
                deleted=False,
            )
        self.store.write("attendance", aid, fields)
        return aid

    def mark_all_present(self, session_id: str) -> int:
        """Mark every active participant without a mark for this session as present (marks
        already set — late, excused … — are kept). :returns: how many marks were set."""
        session = self._session(session_id)
        have = {p for p, m in q.session_marks(self.store, session_id).items() if m}
        todo = [
            r["id"]
            for r in q.roster(self.store, session["class_id"], include_dropped=False)
            if r["id"] not in have
        ]
        with self.store.transaction():
            for pid in todo:
                self.mark(session_id, pid, "present")
        return len(todo)

    def add_walk_in(
        self, session_id: str, person_id: str, *, mark: str = "present"
    ) -> EnrollResult:
        """A person who came without enrolling: onto the roster as a walk-in, marked for the
        session, in one transaction."""
        session = self._session(session_id)
        with self.store.transaction():
            result = self.enroll(session["class_id"], person_id, walk_in=True)
            self.mark(session_id, person_id, mark)
        return result

    def grid(self, class_id: str, *, today: dt.date | None = None) -> AttendanceGrid:
        """The attendance grid of a class: active participants (and dropped ones who have marks)
        × sessions, with marks."""
        cls = self.store.get("classes", class_id)
        if cls is None:
            raise ValidationError({"class": tr("Training", "这个培训班已不存在")})
        marks = q.marks(self.store, class_id)
        marked_people = {p for p, _ in marks}
        people = [
            r for r in q.roster(self.store, class_id) if r["active"] or r["id"] in marked_people
        ]
        return AttendanceGrid(
            class_id=class_id,
            people=people,
            sessions=q.sessions(self.store, class_id),
            marks=marks,
            today=today or dt.date.today(),
            share=cls["completion_share"] or d.DEFAULT_COMPLETION_SHARE,
        )

    def completers(self, class_id: str, *, today: dt.date | None = None) -> list[dict[str, Any]]:
        """Participants who attended at least the class's completion share of held sessions
        (for certificates), each with ``attended`` and ``held``."""
        g = self.grid(class_id, today=today)
        held_n = len(g.held_sessions())
        out = []
        for p in g.people:
            if g.completed(p["id"]):
                out.append({**p, "attended": g.attended(p["id"]), "held": held_n})
        return out


def _times(start: str, end: str) -> tuple[str, str]:
    return clean(start, "time"), clean(end, "time")
