"""Clamping a pushed stamp from the future (docs/sync-protocol.md, "Clocks"), once per write.

A stamp more than ``CLAMP_MS`` ahead of the server is rewritten to a fresh server stamp with the
writer's device part, and the feed entry keeps the stamp sent (``replaced``). The same write can
arrive again: a restored backup or a copied data folder re-keys and pushes its log anew, and a
digest repair logs a field again under the stamp it holds. It then gets **the stamp it got the
first time** — a fresh one would sort after every edit made meanwhile, and an older edit would
beat a later one (issue 12, situations 1 and 3). Every device receives ``replaced`` in the feed
(a copy of the pusher's file is a device of its own), so the copy puts the same stamp in place.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from pzh_core import hlc
from sync.server.db.conn import Conn

if TYPE_CHECKING:
    from sync.server.replica_write import ServerClock

CHUNK = 500  # stamps per ``IN (…)``


def earlier(conn: Conn, station: str, stamps: Iterable[str]) -> dict[str, str]:
    """Stamps among ``stamps`` that the server clamped before -> the stamp it gave (the first,
    should there be several from before this rule)."""
    wanted = sorted(set(stamps))
    found: list[tuple[int, str, str]] = []
    for i in range(0, len(wanted), CHUNK):
        chunk = wanted[i : i + CHUNK]
        marks = ",".join("?" * len(chunk))
        # No ORDER BY: with it SQLite's planner walks the station's whole feed instead of the
        # partial index (migration 9); a handful of rows are sorted here.
        found += [
            (int(r[0]), str(r[1]), str(r[2]))
            for r in conn.all(
                "SELECT seq, replaced, stamp FROM srv_feed WHERE replaced IS NOT NULL"
                f" AND replaced IN ({marks}) AND station_id = ?",
                (*chunk, station),
            )
        ]
    given: dict[str, str] = {}
    for _, sent, stamp in sorted(found):
        given.setdefault(sent, stamp)
    return given


class Clamps:
    """The clamping of one pushed batch: the stamp each change merges under."""

    def __init__(
        self, conn: Conn, station: str, clock: ServerClock, limit_ms: int, stamps: Iterable[str]
    ) -> None:
        self.clock = clock
        self.limit_ms = limit_ms
        future = [s for s in stamps if hlc.parse(s).ms > limit_ms]
        self.given = earlier(conn, station, future) if future else {}
        self.count = 0  # changes whose stamp was clamped (afresh or as before)

    def stamp(self, sent: str, row_stamps: Iterable[str]) -> tuple[str, str | None]:
        """``(stamp to merge under, the stamp it replaced or None)`` for a pushed stamp;
        ``row_stamps`` are the stamps of the row it merges into (a fresh stamp comes after
        them, so it wins there)."""
        if hlc.split(sent)[0] <= self.limit_ms:
            self.clock.observe(sent)
            return sent, None
        self.count += 1
        given = self.given.get(sent)
        if given is None:
            fresh = hlc.parse(self.clock.now(row_stamps))
            given = self.given[sent] = hlc.encode(fresh.ms, fresh.counter, hlc.split(sent)[2])
        return given, sent
