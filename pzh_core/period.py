"""The period a figure is computed for: a year or one month of it, seen on an "as of" day."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Period:
    """A calendar year, or one month of it, looked at on the day ``as_of``.

    ``as_of`` (default: today) decides two things: which training sessions count as held
    (a session dated after it has not happened yet) and how much of the plan's yearly target
    is due (the target is pro-rated by the share of the year gone).

    :param year: the calendar year.
    :param month: 1–12 for one month; ``None`` for the whole year.
    :param as_of: the day the figures are looked at.
    """

    year: int
    month: int | None = None
    as_of: dt.date = field(default_factory=dt.date.today)

    def __post_init__(self) -> None:
        if not 1900 <= self.year <= 2200:
            raise ValueError(f"year out of range: {self.year}")
        if self.month is not None and not 1 <= self.month <= 12:
            raise ValueError(f"month out of range: {self.month}")

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month or 1, 1)

    @property
    def last_day(self) -> dt.date:
        if self.month is None:
            return dt.date(self.year, 12, 31)
        return dt.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def start(self) -> str:
        """First day, ISO (the dates in the tables are ISO strings, so ranges compare as text)."""
        return self.first_day.isoformat()

    @property
    def end(self) -> str:
        """Last day, ISO."""
        return self.last_day.isoformat()

    @property
    def cutoff(self) -> str:
        """The last day that has happened: the earlier of the period's end and ``as_of``."""
        return min(self.last_day, self.as_of).isoformat()

    @property
    def share_of_year_gone(self) -> float:
        """Days of the period gone by ``as_of`` over the days of the year (0 … 1 for a year;
        a month is at most its own days over the year's days)."""
        year_days = 366 if calendar.isleap(self.year) else 365
        gone = (min(self.last_day, self.as_of) - self.first_day).days + 1
        return max(0, gone) / year_days

    @property
    def label(self) -> str:
        return f"{self.year}年{self.month}月" if self.month else f"{self.year}年"

    def previous_year(self) -> Period:
        """The same month (or the whole year) a year earlier, seen on the same day."""
        return Period(self.year - 1, self.month, self.as_of)

    @classmethod
    def parse_month(cls, text: str, *, as_of: dt.date | None = None) -> Period:
        """``"2025-03"`` → Period(2025, 3). :raises ValueError:"""
        parts = text.strip().split("-")
        if len(parts) != 2 or not all(p.isdigit() for p in parts):
            raise ValueError(text)
        return cls(int(parts[0]), int(parts[1]), as_of or dt.date.today())
