"""The crash handler: an exception nobody caught (in a slot, in start-up) is written to the log
with its traceback and shown in Chinese — the app does not vanish and IT finds the cause in the
log (帮助 → 导出诊断信息).

Python calls ``sys.excepthook`` for an exception escaping into Qt's event loop; PySide6 then
carries on, so after the message the user may keep working (what they saved is saved).
"""

from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType

from PySide6.QtWidgets import QApplication, QMessageBox

log = logging.getLogger("pzh_station.crash")

MESSAGE = (
    "程序遇到了一个意外错误。已经保存的数据不受影响。\n\n"
    "错误的详细情况已写入日志。如果再次出现，请在“帮助 → 导出诊断信息”中导出诊断文件，"
    "发给县信息中心。"
)

_showing = False


def handle(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    """Log the crash and tell the user (once at a time: a crash in a loop shows one box)."""
    global _showing
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, value, tb)
        return
    log.critical("uncaught exception:\n%s", "".join(traceback.format_exception(kind, value, tb)))
    if QApplication.instance() is None or _showing:
        return
    _showing = True
    box = QMessageBox(QMessageBox.Icon.Critical, "文化站工作台", MESSAGE)
    box.setObjectName("crash_box")
    box.setDetailedText(f"{kind.__name__}: {value}")

    def closed(_result: int) -> None:
        global _showing
        _showing = False

    box.finished.connect(closed)
    box.open()
    handle.last_box = box  # type: ignore[attr-defined]


def install() -> None:
    sys.excepthook = handle
