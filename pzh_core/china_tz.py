"""Panzhihua's clock: China Standard Time, UTC+8 all year (no daylight saving).

The one definition of the zone every date and time shown or filed is read in, on the desk and
on the server (a record made at 23:30 on 31 December belongs to that year, not the next).
"""

from __future__ import annotations

import datetime as dt

CHINA = dt.timezone(dt.timedelta(hours=8))


def china_today(ms: int) -> dt.date:
    """The calendar day in China of a time in ms since the epoch."""
    return dt.datetime.fromtimestamp(ms / 1000, tz=CHINA).date()


def china_day(ms: int) -> str:
    """The calendar day in China of a time in ms, ``YYYY-MM-DD``."""
    return china_today(ms).isoformat()


def china_time(ms: int) -> str:
    """A time in ms as read on a clock in China, to the minute: ``YYYY-MM-DD HH:MM``."""
    return dt.datetime.fromtimestamp(ms / 1000, tz=CHINA).strftime("%Y-%m-%d %H:%M")
