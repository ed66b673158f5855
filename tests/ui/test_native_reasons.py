"""A disabled button says why (its tooltip), instead of refusing after the click."""

from __future__ import annotations

from pzh_station.ui.activities import ActivitiesPage
from pzh_station.ui.training import TrainingPage
from tests.ui_helpers import settle


def test_activity_buttons_say_why_they_are_disabled(qtbot, ctx):
    page = ActivitiesPage(ctx)
    qtbot.addWidget(page)
    page.show()
    settle(qtbot, ctx, page)
    for button in (page.edit_button, page.duplicate_button, page.delete_button):
        assert not button.isEnabled() and "选择" in button.toolTip()
    page.trash_check.setChecked(True)
    settle(qtbot, ctx, page)
    assert not page.add_button.isEnabled() and "回收站" in page.add_button.toolTip()


def test_training_buttons_say_why_they_are_disabled(qtbot, ctx):
    page = TrainingPage(ctx)
    qtbot.addWidget(page)
    page.show()
    settle(qtbot, ctx, page)
    for button in (page.edit_button, page.delete_button, page.roster_tab.import_button):
        assert not button.isEnabled() and "选择" in button.toolTip(), button.text()
