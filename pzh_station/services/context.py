"""The services of one data dir, opened together (on the thread that uses them)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from pzh_core.china_tz import china_today
from pzh_station import paths
from pzh_station.store import Store


@dataclass
class Services:
    """Open with :func:`open_services`; close with :meth:`close`.

    Area services (activities, training, volunteers, reports, sync) are small classes that take
    this object; create them where needed (``ActivityService(services)``): they hold no state
    beyond the store.
    """

    data_dir: Path
    store: Store
    operator: str = ""  # the staff member at the keyboard; records remember who entered them

    def __setattr__(self, name: str, value: object) -> None:
        super().__setattr__(name, value)
        if name == "operator" and "store" in self.__dict__:
            self.store.operator = str(value)  # each change-log entry records who made it

    def today(self) -> dt.date:
        """Today in China by the corrected clock (the PC's clock plus the offset learned from the
        city server): a PC that says 2009 still records this year's activities."""
        ms = self.store.check_clock()
        return china_today(ms)

    def close(self) -> None:
        self.store.close()


def open_services(
    data_dir: str | Path | None = None, *, operator: str = "", readonly: bool = False
) -> Services:
    """:param readonly: a read-only connection (long reads beside the file's one writer)."""
    directory = paths.data_dir(data_dir)
    directory.mkdir(parents=True, exist_ok=True)
    store = Store(paths.db_path(directory), readonly=readonly)
    return Services(data_dir=directory, store=store, operator=operator)
