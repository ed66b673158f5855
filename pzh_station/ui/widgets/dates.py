"""Date and time inputs that speak ISO strings (``YYYY-MM-DD``, ``HH:MM``), the store's format."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, QRegularExpression
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QDateEdit, QLineEdit, QWidget

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


class TimeEdit(QLineEdit):
    """An optional time of day typed as ``14:30`` (empty allowed: many activities have none)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText(self.tr("时:分，如 14:30"))
        self.setMaxLength(5)
        # Accept partial input while typing; the domain rule reports a malformed time.
        self.setValidator(
            QRegularExpressionValidator(QRegularExpression(r"[0-9]{0,2}(:[0-9]{0,2})?"), self)
        )

    def value(self) -> str:
        text = self.text().strip()
        if len(text) == 4 and text[1] == ":":
            text = "0" + text  # 9:30 → 09:30
        return text

    def set_value(self, value: str) -> None:
        self.setText(value or "")


def today_iso() -> str:
    return dt.date.today().isoformat()
