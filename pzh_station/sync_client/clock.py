"""Keeping this PC's hybrid clock honest with the server's time (the rule; the SQL is in
``pzh_station.store``: ``sync_state.learn_offset`` and ``replica.rewind_if_ahead``).

Station PCs' clocks are often years wrong. Two things keep the merge rule fair:

- **Offset**: every server answer carries ``server_time_ms``; ``offset = server − local`` (the
  local time taken half-way through the request) is stored in meta ``clock_offset_ms`` and set
  on ``store.clock``, so stamps follow the server's time even while offline afterwards. A PC
  that says 2009 thus stamps its edits with the true time and does not lose them to older edits.
- **Rewind**: a PC that said 2035 before it learned the offset has stamped rows in the future,
  and its clock would keep stamping there, winning every conflict for years. When the clock is
  found more than :data:`FUTURE_TOLERANCE_MS` ahead of the server, it is set back. The server
  additionally clamps stamps that arrive too far ahead (its own guard against PCs that never
  learned).

The station file has one writer in the desk app (the database worker), so its clock is the only
clock: nothing needs refreshing from another connection.
"""

from __future__ import annotations

from pzh_core import protocol

FUTURE_TOLERANCE_MS = protocol.CLAMP_MS  # the server rewrites stamps further ahead


def future_limit(server_time_ms: int) -> int:
    return int(server_time_ms) + FUTURE_TOLERANCE_MS
