"""Store failures while working: a read-only data file or a full disk gives a message in the form,
the form keeps what was typed, and nothing already saved is lost."""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import Qt

from pzh_core.domain.activity import Activity
from pzh_station import paths
from pzh_station.services.activities import ActivityFilter, ActivityService
from pzh_station.services.context import open_services
from pzh_station.ui.activities import ActivitiesPage
from tests.ui_helpers import make_ctx, settle, type_text


@pytest.fixture
def ctx(services):
    ActivityService(services).save(
        Activity(title="已保存的活动", date="2025-02-02", kind="reading", attendance=30)
    )
    c = make_ctx(services.data_dir)
    yield c
    c.tasks.shutdown()


def run_on_db_thread(qtbot, ctx, fn):
    ctx.tasks.run(fn)
    settle(qtbot, ctx)


def try_to_add(qtbot, ctx, *, notes: str = ""):
    page = ActivitiesPage(ctx)
    qtbot.addWidget(page)
    page.show()
    settle(qtbot, ctx, page)
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    settle(qtbot, ctx)
    dlg = page.dialog
    type_text(qtbot, dlg.title_edit, "新的活动")
    dlg.date_edit.set_iso("2025-02-03")
    dlg.kind_combo.set_code("lecture")
    dlg.notes_edit.setPlainText(notes)
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, ctx)
    return page, dlg


def assert_nothing_lost(services):
    svc = ActivityService(services)
    titles = [svc.get(i).title for i in svc.ids(ActivityFilter())]
    assert titles == ["已保存的活动"]
    n = services.store.conn.execute(
        "SELECT count(*) FROM changes WHERE tbl = 'activities'"
    ).fetchone()[0]
    assert n == 1


def test_read_only_database_keeps_the_form_open_with_a_message(qtbot, ctx, services):
    # SQLite refuses writes exactly as for a read-only file (SQLITE_READONLY).
    run_on_db_thread(qtbot, ctx, lambda s: s.store.conn.execute("PRAGMA query_only = 1"))
    page, dlg = try_to_add(qtbot, ctx)
    assert dlg.isVisible()
    assert "只读" in dlg.message.text() and dlg.message.isVisible()
    assert dlg.title_edit.text() == "新的活动" and dlg.kind_combo.code() == "lecture"
    assert_nothing_lost(services)
    assert page.model.rowCount() == 1

    # once writable again, the same form saves
    run_on_db_thread(qtbot, ctx, lambda s: s.store.conn.execute("PRAGMA query_only = 0"))
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, ctx, page)
    assert not dlg.isVisible() and page.model.rowCount() == 2


def test_full_disk_keeps_the_form_open_with_a_message(qtbot, ctx, services):
    # No room for one more page: SQLite answers "database or disk is full" (SQLITE_FULL).
    run_on_db_thread(
        qtbot,
        ctx,
        lambda s: s.store.conn.execute(
            "PRAGMA max_page_count = "
            + str(s.store.conn.execute("PRAGMA page_count").fetchone()[0])
        ),
    )
    page, dlg = try_to_add(qtbot, ctx, notes="很长的备注" * 400)  # needs new pages
    assert dlg.isVisible()
    assert "磁盘已满" in dlg.message.text()
    assert dlg.notes_edit.toPlainText() == "很长的备注" * 400
    assert_nothing_lost(services)
    s = open_services(services.data_dir)
    assert s.store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    s.close()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_file_on_disk(qtbot, services):
    ActivityService(services).save(
        Activity(title="已保存的活动", date="2025-02-02", kind="reading")
    )
    services.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db = paths.db_path(services.data_dir)
    db.chmod(0o444)
    try:
        ctx = make_ctx(services.data_dir)
        page, dlg = try_to_add(qtbot, ctx)
        assert dlg.isVisible() and dlg.message.text()
        ctx.tasks.shutdown()
    finally:
        db.chmod(0o644)
    assert_nothing_lost(services)
