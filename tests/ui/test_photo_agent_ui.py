"""The photo agent and its panel on the sync page, with a real server: 照片待上传 N, the switch
"only when I say", 上传照片, and a photo fetched on demand in the viewer of a second PC."""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import Qt

from pzh_core import photos
from pzh_core.domain.activity import Activity
from pzh_station.services.activities import ActivityService
from pzh_station.services.photos import PhotoService
from pzh_station.store import sync_state
from pzh_station.sync_client import RetryPolicy, SyncClient
from pzh_station.ui.photos import PhotoViewer
from pzh_station.ui.photos.agent import photo_agent_for
from pzh_station.ui.sync_page.agent import agent_for
from pzh_station.ui.sync_page.page import SyncPage
from tests import photo_samples, server_fixtures
from tests.ui_helpers import make_ctx

sync_server = server_fixtures.sync_server
SHOTS = os.environ.get("PZH_SHOTS")
RETRY = RetryPolicy(attempts=2, base_s=0.01, max_s=0.05)


@pytest.fixture
def enrolled(services, sync_server):
    station = sync_server.create_station()
    SyncClient(services.store).enroll(sync_server.url, sync_server.issue_code(station))
    return station


def test_only_when_i_say_then_send_now(qtbot, services, enrolled, sync_server, tmp_path):
    act = ActivityService(services).save(
        Activity(title="送戏下乡", date="2026-10-01", kind="performance", delivery="mobile")
    )
    [att_id] = PhotoService(services).attach(
        "activities", act, [photo_samples.camera_jpeg(tmp_path / "a.jpg", size=(2000, 1500))]
    )
    SyncClient(services.store).sync()
    ctx = make_ctx(services.data_dir)
    agent_for(ctx, retry=RETRY, autostart=False)
    agent = photo_agent_for(ctx, retry=RETRY)
    try:
        page = SyncPage(ctx)
        qtbot.addWidget(page)
        page.resize(1100, 700)
        page.show()
        panel = page.photo_panel
        qtbot.waitUntil(lambda: agent.status.pending == 1, timeout=10_000)
        assert "照片待上传 1 张" in panel.pending_label.text()
        assert "每天上限 200 MB" in panel.today_label.text()  # the city setting's default
        panel.manual_radio.click()
        assert agent.status.mode == "manual"
        agent.kick()  # what a successful record sync does: nothing in manual mode
        assert not agent.status.sending
        if SHOTS:
            page.grab().save(os.path.join(SHOTS, "sync_page_photos.png"))
        shown: list = []  # what the panel showed at each status while sending (issue 17)
        agent.status_changed.connect(
            lambda st: (
                shown.append(
                    (panel.pending_label.text(), panel.bar.isVisibleTo(page), panel.bar.value())
                )
                if st.progress is not None
                else None
            )
        )
        qtbot.mouseClick(panel.send_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(
            lambda: agent.status.pending == 0 and not agent.status.sending, timeout=20_000
        )
        assert "照片已全部上传" in panel.pending_label.text()
        assert shown and all(visible for _, visible, _ in shown)
        assert shown[0][0].startswith("正在上传照片 0/1 张") and "MB" in shown[0][0]
        assert shown[-1][2] == panel.bar.maximum() and not panel.bar.isVisibleTo(page)
        assert not panel.stop_button.isVisibleTo(page)
        h = services.store.get("attachments", att_id)["hash"]
        stored = sync_server.data_dir / "photos" / "files" / photos.shard_path(h)
        assert photos.sha256(stored.read_bytes()) == h
    finally:
        agent.shutdown()
        agent_for(ctx).shutdown()
        ctx.tasks.shutdown()


def test_a_second_pc_fetches_a_photo_when_it_is_opened(
    qtbot, services, enrolled, sync_server, tmp_path
):
    from pzh_station.services.context import open_services

    act = ActivityService(services).save(
        Activity(title="送戏下乡", date="2026-10-01", kind="performance", delivery="mobile")
    )
    PhotoService(services).attach(
        "activities", act, [photo_samples.camera_jpeg(tmp_path / "a.jpg", size=(2000, 1500))]
    )
    SyncClient(services.store).sync()
    from pzh_station.sync_client.photo_transfer import PhotoUploader
    from pzh_station.sync_client.transport import Transport

    t = Transport(sync_server.url, token=sync_state.token(services.store))
    assert PhotoUploader(services.store, t).run().pending == 0
    t.close()

    other = open_services(tmp_path / "second")
    SyncClient(other.store).enroll(sync_server.url, sync_server.issue_code(enrolled))
    SyncClient(other.store).sync()
    [att] = PhotoService(other).rows("activities", act)
    other.close()
    ctx = make_ctx(tmp_path / "second")
    agent_for(ctx, retry=RETRY, autostart=False)
    agent = photo_agent_for(ctx, retry=RETRY)
    try:
        viewer = PhotoViewer(ctx, [att], 0)
        qtbot.addWidget(viewer)
        viewer.show()
        qtbot.waitUntil(lambda: ctx.tasks.idle, timeout=10_000)
        qtbot.waitUntil(lambda: viewer.fetch_button.isVisible(), timeout=10_000)
        assert "尚未从市服务器取回" in viewer.image.text()
        qtbot.mouseClick(viewer.fetch_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: viewer.pixmap is not None, timeout=20_000)
        assert (viewer.pixmap.width(), viewer.pixmap.height()) == (1600, 1067) or (
            viewer.pixmap.height() == 1600
        )
    finally:
        agent.shutdown()
        agent_for(ctx).shutdown()
        ctx.tasks.shutdown()


def test_bundle_box_exports_and_says_why_it_cannot_import(qtbot, services, tmp_path):
    ctx = make_ctx(services.data_dir)
    agent_for(ctx, retry=RETRY, autostart=False)
    try:
        page = SyncPage(ctx)
        qtbot.addWidget(page)
        page.resize(1366, 768)
        page.show()
        box = page.bundle_box
        # Not enrolled, no enrollment file: a clear message, no file written.
        box.export_to(str(tmp_path / "x.pzhbundle"))
        qtbot.waitUntil(lambda: ctx.tasks.idle, timeout=10_000)
        assert "请先联网同步一次" in box.result_label.text()
        assert not (tmp_path / "x.pzhbundle").exists()
        (tmp_path / "junk.json").write_text("{}", encoding="utf-8")
        box.enroll_from(str(tmp_path / "junk.json"))
        qtbot.waitUntil(lambda: ctx.tasks.idle, timeout=10_000)
        assert "不是市服务器发出的登记文件" in box.result_label.text()
        if SHOTS:
            page.grab().save(os.path.join(SHOTS, "sync_page_bundle.png"))
    finally:
        agent_for(ctx).shutdown()
        photo_agent_for(ctx).shutdown()
        ctx.tasks.shutdown()


def test_the_photo_thread_holds_no_qt_object_and_stops_with_the_database(services):
    """The photo thread keeps weak references only (a Qt wrapper freed on it crashed PySide6 in
    the GC); closing the database (Tasks.shutdown) stops and joins it first."""
    from PySide6.QtCore import QObject

    ctx = make_ctx(services.data_dir)
    agent = photo_agent_for(ctx, retry=RETRY)
    worker = agent._worker
    held = [v for v in vars(worker).values() if isinstance(v, QObject)]
    assert held == [] and worker._agent() is agent and worker._tasks() is ctx.tasks
    assert worker.thread.is_alive()
    ctx.tasks.shutdown()
    assert worker.stop.is_set() and not worker.thread.is_alive()
