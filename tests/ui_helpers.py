"""Helpers shared by the UI tests: a live UI context on a real data dir, waiting for the DB
thread."""

from __future__ import annotations

from pathlib import Path

from pzh_station.ui.context import UiContext
from pzh_station.ui.tasks import Tasks


def make_ctx(data_dir: Path, *, operator: str = "李明") -> UiContext:
    return UiContext(data_dir=data_dir, tasks=Tasks(data_dir, operator=operator), operator=operator)


def settle(qtbot, ctx: UiContext, page=None) -> None:
    """Wait until the debounce timer (if any) fired and the database thread is idle."""

    def done() -> bool:
        timer_idle = page is None or not page.search_timer.isActive()
        return timer_idle and ctx.tasks.idle

    qtbot.waitUntil(done, timeout=10_000)
    # A finished job may have queued a follow-up (a page of rows); wait for that too.
    qtbot.waitUntil(lambda: ctx.tasks.idle, timeout=10_000)


def type_text(qtbot, widget, text: str) -> None:
    """Type into a widget as a user would: ASCII as key presses, Enter for a newline, Chinese as
    an input-method commit (what a Chinese IME such as 搜狗拼音 sends). QTest.keyClicks cannot
    send non-Latin-1 keys."""
    import re

    from PySide6.QtCore import Qt
    from PySide6.QtGui import QInputMethodEvent
    from PySide6.QtWidgets import QApplication

    widget.setFocus()
    for part in re.findall(r"\n|[\x20-\x7e]+|[^\x20-\x7e\n]+", text):
        if part == "\n":
            qtbot.keyClick(widget, Qt.Key.Key_Return)
        elif part.isascii():
            qtbot.keyClicks(widget, part)
        else:
            event = QInputMethodEvent()
            event.setCommitString(part)
            QApplication.sendEvent(widget, event)


def show_started(qtbot, window) -> None:
    """Show the main window and wait for what starts after its first paint: the status bar's
    sync state and photo count with their agents (``MainWindow.started``)."""
    with qtbot.waitSignal(window.started, timeout=10_000):
        window.show()


def open_window(qtbot, services):
    """The main window at 1366x768 on ``services``' station file, shown and settled."""
    from pzh_station.ui.main_window import MainWindow

    ctx = make_ctx(services.data_dir)
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.resize(1366, 768)
    show_started(qtbot, w)
    settle(qtbot, ctx)
    return w
