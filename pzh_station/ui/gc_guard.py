"""Garbage collection only on the main thread, at moments it chooses (as Anki's desktop does).

Python's cyclic collector runs in whichever thread happens to allocate when a threshold is
crossed: the database worker or the sync agent's network thread. When it frees a cycle that holds
a Qt wrapper there — or sweeps while another thread is inside Qt — PySide6 can crash the whole
process (seen in a CI run: a segfault "Garbage-collecting" while the worker wrote a PDF). So the
app turns the automatic collector off and collects on the main thread on a timer; reference
counting still frees everything that is not in a cycle at once.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer


class MainThreadGc(QObject):
    """Disables automatic collection and collects on the main thread every *interval_ms*."""

    def __init__(self, parent: QObject | None = None, *, interval_ms: int = 60_000) -> None:
        super().__init__(parent)
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect)
        self._timer.start()

    def collect(self) -> int:
        """Collect now (on the main thread); returns what gc.collect() found."""
        return gc.collect()
