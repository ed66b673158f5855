"""What every synced record class shares: its synced fields, and building it from a row."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any, TypeVar

R = TypeVar("R", bound="Record")


class Record:
    """Mixin for the record dataclasses (Activity, Person, TrainingClass, Volunteer …) whose
    attributes are the synced fields of their table plus ``id``."""

    def fields(self) -> dict[str, Any]:
        """The synced fields, without the id."""
        data = asdict(self)  # type: ignore[call-overload]
        data.pop("id", None)
        return data

    @classmethod
    def from_row(cls: type[R], row: dict[str, Any]) -> R:
        """Build from a decoded store row (extra columns such as ``clocks`` are ignored)."""
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in row.items() if k in names})
