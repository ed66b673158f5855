"""Sign-in throttling of the web pages, in one place (so it can move into the database).

:data:`MAX_FAILURES` failed attempts on one account name, or :data:`MAX_FAILURES_PER_ADDRESS`
from one address, within :data:`WINDOW_MS` block further attempts until the window has passed.
An attempt is counted as failed *before* its password is checked (:meth:`SignInThrottle.reserve`)
and given back when it succeeds (:meth:`SignInThrottle.release`): 25 concurrent wrong passwords
are not all checked, only the first :data:`MAX_FAILURES`. Counted in memory: one server process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

WINDOW_MS = 15 * 60 * 1000
MAX_FAILURES = 5
MAX_FAILURES_PER_ADDRESS = 30


class Throttled(Exception):
    """Too many failed sign-ins lately; ``wait_s`` is the seconds until the next attempt."""

    def __init__(self, wait_s: int) -> None:
        super().__init__(wait_s)
        self.wait_s = wait_s


def _keys(name: str, address: str) -> tuple[tuple[str, int], tuple[str, int]]:
    return (
        (f"n:{name.strip().lower()}", MAX_FAILURES),
        (f"a:{address}", MAX_FAILURES_PER_ADDRESS),
    )


class SignInThrottle:
    """The failed (and pending) sign-in attempts of the last :data:`WINDOW_MS`, per name and
    per address. ``now`` is the clock in ms."""

    def __init__(self, now: Callable[[], int]) -> None:
        self.now = now
        self._lock = threading.Lock()
        self._failures: dict[str, list[int]] = {}

    def _recent(self, key: str, now: int) -> list[int]:
        times = [t for t in self._failures.get(key, []) if now - t < WINDOW_MS]
        if times:
            self._failures[key] = times
        else:
            self._failures.pop(key, None)
        return times

    def _wait(self, name: str, address: str, now: int) -> int:
        waits = []
        for key, limit in _keys(name, address):
            times = self._recent(key, now)
            if len(times) >= limit:
                waits.append(times[-limit] + WINDOW_MS - now)
        return max(1, max(waits) // 1000 + 1) if waits else 0

    def wait_s(self, name: str, address: str) -> int:
        """Seconds until ``name`` may try again from ``address`` (0: may try now)."""
        with self._lock:
            return self._wait(name, address, self.now())

    def reserve(self, name: str, address: str) -> int:
        """Count an attempt as failed before its password is checked; returns its stamp for
        :meth:`release`.

        :raises Throttled: the limit is reached (the password must not be checked then).
        """
        now = self.now()
        with self._lock:
            wait = self._wait(name, address, now)
            if wait:
                raise Throttled(wait)
            for key, _limit in _keys(name, address):
                self._failures.setdefault(key, []).append(now)
        return now

    def release(self, name: str, address: str, stamp: int) -> None:
        """The attempt of ``stamp`` succeeded: the name's failures are forgotten, and the
        address's reservation is given back."""
        with self._lock:
            self._failures.pop(_keys(name, address)[0][0], None)
            times = self._failures.get(f"a:{address}", [])
            if stamp in times:
                times.remove(stamp)
