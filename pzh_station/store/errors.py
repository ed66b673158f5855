"""Store failures, each with a plain Chinese message a station worker can act on."""

from __future__ import annotations

import sqlite3

from pzh_core.i18n import tr


class StoreError(Exception):
    """:param kind: one of ``not_sqlite``, ``corrupt``, ``newer``, ``readonly``, ``disk_full``,
    ``locked``, ``in_use``, ``no_station``, ``io``."""

    def __init__(self, kind: str, message: str) -> None:
        self.kind = kind
        self.message = message
        super().__init__(message)

    @property
    def can_restore(self) -> bool:
        """Whether offering "restore a backup" makes sense for this failure."""
        return self.kind in ("not_sqlite", "corrupt", "newer")


def from_sqlite(exc: sqlite3.Error) -> StoreError:
    """Translate a sqlite3 error raised during a write into a StoreError."""
    text = str(exc).lower()
    c = "Store"
    if "readonly" in text or "read-only" in text:
        return StoreError(
            "readonly",
            tr(c, "数据文件是只读的，无法保存。请检查数据文件夹的权限，已保存的记录不受影响。"),
        )
    if "disk is full" in text or "disk i/o" in text:
        return StoreError(
            "disk_full",
            tr(
                c,
                "磁盘已满或无法写入，本次修改没有保存。请清理磁盘空间后重试，已保存的记录不受影响。",
            ),
        )
    if "locked" in text or "busy" in text:
        return StoreError("locked", tr(c, "数据文件正被其他程序占用，请稍后重试。"))
    if "malformed" in text or "not a database" in text:
        return StoreError("corrupt", tr(c, "数据文件已损坏。可以从备份恢复。"))
    return StoreError("io", tr(c, "保存失败：") + str(exc))
