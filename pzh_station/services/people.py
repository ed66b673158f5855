"""The people registry shared by training classes and volunteers.

Minimal core (add, update, get, search by name substring or phone digits). The training work
(issue 3) extends it: pinyin-initial search, duplicate detection, merging two people.
"""

from __future__ import annotations

from typing import Any

from pzh_station.domain.errors import ValidationError
from pzh_station.domain.person import Person, normalise_phone, validate_person
from pzh_station.services.context import Services


class PeopleService:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.store = services.store

    def get(self, person_id: str) -> Person | None:
        row = self.store.get("people", person_id)
        return Person.from_row(row) if row else None

    def save(self, person: Person) -> str:
        """Add (``person.id`` None) or update a person. :raises ValidationError:"""
        person.name = person.name.strip()
        person.phone = normalise_phone(person.phone)
        errors = validate_person(person)
        if errors:
            raise ValidationError(errors)
        fields = person.fields()
        if person.id is None:
            fields["created_by"] = person.created_by or self.services.operator
            return self.store.write("people", None, fields)
        fields.pop("created_by", None)
        old = self.store.get("people", person.id) or {}
        changed = {k: v for k, v in fields.items() if old.get(k) != v}
        if changed:
            self.store.write("people", person.id, changed)
        return person.id

    def search(self, text: str, *, limit: int = 50) -> list[dict[str, Any]]:
        """People whose name contains ``text`` or whose phone contains its digits."""
        text = text.strip()
        digits = normalise_phone(text)
        sql = "SELECT id, name, gender, birth_year, phone, village FROM people WHERE deleted = 0 AND merged_into = ''"
        params: list[Any] = []
        if text:
            sql += " AND (name LIKE ?" + (" OR phone LIKE ?" if digits else "") + ")"
            params.append(f"%{text}%")
            if digits:
                params.append(f"%{digits}%")
        sql += " ORDER BY name LIMIT ?"
        params.append(limit)
        return self.store.query(sql, params)
