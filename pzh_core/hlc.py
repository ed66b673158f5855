"""Hybrid logical clock (HLC), shared by client and server.

A stamp is a string ``"<wall ms, 13 digits>.<counter, 4 digits>.<device id>"``. Plain string
comparison orders stamps by (physical time, counter, device id), so "last writer wins, ties
broken by device id" is just ``max()``.

The physical part is the local wall clock corrected by ``offset_ms`` (learned from the city
server's time, which travels in every sync response), so a PC that believes it is 2009 or
2035 still stamps near the true time once it has talked to the server once.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

COUNTER_MAX = 9999
ZERO = "0000000000000.0000."


def wall_ms() -> int:
    return int(time.time() * 1000)


def encode(ms: int, counter: int, device: str) -> str:
    return f"{ms:013d}.{counter:04d}.{device}"


@dataclass(frozen=True)
class Stamp:
    ms: int
    counter: int
    device: str

    def __str__(self) -> str:
        return encode(self.ms, self.counter, self.device)


# ASCII digits only: ``str.isdigit`` (and ``\\d`` without re.ASCII) accept full-width and other
# Unicode digits, and a stamp "１７９..." in full-width digits sorts above every ASCII stamp.
# The device part is an id of ``[A-Za-z0-9_-]`` (empty in ZERO), so string order stays byte order.
_STAMP = re.compile(r"([0-9]{13})\.([0-9]{4})\.([A-Za-z0-9_-]{0,64})", re.ASCII)
STAMP = _STAMP  # a stamp's pattern, for a caller that inlines split() (pzh_core.digest)


def split(stamp: str) -> tuple[int, int, str]:
    """``(ms, counter, device)`` of a stamp, as :func:`parse` gives them without building a
    :class:`Stamp` (the server splits a few stamps of every pushed change); raises ValueError on
    anything that is not one."""
    m = _STAMP.fullmatch(stamp) if isinstance(stamp, str) else None
    if m is None:
        refuse(stamp)
    return int(m[1]), int(m[2]), m[3]


def refuse(stamp: object) -> NoReturn:
    raise ValueError(f"not an HLC stamp: {stamp!r}")


def parse(stamp: str) -> Stamp:
    """Split a stamp; raises ValueError on anything that is not one."""
    return Stamp(*split(stamp))


def is_stamp(value: object) -> bool:
    return isinstance(value, str) and len(value) <= 100 and _STAMP.fullmatch(value) is not None


class HybridClock:
    """A monotonic HLC for one device.

    :param device: this device's id (the tie-breaker).
    :param last: the highest stamp this device has issued or seen (restored from the store).
    :param offset_ms: correction added to the local wall clock (server time − local time).
    :param wall: source of local wall time in ms (tests replace it to play a wrong PC clock).
    """

    def __init__(
        self,
        device: str,
        *,
        last: str | None = None,
        offset_ms: int = 0,
        wall: Callable[[], int] = wall_ms,
    ) -> None:
        self.device = device
        self.offset_ms = offset_ms
        self._wall = wall
        self._ms = 0
        self._counter = 0
        if last:
            s = parse(last)
            self._ms, self._counter = s.ms, s.counter

    def physical(self) -> int:
        return self._wall() + self.offset_ms

    def now(self) -> str:
        """A new stamp for a local event, greater than every stamp issued or seen before."""
        pt = self.physical()
        if pt > self._ms:
            self._ms, self._counter = pt, 0
        else:
            self._counter += 1
            if self._counter > COUNTER_MAX:
                self._ms, self._counter = self._ms + 1, 0
        return encode(self._ms, self._counter, self.device)

    def observe(self, stamp: str) -> None:
        """Move past a stamp received from elsewhere, so later local stamps sort after it."""
        s = parse(stamp)
        if (s.ms, s.counter) > (self._ms, self._counter):
            self._ms, self._counter = s.ms, s.counter

    @property
    def last(self) -> str:
        return encode(self._ms, self._counter, self.device)
