"""How the network side of sync runs its steps on the station file.

Every step that reads or writes the file is a function of the :class:`Store`; ``run_db(step)``
runs it where the store lives and returns its result (or raises its exception). The CLI and the
tests hand over the open store (:func:`direct`: the step runs in line); the desk app runs each
step as a task on its database worker, the file's only owner (``ui/tasks.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pzh_station.store import Store

RunDb = Callable[[Callable[[Store], Any]], Any]


def direct(store: Store) -> RunDb:
    """Run each step on ``store`` in the calling thread."""

    def run(step: Callable[[Store], Any]) -> Any:
        return step(store)

    return run


def as_run_db(store_or_db: Store | RunDb) -> RunDb:
    """A store (the CLI, tests) or the app's ``run_db`` (steps run on the database worker)."""
    return direct(store_or_db) if isinstance(store_or_db, Store) else store_or_db


def wall_source(store: Store) -> Callable[[], int]:
    """This PC's uncorrected wall clock, as the store's clock sees it (tests skew it): read on
    the network thread, so a busy database thread never skews the offset learned."""
    return store.clock._wall  # noqa: SLF001
