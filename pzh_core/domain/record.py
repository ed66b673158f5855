"""What every synced record class shares: its synced fields, and building it from a row."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, fields
from typing import Any, ClassVar, TypeVar

from pzh_core import text

R = TypeVar("R", bound="Record")
_NAMES: dict[type, frozenset[str]] = {}  # each record class's field names
_DEFAULTS: dict[type, dict[str, Any]] = {}  # each record class's fields as a new one has them


class Record:
    """Mixin for the record dataclasses (Activity, Person, TrainingClass, Volunteer …) whose
    attributes are the synced fields of their table plus ``id``."""

    #: how :meth:`normalise` cleans each field (``pzh_core.text`` kinds); other text is ``text``
    TEXT_KINDS: ClassVar[dict[str, str]] = {}

    def normalise(self: R) -> R:
        """Clean every text field in place (full-width digits, colons and spaces that a Chinese
        input method or a spreadsheet leaves) with the one normaliser, ``pzh_core.text``.
        Every service calls it before validating, so desk fields and imports agree."""
        text.normalise_fields(self, {"created_by": "name", **self.TEXT_KINDS})
        return self

    def fields(self) -> dict[str, Any]:
        """The synced fields, without the id."""
        data = asdict(self)  # type: ignore[call-overload]
        data.pop("id", None)
        return data

    @classmethod
    def from_row(cls: type[R], row: Mapping[str, Any]) -> R:
        """Build from a decoded store row (extra columns such as ``clocks`` are ignored)."""
        names = _NAMES.get(cls)
        if names is None:  # the server builds one for every pushed row: once per class
            names = _NAMES[cls] = frozenset(f.name for f in fields(cls))  # type: ignore[arg-type]
        return cls(**{k: v for k, v in row.items() if k in names})

    @classmethod
    def row_fields(cls, row: Mapping[str, Any]) -> dict[str, Any]:
        """What ``vars(cls.from_row(row))`` holds, without building the record (the server
        checks every pushed row): the row's values over the defaults of the fields it lacks.
        The row's other keys stay (a rule reads only its fields); a default list is shared
        between calls, so the result is for reading."""
        defaults = _DEFAULTS.get(cls)
        if defaults is None:
            defaults = _DEFAULTS[cls] = dict(vars(cls()))
        return {**defaults, **row}
