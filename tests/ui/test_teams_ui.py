"""The teams page: register a team with its leader and members picked from the registry; a bad
team gets its messages at the fields; an activity names the team that performed."""

from __future__ import annotations

from PySide6.QtCore import Qt

from pzh_station.services.activities import ActivityService
from pzh_station.services.teams import TeamService
from pzh_station.ui.activities.form import ActivityDialog
from tests.ui_helpers import settle, type_text


def test_register_a_team_and_name_it_in_an_activity(qtbot, window, services):
    zhang = services.store.write("people", None, {"name": "张一"})
    li = services.store.write("people", None, {"name": "李二"})
    page = window.show_page("teams")
    settle(qtbot, window.ctx)
    dialog = page.open_dialog(None)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window.ctx)
    assert dialog.errors.message("name") == "请填写团队名称"
    assert dialog.errors.message("art_form") == "请选择艺术门类"
    type_text(qtbot, dialog.name_edit, "金沙江畔舞蹈队")
    dialog.art_combo.set_code("dance")
    for pid, then in (
        (zhang, dialog._set_leader),
        (zhang, dialog._add_member),
        (li, dialog._add_member),
    ):
        dialog._pick(then)
        settle(qtbot, window.ctx)
        dialog.picker._pick(pid)  # the person chosen in the registry search
        settle(qtbot, window.ctx)
    assert dialog.leader_label.text() == "张一" and dialog.member_ids() == [zhang, li]
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window.ctx)
    assert page.model.column_texts(3) == ["2人：张一、李二"]
    [team] = TeamService(services).rows()
    assert (team["leader_id"], team["members"]) == (zhang, [zhang, li])

    form = ActivityDialog(window.ctx, None, window)
    qtbot.addWidget(form)
    settle(qtbot, window.ctx)
    type_text(qtbot, form.title_edit, "广场展演")
    form.kind_combo.set_code("performance")
    form.team_combo.setCurrentIndex(form.team_combo.findText("金沙江畔舞蹈队"))
    form.save()
    settle(qtbot, window.ctx)
    [aid] = ActivityService(services).ids(
        __import__("pzh_station.store.activities", fromlist=["x"]).ActivityFilter()
    )
    assert ActivityService(services).get(aid).team_id == team["id"]
