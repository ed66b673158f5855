"""Search as you type: one query after a pause in typing, not one per key."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLineEdit

SEARCH_DELAY_MS = 250  # wait for a pause in typing (and for the IME to commit) before searching


def search_as_you_type(
    edit: QLineEdit, search: Callable[[], object], *, delay_ms: int = SEARCH_DELAY_MS
) -> QTimer:
    """Run ``search`` ``delay_ms`` after the last change of ``edit``. :returns: the timer (a
    caller that searches at once, on a filter change, stops it)."""
    timer = QTimer(edit)
    timer.setSingleShot(True)
    timer.setInterval(delay_ms)
    timer.timeout.connect(search)
    edit.textChanged.connect(lambda _text: timer.start())
    return timer
