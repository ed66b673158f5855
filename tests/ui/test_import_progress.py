"""The roster import (training page) and the volunteer archive import (volunteers page) show
their progress — rows of the total — and can be cancelled: cancelling while the file is checked
opens no preview, cancelling the write rolls it back; either way nothing is written (#17)."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt

from pzh_core import tabular
from pzh_core.domain.training import TrainingClass
from pzh_station.services.training import TrainingService
from pzh_station.services.volunteers import VolunteerService
from pzh_station.ui.training import TrainingPage
from pzh_station.ui.volunteers import VolunteersPage
from tests.ui_helpers import settle

ROWS = 250
LEFT = Qt.MouseButton.LeftButton


def people_file(path, header):
    rows = [[f"学员{i}", f"139{i:08d}", "2024-01-01"] for i in range(ROWS)]
    return tabular.write_table(path, header, rows)


class Gate:
    """Holds the database thread until :meth:`open`: jobs queued meanwhile wait behind it, so
    the test connects to a progress (or cancels it) before its job starts."""

    def __init__(self, ctx) -> None:
        self.event = threading.Event()
        ctx.tasks.run(lambda _s: self.event.wait(10))

    def open(self) -> None:
        self.event.set()


def recorder(progress) -> list[tuple[int, int, str]]:
    seen: list[tuple[int, int, str]] = []
    progress.reporter.progressed.connect(lambda d, t, w: seen.append((d, t, w)))
    return seen


@pytest.fixture
def training_page(qtbot, ctx, services):
    cid = TrainingService(services).save_class(
        TrainingClass(name="舞蹈班", art_form="dance", start_date="2026-03-01")
    )
    page = TrainingPage(ctx)
    qtbot.addWidget(page)
    page.resize(1300, 720)
    page.show()
    settle(qtbot, ctx, page)
    page.select_class(cid)
    settle(qtbot, ctx, page)
    return page, cid


def test_roster_import_shows_progress_and_can_be_cancelled(
    qtbot, ctx, services, training_page, tmp_path
):
    page, cid = training_page
    tab = page.roster_tab
    path = str(people_file(tmp_path / "花名册.xlsx", ["姓名", "电话", "报名日期"]))
    # cancelled while the file is checked: no preview, nothing written
    gate = Gate(ctx)
    tab.preview_import(path).reporter.cancel_event.set()
    gate.open()
    settle(qtbot, ctx)
    assert tab.dialog is None and "已取消导入" in tab.warning_label.text()
    # checked with rows of the total reported, then the write cancelled: rolled back
    gate = Gate(ctx)
    seen = recorder(tab.preview_import(path))
    gate.open()
    settle(qtbot, ctx)
    assert seen and {t for _d, t, _w in seen} == {ROWS} and seen[-1][0] == 200
    dlg = tab.dialog
    assert dlg is not None and dlg.isVisible()
    gate = Gate(ctx)
    dlg.confirm().reporter.cancel_event.set()
    gate.open()
    settle(qtbot, ctx)
    assert TrainingService(services).roster(cid) == []
    assert "已取消导入" in dlg.message.text() and dlg.confirm_button.isEnabled()
    # not cancelled: written, with its progress
    gate = Gate(ctx)
    seen = recorder(dlg.confirm())
    gate.open()
    settle(qtbot, ctx)
    assert len(TrainingService(services).roster(cid)) == ROWS
    assert seen and seen[-1][1] == ROWS and "正在写入" in seen[-1][2]


@pytest.fixture
def volunteers_page(qtbot, ctx):
    page = VolunteersPage(ctx)
    qtbot.addWidget(page)
    page.resize(1300, 700)
    page.show()
    settle(qtbot, ctx)
    return page


def test_volunteer_archive_import_shows_progress_and_can_be_cancelled(
    qtbot, ctx, services, volunteers_page, tmp_path
):
    page = volunteers_page
    path = str(people_file(tmp_path / "志愿者.xlsx", ["姓名", "电话", "加入日期"]))
    page.ask_open_path = lambda *_a: path
    # cancelled while the file is checked: no dialog, nothing written
    gate = Gate(ctx)
    qtbot.mouseClick(page.import_button, LEFT)
    page.import_progress.reporter.cancel_event.set()
    gate.open()
    settle(qtbot, ctx)
    assert page.dialog is None and "已取消导入" in page.message.text()
    # checked with rows of the total reported
    gate = Gate(ctx)
    qtbot.mouseClick(page.import_button, LEFT)
    seen = recorder(page.import_progress)
    gate.open()
    settle(qtbot, ctx)
    assert seen and {t for _d, t, _w in seen} == {ROWS} and seen[-1][0] == 200
    dlg = page.dialog
    assert dlg is not None and dlg.isVisible() and f"共 {ROWS} 行" in dlg.summary.text()
    # the write cancelled: rolled back, the dialog stays for another try
    gate = Gate(ctx)
    qtbot.mouseClick(dlg.save_button, LEFT)
    dlg.progress.reporter.cancel_event.set()
    gate.open()
    settle(qtbot, ctx)
    assert VolunteerService(services).count() == 0
    assert "已取消导入" in dlg.message.text() and dlg.save_button.isEnabled()
    # not cancelled: written, with its progress
    gate = Gate(ctx)
    qtbot.mouseClick(dlg.save_button, LEFT)
    seen = recorder(dlg.progress)
    gate.open()
    settle(qtbot, ctx)
    assert VolunteerService(services).count() == ROWS
    assert seen and seen[-1][1] == ROWS and "正在写入" in seen[-1][2]
