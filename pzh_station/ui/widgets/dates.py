"""Date and time inputs that speak ISO strings (``YYYY-MM-DD``, ``HH:MM``), the store's format."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, QRegularExpression
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QDateEdit, QLineEdit, QWidget

from pzh_core import text

ISO = "yyyy-MM-dd"


class DateEdit(QDateEdit):
    """A date with a calendar popup. No maximum on purpose: the domain rule (not the widget)
    decides which dates are allowed, so the user sees its message at the field."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setCalendarPopup(True)
        self.setDisplayFormat(ISO)
        self.setMinimumDate(QDate(1900, 1, 1))
        self.setDate(QDate.currentDate())

    def iso(self) -> str:
        return self.date().toString(ISO)

    def set_iso(self, value: str) -> None:
        day = QDate.fromString(value or "", ISO)
        self.setDate(day if day.isValid() else QDate.currentDate())


class OptionalDateEdit(DateEdit):
    """A date that may be left empty ("不限"): its lowest value stands for "no date"."""

    NONE = QDate(1999, 12, 31)

    def __init__(self, parent: QWidget | None = None, *, empty_text: str = "") -> None:
        super().__init__(parent)
        self.setMinimumDate(self.NONE)
        self.setSpecialValueText(empty_text or self.tr("不限"))
        self.clear_date()

    def clear_date(self) -> None:
        self.setDate(self.NONE)

    def iso(self) -> str:
        return "" if self.date() == self.NONE else super().iso()

    def set_iso(self, value: str) -> None:
        day = QDate.fromString(value or "", ISO)
        self.setDate(day if day.isValid() else self.NONE)


class HalfWidthValidator(QRegularExpressionValidator):
    """Accepts what a Chinese input method types in full-width mode (``１４：３０``) by making it
    half-width as it is typed (``pzh_core.text.half_width``), then checks the pattern."""

    def validate(self, value: str, pos: int) -> object:  # noqa: D102
        fixed = text.half_width(value)
        state, _fixed, _pos = super().validate(fixed, pos)
        return state, fixed, min(pos, len(fixed))


def half_width_input(edit: QLineEdit, pattern: str) -> QLineEdit:
    """Give ``edit`` a :class:`HalfWidthValidator` of ``pattern`` (digits of a phone, a number)."""
    edit.setValidator(HalfWidthValidator(QRegularExpression(pattern), edit))
    return edit


class TimeEdit(QLineEdit):
    """An optional time of day typed as ``14:30`` (empty allowed: many activities have none)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText(self.tr("时:分，如 14:30"))
        self.setMaxLength(5)
        # Accept partial input while typing (full-width too); the domain rule reports a
        # malformed time.
        half_width_input(self, r"[0-9]{0,2}(:[0-9]{0,2})?")

    def value(self) -> str:
        return text.clean(self.text(), "time")  # 9:30 → 09:30

    def set_value(self, value: str) -> None:
        self.setText(value or "")


def today_iso() -> str:
    return dt.date.today().isoformat()
