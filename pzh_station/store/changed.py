"""What a piece of work changed (Anki's ``OpChanges``, in small).

The store notes every table it writes — a local write (:meth:`Store.write`) or rows merged from
the server (:meth:`Store.apply_remote`) — and :meth:`Store.take_changes` hands the set over as a
:class:`Changes`. The desk's database worker announces it after each job through the one
``tasks.changed`` signal, so no caller declares what it changed and no view guesses.

A :class:`Changes` *is* the frozenset of the UI areas touched (``"activities"``, ``"training"``,
…, plus ``"sync"`` when rows came from the server), so a view writes ``"station" in changes``;
it also carries the tables (``local``, ``pulled``) and the object that asked for the job
(``initiator``), for a view that shows its own edit already.
"""

from __future__ import annotations

from collections.abc import Iterable

# Which UI areas the rows of each table belong to.
TABLE_AREAS: dict[str, frozenset[str]] = {
    "stations": frozenset({"station"}),
    "staff": frozenset({"station"}),
    "activities": frozenset({"activities"}),
    "people": frozenset({"people", "training", "volunteers"}),
    "classes": frozenset({"training"}),
    "sessions": frozenset({"training"}),
    "enrollments": frozenset({"training"}),
    "attendance": frozenset({"attendance"}),
    "volunteers": frozenset({"volunteers"}),
    "service_records": frozenset({"volunteers"}),
    "service_corrections": frozenset({"volunteers"}),
    "volunteer_certificates": frozenset({"volunteers"}),
    "annual_facts": frozenset({"annual_facts"}),
    "set_aside": frozenset({"sync"}),
    "periods": frozenset({"periods"}),
    "late_changes": frozenset({"periods"}),
    # Photos attached to activities, sessions or service records (issue 15).
    "attachments": frozenset({"photos", "activities", "training", "volunteers"}),
}
PULLED_AREA = "sync"  # rows merged from the server (a sync), whatever their tables


def areas_of(tables: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for table in tables:
        out |= TABLE_AREAS.get(table, frozenset({table}))
    return out


class Changes(frozenset):
    """The areas a job changed, with the tables behind them.

    :param local: tables written on this PC (pending for the next push).
    :param pulled: tables that received rows from the server.
    :param initiator: the object that ran the job (set by the worker), or None.
    """

    local: frozenset[str]
    pulled: frozenset[str]
    initiator: object

    def __new__(
        cls, local: Iterable[str] = (), pulled: Iterable[str] = (), *, initiator: object = None
    ) -> Changes:
        local, pulled = frozenset(local), frozenset(pulled)
        areas = areas_of(local | pulled) | ({PULLED_AREA} if pulled else set())
        self = super().__new__(cls, areas)
        self.local, self.pulled, self.initiator = local, pulled, initiator
        return self

    def by(self, initiator: object) -> Changes:
        """The same changes, made at the request of ``initiator``."""
        return Changes(self.local, self.pulled, initiator=initiator)

    def __repr__(self) -> str:
        return f"Changes(local={sorted(self.local)}, pulled={sorted(self.pulled)})"
