"""The volunteer archive: volunteers (a person of the people registry plus volunteer
details), their verified totals and star levels. The base of :class:`VolunteerService`.

A volunteer's id is ``det_id("volunteer", person_id)`` so two PCs that make the same person a
volunteer converge on one row. Only VERIFIED hours count toward totals, stars and certificates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pzh_core.domain import erasure
from pzh_core.domain.errors import ValidationError
from pzh_core.domain.person import Person
from pzh_core.domain.volunteer import (
    Volunteer,
    new_level_reached,
    next_threshold,
    star_label,
    star_level,
    validate_volunteer,
)
from pzh_core.i18n import tr
from pzh_core.schema import det_id
from pzh_station.services.context import Services
from pzh_station.services.people import PeopleService
from pzh_station.services.station import StationService
from pzh_station.store import volunteers as q
from pzh_station.store.volunteers import VolunteerFilter

C = "Volunteer"


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


def _today(today: dt.date | None) -> dt.date:
    return today or dt.date.today()


class VolunteerArchive:
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
        number = self._check_volunteer(volunteer, person, today)
        with self.store.transaction():
            if person is not None:
                volunteer.person_id = self.people.save(
                    person, check_duplicates=check_duplicates and person.id is None
                )
            vid = det_id("volunteer", volunteer.person_id)
            if volunteer.id is not None and volunteer.id != vid:
                raise ValidationError({"person_id": tr(C, "志愿者不能改成另一个人，请新增志愿者")})
            fields = volunteer.fields()
            fields["number"] = number or self._next_number(volunteer.join_date)
            self._write_volunteer(vid, fields, adding=volunteer.id is None, by=volunteer.created_by)
        volunteer.id = vid
        volunteer.number = fields["number"]
        return vid

    def _check_volunteer(
        self, volunteer: Volunteer, person: Person | None, today: dt.date | None
    ) -> str:
        """The form's rules (volunteer, person, a number nobody else has); the number typed.
        :raises ValidationError: with every message at once."""
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
        return number

    def _write_volunteer(self, vid: str, fields: dict[str, Any], *, adding: bool, by: str) -> None:
        """Write a volunteer row (the caller's transaction): a new one whole, an existing one's
        changed fields — never the personal fields of a person erased on request."""
        old = self.store.get("volunteers", vid)
        if adding and old is not None and not old["deleted"]:
            raise ValidationError(
                {"name": tr(C, "此人已在志愿者档案中（编号 {}）").format(old["number"])}
            )
        if old is None or old["deleted"]:
            fields["created_by"] = by or self.services.operator
            fields["deleted"] = False
            self.store.write("volunteers", vid, fields)
            return
        fields.pop("created_by", None)
        changed = {k: v for k, v in fields.items() if old.get(k) != v}
        person = self.store.get("people", old["person_id"]) or {}
        kept_erased = erasure.refused("volunteers", changed, person.get("erased_on") or "")
        if kept_erased:
            raise ValidationError(kept_erased)
        if changed:
            self.store.write("volunteers", vid, changed)

    def _next_number(self, join_date: str) -> str:
        """A volunteer number like ``ZY2026-0007`` (year of joining, then a running number)."""
        prefix = f"ZY{(join_date or dt.date.today().isoformat())[:4]}-"
        used = [n[len(prefix) :] for n in q.numbers_like(self.store, prefix)]
        top = max((int(n) for n in used if n.isdigit()), default=0)
        return f"{prefix}{top + 1:04d}"

    def delete(self, volunteer_id: str) -> None:
        """Move a volunteer to the trash; the records stay (they are the station's history)."""
        self.store.delete("volunteers", volunteer_id)

    def rows(
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

    def _decider(self, decider: str | None) -> str:
        return (decider if decider is not None else self.services.operator).strip()

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
        for r in self.rows(year=year):
            m = months.get(r["id"], {})
            out.append({**r, "months": [m.get(i, 0.0) for i in range(1, 13)]})
        return out
