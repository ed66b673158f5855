"""Keeping this PC's hybrid clock honest with the server's time.

Station PCs' clocks are often years wrong. Two things keep the merge rule fair:

- **Offset**: every server answer carries ``server_time_ms``; ``offset = server − local`` (the
  local time taken half-way through the request) is stored in meta ``clock_offset_ms`` and set
  on ``store.clock``, so stamps follow the server's time even while offline afterwards. A PC
  that says 2009 thus stamps its edits with the true time and does not lose them to older edits.
- **Rewind**: a PC that said 2035 before it learned the offset has stamped rows in the future,
  and its clock would keep stamping there, winning every conflict for years. When the clock is
  found more than :data:`FUTURE_TOLERANCE_MS` ahead of the server, those rows' future field
  stamps are replaced by fresh, corrected stamps (same values, new change-log entries, so the
  corrected stamps are pushed too) and the clock is set back. The server additionally clamps
  stamps that arrive too far ahead (its own guard against PCs that never learned).

A second Store of the same file (the UI's database thread) picks both up through
:func:`refresh_clock`.
"""

from __future__ import annotations

import json
import logging
import weakref

from pzh_core import hlc, protocol, schema
from pzh_station.store import Store

log = logging.getLogger(__name__)

FUTURE_TOLERANCE_MS = protocol.CLAMP_MS  # the server rewrites stamps further ahead
REWIND_KEY = "clock_rewind"  # the stamp the clock was set back to, last time it was

_seen_rewind: weakref.WeakKeyDictionary[Store, str] = weakref.WeakKeyDictionary()


def local_wall(store: Store) -> int:
    """This PC's uncorrected wall clock, as the store's clock sees it (tests skew it)."""
    return store.clock.physical() - store.clock.offset_ms


def learn_offset(
    store: Store, server_time_ms: int, sent_local_ms: int, received_local_ms: int
) -> int:
    """Store the offset of the local clock from the server's (inside the caller's transaction).

    :param sent_local_ms: local wall time when the request was sent.
    :param received_local_ms: local wall time when the answer arrived.
    :returns: the offset in ms.
    """
    midpoint = (sent_local_ms + received_local_ms) // 2
    offset = int(server_time_ms) - midpoint
    store.clock.offset_ms = offset
    store.conn.execute(
        "INSERT INTO meta (key, value) VALUES ('clock_offset_ms', ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (str(offset),),
    )
    return offset


def future_limit(server_time_ms: int) -> int:
    return int(server_time_ms) + FUTURE_TOLERANCE_MS


def rewind_if_ahead(store: Store, limit_ms: int) -> int:
    """Re-stamp fields stamped after ``limit_ms`` and set the clock back (caller's transaction).

    :returns: how many rows were re-stamped (0 when the clock was not ahead).
    """
    if hlc.parse(store.clock.last).ms <= limit_ms:
        return 0
    limit_stamp = hlc.encode(limit_ms, hlc.COUNTER_MAX, "\uffff")  # above every stamp at limit_ms
    device = store.clock.device
    # The clock restarts at the limit: new stamps sort after every stamp that stays.
    rewound = hlc.encode(limit_ms, 0, device)
    store.clock = hlc.HybridClock(
        device,
        last=rewound,
        offset_ms=store.clock.offset_ms,
        wall=store.clock._wall,  # noqa: SLF001 - keep the same time source (tests skew it)
    )
    rows = 0
    with store.transaction() as conn:
        # Store.write moves past the stored hlc_last: set it back first, or the re-stamping
        # below would jump the clock forward again.
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('hlc_last', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (rewound,),
        )
        for table in schema.TABLES:
            found = conn.execute(
                f"SELECT * FROM {table} WHERE updated_at > ?", (limit_stamp,)
            ).fetchall()
            for row in found:
                clocks = json.loads(row["clocks"])
                ahead = [f for f, s in clocks.items() if s > limit_stamp]
                # Lower the future stamps first, so the fresh write below wins over them.
                for f in ahead:
                    clocks[f] = hlc.ZERO
                conn.execute(
                    f"UPDATE {table} SET clocks = ? WHERE id = ?",
                    (json.dumps(clocks, sort_keys=True), row["id"]),
                )
                current = store.get(table, row["id"]) or {}
                store.write(table, row["id"], {f: current[f] for f in ahead})
                rows += 1
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (REWIND_KEY, rewound),
        )
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('hlc_last', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (store.clock.last,),
        )
    _seen_rewind[store] = rewound
    log.warning("clock was ahead of the server: re-stamped %d rows, clock set back", rows)
    return rows


def refresh_clock(store: Store) -> None:
    """Bring a store's clock up to date with what another connection (the sync thread) stored:
    the offset, a rewind, and the highest stamp seen. Run it on the store's own thread."""
    offset = store.meta("clock_offset_ms")
    if offset:
        store.clock.offset_ms = int(offset)
    rewind = store.meta(REWIND_KEY)
    if rewind and _seen_rewind.get(store) != rewind:
        _seen_rewind[store] = rewind
        if store.clock.last > rewind:
            store.clock = hlc.HybridClock(
                store.clock.device,
                last=rewind,
                offset_ms=store.clock.offset_ms,
                wall=store.clock._wall,  # noqa: SLF001
            )
    last = store.meta("hlc_last")
    if last and hlc.is_stamp(last):
        store.clock.observe(last)
