"""A record's history (历史, issue 14): who (operator and device), when, which field from what
to what — read-only, for the 历史 view of every record form."""

from __future__ import annotations

from typing import Any

from pzh_core import history
from pzh_station.services.context import Services
from pzh_station.store import history as q


def record_history(services: Services, table: str, row_id: str) -> list[dict[str, Any]]:
    """The record's steps, newest first: ``{"when", "who", "refused", "changes": [(label, from,
    to)]}`` with values as shown."""
    device = services.store.device_id or ""
    out = []
    for step in reversed(history.steps(q.entries(services.store, table, row_id))):
        who = step.who
        if step.device == device:
            who = f"{step.operator}（本机）" if step.operator else "本机"
        out.append(
            {
                "when": step.when,
                "who": who,
                "refused": step.refused,
                "changes": [
                    (history.label(k), history.show(a, k), history.show(b, k))
                    for k, a, b in step.changes
                ],
            }
        )
    return out
