"""One app instance per data dir: an OS file lock, released by the OS if the process dies."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TextIO

from pzh_core.i18n import tr
from pzh_station.store.errors import StoreError

LOCK_NAME = "pzh-station.lock"


class InstanceLock:
    """Hold it for the life of the app: ``lock = InstanceLock(dir); lock.acquire()``."""

    def __init__(self, directory: Path) -> None:
        self.path = Path(directory) / LOCK_NAME
        self._fh: TextIO | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+")  # noqa: SIM115 - held open for the life of the app
        try:
            if sys.platform == "win32":
                import msvcrt

                fh.seek(0)
                msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            fh.close()
            raise StoreError(
                "in_use",
                tr(
                    "Store",
                    "文化站工作台已经在运行（同一个数据文件夹：{}）。请切换到已打开的窗口。",
                ).format(self.path.parent),
            ) from exc
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self._fh = fh

    def is_held_elsewhere(self) -> bool:
        """True when another process holds the lock (used by ``restore``)."""
        try:
            self.acquire()
        except StoreError:
            return True
        self.release()
        return False

    def release(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
