"""Fixtures of the UI tests: real widgets offscreen on a real station file."""

from __future__ import annotations

import pytest

from tests.ui_helpers import make_ctx


@pytest.fixture
def ctx(services):
    """The app context (database thread included) on the ``services`` fixture's station file."""
    c = make_ctx(services.data_dir)
    yield c
    c.tasks.shutdown()
