"""The app collects cycles on the main thread only, on its own timer."""

from __future__ import annotations

import gc
import weakref

from pzh_station.ui.gc_guard import MainThreadGc


class _Node:
    other: _Node


def test_automatic_collection_is_off_and_the_timer_frees_cycles(qtbot):
    was_enabled = gc.isenabled()
    try:
        guard = MainThreadGc(interval_ms=20)
        assert not gc.isenabled()
        a, b = _Node(), _Node()
        a.other, b.other = b, a
        alive = weakref.ref(a)
        del a, b
        assert alive() is not None  # a cycle: reference counting alone does not free it
        qtbot.waitUntil(lambda: alive() is None, timeout=3000)  # the timer's collection did
        guard.deleteLater()
    finally:
        if was_enabled:
            gc.enable()
