"""The people registry shared by training classes and volunteers.

Add, update, find (by name, pinyin initials ``zs`` → 张三, full pinyin, or phone digits), spot
duplicates (same name and phone, or same name and birth year in the same village) and merge two
people into one while keeping every enrollment, attendance mark, volunteer record and service
record of both.
"""

from __future__ import annotations

from typing import Any

from pzh_core.domain import erasure
from pzh_core.domain.errors import ValidationError
from pzh_core.domain.person import (
    Person,
    is_pinyin_query,
    merged_fields,
    normalise_phone,
    same_person,
    validate_person,
)
from pzh_core.i18n import tr
from pzh_core.schema import det_id
from pzh_station.services.context import Services
from pzh_station.store import people as q

# When the same person has two marks for one session after a merge, the one that says more
# about being there wins.
MARK_STRENGTH = {"present": 4, "late": 3, "excused": 2, "absent": 1, "": 0}


class DuplicatePersonError(ValidationError):
    """A new person looks like someone already in the registry; nothing was written.

    :param existing: the matching people (rows as from :meth:`PeopleService.search`), to offer
        instead of making a duplicate.
    """

    def __init__(self, existing: list[dict[str, Any]]) -> None:
        self.existing = existing
        p = existing[0]
        super().__init__(
            {
                "name": tr("Person", "登记册中已有此人：{}（{}）").format(
                    p["name"],
                    " ".join(
                        str(x)
                        for x in (
                            p.get("phone") or "",
                            p.get("village") or "",
                            p.get("birth_year") or "",
                        )
                        if x
                    )
                    or tr("Person", "无其他信息"),
                )
            }
        )


class PeopleService:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.store = services.store

    def get(self, person_id: str) -> Person | None:
        row = self.store.get("people", person_id)
        return Person.from_row(row) if row else None

    def save(self, person: Person, *, check_duplicates: bool = False) -> str:
        """Add (``person.id`` None) or update a person.

        :param check_duplicates: refuse a new person that looks like an existing one.
        :raises ValidationError: bad fields; nothing written.
        :raises DuplicatePersonError: with ``check_duplicates``, when :meth:`duplicates_of`
            finds someone; nothing written.
        :returns: the person id.
        """
        person.normalise()
        errors = validate_person(person)
        if errors:
            raise ValidationError(errors)
        fields = person.fields()
        if person.id is None:
            if check_duplicates:
                existing = self.duplicates_of(person)
                if existing:
                    raise DuplicatePersonError(existing)
            fields["created_by"] = person.created_by or self.services.operator
            with self.store.transaction():
                new_id = self.store.write("people", None, fields)
                q.index_person(self.store, new_id, person.name)
            return new_id
        fields.pop("created_by", None)
        old = self.store.get("people", person.id) or {}
        changed = {k: v for k, v in fields.items() if old.get(k) != v}
        kept_erased = erasure.refused("people", changed, old.get("erased_on") or "")
        if kept_erased:
            raise ValidationError(kept_erased)
        if changed:
            with self.store.transaction():
                self.store.write("people", person.id, changed)
                if "name" in changed:
                    q.index_person(self.store, person.id, person.name)
        return person.id

    def duplicates_of(self, person: Person) -> list[dict[str, Any]]:
        """Live people that look like ``person`` (same name and phone, or same name and birth
        year in the same village), never ``person`` itself."""
        name = (
            "".join(person.name.split()) if _is_cjk(person.name) else " ".join(person.name.split())
        )
        probe = {**person.fields(), "name": name, "phone": normalise_phone(person.phone)}
        return [
            r
            for r in q.same_name(self.store, name)
            if r["id"] != person.id and same_person(probe, r)
        ]

    def search(
        self, text: str, *, limit: int = 50, exclude_ids: tuple[str, ...] = ()
    ) -> list[dict[str, Any]]:
        """People matching what was typed, best matches first.

        :param text: Chinese characters (a name substring), Latin letters (pinyin initials
            ``zs`` or full pinyin ``zhangsan``), or phone digits (full-width digits are fine).
        :param limit: at most this many rows.
        :param exclude_ids: people to leave out (e.g. those already on a roster).
        """
        text = text.strip()
        digits = normalise_phone(text) if any(ch.isdigit() for ch in text) else ""
        return q.search(
            self.store,
            text,
            digits=digits,
            pinyin=is_pinyin_query(text),
            limit=limit,
            exclude_ids=exclude_ids,
        )

    def count(self) -> int:
        return q.count(self.store)

    def merge(self, keep_id: str, drop_id: str) -> None:
        """Merge ``drop_id`` into ``keep_id`` in one transaction.

        ``keep`` takes the fields it lacks from ``drop``; every enrollment, attendance mark,
        volunteer record and service record of ``drop`` moves to ``keep``; ``drop`` keeps its row
        with ``merged_into = keep_id`` (so the history says where it went) and no longer shows
        in searches. Enrollments, attendance and volunteers have ids derived from the person, so
        they are re-made under ``keep``'s ids and the old rows tombstoned — another laptop marking
        ``keep`` then converges with the moved row instead of duplicating it.

        :raises ValidationError: when either person is missing, already merged, or the same.
        """
        keep, drop = self.store.get("people", keep_id), self.store.get("people", drop_id)
        c = "Person"
        if keep_id == drop_id:
            raise ValidationError({"merge": tr(c, "不能把一个人与自己合并")})
        for row in (keep, drop):
            if row is None or row["deleted"] or row["merged_into"]:
                raise ValidationError({"merge": tr(c, "要合并的人不存在或已被合并")})
        assert keep is not None and drop is not None
        if keep.get("erased_on"):  # nothing may bring personal data back (issue 13, §5)
            text = tr(c, "保留的人员已按本人申请注销个人信息，不能并入其他登记")
            raise ValidationError({"merge": text + tr(c, "；如是同一人，请同样注销另一条登记")})
        with self.store.transaction():
            fill = merged_fields(Person.from_row(keep), Person.from_row(drop))
            if fill:
                self.store.write("people", keep_id, fill)
            self._move_all(keep_id, drop_id)
            self.store.write("people", drop_id, {"merged_into": keep_id})

    def settle_merged(self) -> int:
        """Move rows that still point at a merged person to the person kept — marks or
        enrollments made on another laptop for the old entry before it had synced the merge.
        Idempotent, and two PCs doing it converge (the moved rows have deterministic ids).

        :returns: how many merged people had rows moved.
        """
        moved = 0
        with self.store.transaction():
            for drop_id, keep_id in q.merged_with_leftovers(self.store):
                final, seen = keep_id, {drop_id}
                while final and final not in seen:  # A→B and later B→C: A's rows go to C
                    seen.add(final)
                    nxt = (self.store.get("people", final) or {}).get("merged_into") or ""
                    if not nxt:
                        break
                    final = nxt
                if final and final != drop_id:
                    self._move_all(final, drop_id)
                    moved += 1
        return moved

    def _move_all(self, keep_id: str, drop_id: str) -> None:
        self._move_enrollments(keep_id, drop_id)
        self._move_attendance(keep_id, drop_id)
        self._move_volunteer(keep_id, drop_id)
        self._move_teams(keep_id, drop_id)

    # -- merge steps ---------------------------------------------------------------------
    def _move_enrollments(self, keep_id: str, drop_id: str) -> None:
        for row in q.rows_where_person(self.store, "enrollments", drop_id):
            new_id = det_id("enrollment", row["class_id"], keep_id)
            mine = self.store.get("enrollments", new_id)
            if mine is None or mine["deleted"]:
                self.store.write(
                    "enrollments",
                    new_id,
                    {
                        "class_id": row["class_id"],
                        "person_id": keep_id,
                        "active": row["active"],
                        "enrolled_on": row["enrolled_on"],
                        "walk_in": row["walk_in"],
                        "deleted": False,
                    },
                )
            else:
                change: dict[str, Any] = {}
                if row["active"] and not mine["active"]:
                    change["active"] = True
                if row["enrolled_on"] and (
                    not mine["enrolled_on"] or row["enrolled_on"] < mine["enrolled_on"]
                ):
                    change["enrolled_on"] = row["enrolled_on"]
                if mine["walk_in"] and not row["walk_in"]:
                    change["walk_in"] = False
                if change:
                    self.store.write("enrollments", new_id, change)
            self.store.delete("enrollments", row["id"])

    def _move_attendance(self, keep_id: str, drop_id: str) -> None:
        for row in q.rows_where_person(self.store, "attendance", drop_id):
            new_id = det_id("attendance", row["session_id"], keep_id)
            mine = self.store.get("attendance", new_id)
            if mine is None or mine["deleted"]:
                self.store.write(
                    "attendance",
                    new_id,
                    {
                        "session_id": row["session_id"],
                        "class_id": row["class_id"],
                        "person_id": keep_id,
                        "mark": row["mark"],
                        "marked_by": row["marked_by"],
                        "deleted": False,
                    },
                )
            elif MARK_STRENGTH.get(row["mark"], 0) > MARK_STRENGTH.get(mine["mark"], 0):
                self.store.write(
                    "attendance", new_id, {"mark": row["mark"], "marked_by": row["marked_by"]}
                )
            self.store.delete("attendance", row["id"])

    def _move_teams(self, keep_id: str, drop_id: str) -> None:
        """The merged person leads and belongs to the teams the dropped one did."""
        from pzh_station.store import teams as teams_q

        for team in teams_q.with_person(self.store, drop_id):
            members = list(dict.fromkeys(keep_id if p == drop_id else p for p in team["members"]))
            fields: dict[str, Any] = {}
            if members != team["members"]:
                fields["members"] = members
            if team["leader_id"] == drop_id:
                fields["leader_id"] = keep_id
            if fields:
                self.store.write("art_teams", team["id"], fields)

    def _move_volunteer(self, keep_id: str, drop_id: str) -> None:
        keep_vol_id = det_id("volunteer", keep_id)
        for vol in q.rows_where_person(self.store, "volunteers", drop_id):
            mine = self.store.get("volunteers", keep_vol_id)
            if mine is None or mine["deleted"]:
                fields = {k: v for k, v in vol.items() if k in _VOLUNTEER_FIELDS}
                self.store.write(
                    "volunteers", keep_vol_id, {**fields, "person_id": keep_id, "deleted": False}
                )
            else:
                fill = {
                    k: vol[k]
                    for k in _VOLUNTEER_FIELDS
                    if k != "person_id" and not mine[k] and vol[k]
                }
                if vol["skills"]:
                    skills = list(dict.fromkeys([*mine["skills"], *vol["skills"]]))
                    if skills != mine["skills"]:
                        fill["skills"] = skills
                if fill:
                    self.store.write("volunteers", keep_vol_id, fill)
            for rec in q.service_records_of_volunteer(self.store, vol["id"]):
                self.store.write(
                    "service_records",
                    rec["id"],
                    {"volunteer_id": keep_vol_id, "person_id": keep_id},
                )
            if vol["id"] != keep_vol_id:
                self.store.delete("volunteers", vol["id"])
        # Service records that name the person without going through a volunteer row.
        for rec in q.rows_where_person(self.store, "service_records", drop_id):
            self.store.write("service_records", rec["id"], {"person_id": keep_id})


_VOLUNTEER_FIELDS = (
    "person_id",
    "number",
    "join_date",
    "skills",
    "team",
    "status",
    "training",
    "awards",
    "notes",
    "created_by",
)


def _is_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)
