"""Clamping a pushed stamp from the future (docs/sync-protocol.md, "Clocks"), once per write.

A stamp more than ``CLAMP_MS`` ahead of the server is rewritten to a fresh server stamp with the
writer's device part, and the feed entry keeps the stamp sent (``replaced``). The same write can
arrive again: a restored backup or a copied data folder re-keys and pushes its log anew, and a
digest repair logs a field again under the stamp it holds. It then gets **the stamp it got the
first time** — a fresh one would sort after every edit made meanwhile, and an older edit would
beat a later one (issue 12, situations 1 and 3). Every device receives ``replaced`` in the feed
(a copy of the pusher's file is a device of its own), so the copy puts the same stamp in place.

A re-keyed file pushes its never-acknowledged writes with the new device in their stamps (same
time and counter; docs/sync-client.md, "Device epoch"). Such a write may be one the server
clamped before under the old device: it finds the stamp given then through the device's
re-key parents, but only when the earlier write is the same one (its winning fields hold the
same values) — a different write at that stamp gets a stamp of its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from pzh_core import hlc
from sync.server.db.conn import Conn

if TYPE_CHECKING:
    from sync.server.replica_write import ServerClock

CHUNK = 500  # stamps per ``IN (…)``


def earlier(conn: Conn, station: str, stamps: Iterable[str]) -> dict[str, str]:
    """Stamps among ``stamps`` that the server clamped before -> the stamp it gave (the first,
    should there be several from before this rule)."""
    return {sent: given for sent, (given, _) in _earlier(conn, station, stamps).items()}


def _earlier(conn: Conn, station: str, stamps: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Like :func:`earlier`, with the fields (JSON) of the feed entry that got the stamp."""
    wanted = sorted(set(stamps))
    found: list[tuple[int, str, str, str]] = []
    for i in range(0, len(wanted), CHUNK):
        chunk = wanted[i : i + CHUNK]
        marks = ",".join("?" * len(chunk))
        # No ORDER BY: with it SQLite's planner walks the station's whole feed instead of the
        # partial index (migration 9); a handful of rows are sorted here.
        found += [
            (int(r[0]), str(r[1]), str(r[2]), str(r[3]))
            for r in conn.all(
                "SELECT seq, replaced, stamp, fields FROM srv_feed WHERE replaced IS NOT NULL"
                f" AND replaced IN ({marks}) AND station_id = ?",
                (*chunk, station),
            )
        ]
    given: dict[str, tuple[str, str]] = {}
    for _, sent, stamp, fields in sorted(found):
        given.setdefault(sent, (stamp, fields))
    return given


def parents(conn: Conn, device_id: str, limit: int = 100) -> list[str]:
    """The devices ``device_id`` re-keyed from, nearest first."""
    out: list[str] = []
    current = device_id
    while len(out) < limit:
        row = conn.one("SELECT parent_id FROM srv_devices WHERE id = ?", (current,))
        if row is None or not row["parent_id"] or row["parent_id"] in out:
            return out
        current = str(row["parent_id"])
        out.append(current)
    return out


class Clamps:
    """The clamping of one pushed batch: the stamp each change merges under."""

    def __init__(
        self,
        conn: Conn,
        station: str,
        clock: ServerClock,
        limit_ms: int,
        stamps: Iterable[str],
        device: str = "",
    ) -> None:
        self.clock = clock
        self.limit_ms = limit_ms
        future = [s for s in stamps if hlc.split(s)[0] > limit_ms]
        self.given = earlier(conn, station, future) if future else {}
        # Stamps of the same time and counter under the re-key parents (a re-stamped write).
        self.before: dict[str, list[str]] = {}
        mine = [s for s in future if s not in self.given and hlc.parse(s).device == device]
        if mine:
            for parent in parents(conn, device):
                for sent in mine:
                    p = hlc.parse(sent)
                    self.before.setdefault(sent, []).append(hlc.encode(p.ms, p.counter, parent))
        wanted = [old for olds in self.before.values() for old in olds]
        self.parents_gave = _earlier(conn, station, wanted) if wanted else {}
        self.count = 0  # changes whose stamp was clamped (afresh or as before)

    def stamp(
        self, sent: str, row_stamps: Iterable[str], fields: Mapping[str, Any] | None = None
    ) -> tuple[str, str | None]:
        """``(stamp to merge under, the stamp it replaced or None)`` for a pushed stamp;
        ``row_stamps`` are the stamps of the row it merges into (a fresh stamp comes after
        them, so it wins there); ``fields`` the pushed values (to know a re-stamped write)."""
        if hlc.split(sent)[0] <= self.limit_ms:
            self.clock.observe(sent)
            return sent, None
        self.count += 1
        given = self.given.get(sent) or self._given_to_parent(sent, fields or {})
        if given is None:
            fresh = hlc.parse(self.clock.now(row_stamps))
            given = hlc.encode(fresh.ms, fresh.counter, hlc.split(sent)[2])
        self.given[sent] = given
        return given, sent

    def _given_to_parent(self, sent: str, fields: Mapping[str, Any]) -> str | None:
        """The stamp given to this same write when it came under a parent device's stamp."""
        for old in self.before.get(sent, []):
            found = self.parents_gave.get(old)
            if found is None:
                continue
            won = json.loads(found[1])
            if isinstance(won, dict) and all(
                k in fields and fields[k] == v for k, v in won.items()
            ):
                return found[0]
        return None
