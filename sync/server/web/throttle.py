"""Sign-in throttling of the web pages, in one place.

:data:`MAX_FAILURES` failed attempts on one account name, or :data:`MAX_FAILURES_PER_ADDRESS`
from one address, within :data:`WINDOW_MS` block further attempts until the window has passed.
An attempt is counted as failed *before* its password is checked (:meth:`SignInThrottle.reserve`)
and given back when it succeeds (:meth:`SignInThrottle.release`): 25 concurrent wrong passwords
are not all checked, only the first :data:`MAX_FAILURES`. The attempts are kept in the server's
database (``Storage.signin_failures``, locked while counted), so every server process behind one
address counts the same ones (issue 16).
"""

from __future__ import annotations

from sync.server.storage import Storage

WINDOW_MS = 15 * 60 * 1000
MAX_FAILURES = 5
MAX_FAILURES_PER_ADDRESS = 30


class Throttled(Exception):
    """Too many failed sign-ins lately; ``wait_s`` is the seconds until the next attempt."""

    def __init__(self, wait_s: int) -> None:
        super().__init__(wait_s)
        self.wait_s = wait_s


def _keys(name: str, address: str) -> dict[str, int]:
    """The counted keys of an attempt and the failures each allows."""
    return {f"n:{name.strip().lower()}": MAX_FAILURES, f"a:{address}": MAX_FAILURES_PER_ADDRESS}


def _wait(times: dict[str, list[int]], limits: dict[str, int], now: int) -> int:
    """Seconds until an attempt is allowed (0: now); forgets the failures out of the window."""
    waits = []
    for key, limit in limits.items():
        recent = [t for t in times[key] if now - t < WINDOW_MS]
        if recent != times[key]:
            times[key][:] = recent
        if len(recent) >= limit:
            waits.append(recent[-limit] + WINDOW_MS - now)
    return max(1, max(waits) // 1000 + 1) if waits else 0


class SignInThrottle:
    """The failed (and pending) sign-in attempts of the last :data:`WINDOW_MS`, per name and
    per address, in ``store`` (its clock is the throttle's)."""

    def __init__(self, store: Storage) -> None:
        self.store = store

    def wait_s(self, name: str, address: str) -> int:
        """Seconds until ``name`` may try again from ``address`` (0: may try now)."""
        limits, now = _keys(name, address), self.store.now()
        return self.store.signin_failures(list(limits), lambda times: _wait(times, limits, now))

    def reserve(self, name: str, address: str) -> int:
        """Count an attempt as failed before its password is checked; returns its stamp for
        :meth:`release`.

        :raises Throttled: the limit is reached (the password must not be checked then).
        """
        limits, now = _keys(name, address), self.store.now()

        def count(times: dict[str, list[int]]) -> int:
            wait = _wait(times, limits, now)
            if not wait:
                for key in limits:
                    times[key].append(now)
            return wait

        wait = self.store.signin_failures(list(limits), count)
        if wait:
            raise Throttled(wait)
        return now

    def release(self, name: str, address: str, stamp: int) -> None:
        """The attempt of ``stamp`` succeeded: the name's failures are forgotten, and the
        address's reservation is given back."""
        name_key, address_key = _keys(name, address)

        def give_back(times: dict[str, list[int]]) -> None:
            times[name_key].clear()
            if stamp in times[address_key]:
                times[address_key].remove(stamp)

        self.store.signin_failures([name_key, address_key], give_back)
