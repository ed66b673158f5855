"""Fixtures of the UI tests: real widgets offscreen on a real station file."""

from __future__ import annotations

import pytest

from tests.ui_helpers import make_ctx, open_window


@pytest.fixture
def ctx(services):
    """The app context (database thread included) on the ``services`` fixture's station file."""
    c = make_ctx(services.data_dir)
    yield c
    c.tasks.shutdown()


@pytest.fixture
def window(qtbot, services):
    """The main window at 1366x768 on the ``services`` fixture's station file."""
    w = open_window(qtbot, services)
    yield w
    w.close()
