"""The sync status in the status bar, the sync page and the enrollment dialog, driven offscreen
like a station worker would. (With the real server: test_sync_e2e.py.)"""

from __future__ import annotations

import pytest

from pzh_station.store import Store
from pzh_station.store.sync_state import keep_token, put
from pzh_station.sync_client import RetryPolicy, SyncState
from pzh_station.ui.main_window import MainWindow
from pzh_station.ui.sync_page.agent import agent_for
from pzh_station.ui.sync_page.enroll_dialog import EnrollDialog
from pzh_station.ui.sync_page.page import SyncPage
from tests.ui_helpers import make_ctx, show_started, type_text

DEAD = "http://127.0.0.1:9"  # nothing listens there: "connection refused" at once


@pytest.fixture
def ctx(services):
    c = make_ctx(services.data_dir)
    agent = agent_for(c, retry=RetryPolicy(attempts=1, sleep=lambda s: None))
    yield c
    agent.shutdown()
    c.tasks.shutdown()


def wait_phase(qtbot, agent, *phases):
    try:
        qtbot.waitUntil(lambda: agent.status.phase in phases and not agent.busy, timeout=15_000)
    except Exception:
        raise AssertionError(f"agent stuck: {agent.status} busy={agent.busy}") from None


def test_unenrolled_pc_says_so_and_enrollment_errors_show_at_the_field(qtbot, ctx):
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    show_started(qtbot, window)
    agent = agent_for(ctx)
    wait_phase(qtbot, agent, "unenrolled")
    assert "未注册" in window.sync_status.label.text()
    page = window.show_page("sync")
    assert isinstance(page, SyncPage)
    assert "未注册" in page.phase_label.text() and not page.sync_button.isEnabled()
    dialog = page.open_enroll()
    dialog.server_edit.clear()
    dialog.code_edit.clear()
    dialog.ok_button.click()
    assert (
        dialog.server_error.text() == "请填写服务器地址"
        and dialog.code_error.text() == "请填写注册码"
    )
    type_text(qtbot, dialog.server_edit, DEAD)
    type_text(qtbot, dialog.code_edit, "ABCD-2345")
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: dialog.server_error.isVisible(), timeout=15_000)
    assert (
        "无法连接同步服务器" in dialog.server_error.text()
        and "检查网络" in dialog.server_error.text()
    )
    assert dialog.isVisible()  # nothing happened; the worker can correct the address
    assert ctx.tasks.idle


def test_dialog_is_preset_from_the_installer_settings(qtbot, ctx):
    from pzh_station.settings import Settings

    Settings(ctx.data_dir).set("server_url", "https://sync.pzh.example.cn")
    Settings(ctx.data_dir).set("enrollment_code", "7KQ4M2XP")
    dialog = EnrollDialog(ctx)
    qtbot.addWidget(dialog)
    assert dialog.server_edit.text() == "https://sync.pzh.example.cn"
    assert dialog.code_edit.text() == "7KQ4M2XP"


def test_offline_pc_shows_offline_pending_changes_and_what_to_do(qtbot, services):
    store: Store = services.store
    put(store, sync_server_url=DEAD, sync_device_id="dev-1", sync_station_id=store.station_id)
    keep_token(store, "dev-1", "t")
    pending = store.conn.execute("SELECT count(*) FROM changes").fetchone()[0]
    ctx = make_ctx(services.data_dir)
    agent = agent_for(ctx, retry=RetryPolicy(attempts=1, sleep=lambda s: None))
    try:
        window = MainWindow(ctx)
        qtbot.addWidget(window)
        show_started(qtbot, window)
        page = window.show_page("sync")
        page.sync_button.setEnabled(True)
        qtbot.waitUntil(lambda: page.sync_button.isEnabled(), timeout=5_000)
        agent.sync_now()
        wait_phase(qtbot, agent, "offline")
        text = window.sync_status.label.text()
        assert "离线" in text and f"待上传 {pending} 条" in text and "上次成功：从未" in text
        assert "检查网络" in window.sync_status.error_label.toolTip()
        assert "离线" in page.phase_label.text() and "检查网络" in page.error_label.text()
        assert page.pending_label.text() == f"{pending} 条"
        # Backoff: another attempt is planned although nothing changed locally.
        assert agent._timer.isActive() and 15 <= agent.status.next_attempt_s <= 30
        assert "秒后" in page.next_label.text()
    finally:
        agent.shutdown()
        ctx.tasks.shutdown()


def test_enroll_in_the_dialog_then_sync_in_the_background(qtbot, ctx, tmp_path, monkeypatch):
    from pzh_core.domain.activity import Activity
    from pzh_station.services.activities import ActivityService
    from pzh_station.ui.sync_page import agent as agent_mod
    from tests.server_fixtures import start_server
    from tests.sync_helpers import PC

    monkeypatch.setattr(agent_mod, "CHANGE_DELAY_MS", 50)
    with start_server(tmp_path / "server") as server:
        station = server.create_station("大田镇综合文化站", "仁和区")
        window = MainWindow(ctx)
        qtbot.addWidget(window)
        show_started(qtbot, window)
        agent = agent_for(ctx)
        page = window.show_page("sync")
        dialog = page.open_enroll()
        dialog.server_edit.clear()
        type_text(qtbot, dialog.server_edit, server.url)
        type_text(qtbot, dialog.code_edit, server.issue_code(station))
        dialog.ok_button.click()
        qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=15_000)
        wait_phase(qtbot, agent, "online")
        assert agent.status.pending == 0 and "已联网" in window.sync_status.label.text()
        assert "待上传 0 条" in window.sync_status.label.text() and "今天" in page.last_label.text()
        # A local change leaves the PC soon, by itself.
        ctx.tasks.run(
            lambda s: ActivityService(s).save(Activity(title="秧歌比赛", date="2026-11-01")),
        )
        qtbot.waitUntil(
            lambda: (
                agent.status.last_result is not None
                and agent.status.last_result.pushed >= 1
                and agent.status.phase == "online"
                and not agent.busy
            ),
            timeout=15_000,
        )
        # Another PC's row arrives and the views hear of it.
        other = PC(tmp_path, "laptop")
        other.enroll(server.url, server.issue_code(station))
        rid = other.store.write("people", None, {"name": "别的电脑登记"})
        other.sync()
        with qtbot.waitSignal(
            ctx.tasks.changed, timeout=15_000, check_params_cb=lambda areas: "people" in areas
        ):
            page.sync_button.click()
        found = []
        ctx.tasks.run(lambda s: s.store.get("people", rid), success=found.append)
        qtbot.waitUntil(lambda: bool(found), timeout=5_000)
        assert found[0]["name"] == "别的电脑登记"
        agent.shutdown()


def test_background_agent_syncs_at_start_and_retries_by_itself_after_failures(
    qtbot, services, tmp_path, monkeypatch
):
    """An enrolled PC with changes waiting: the app syncs soon after start; when the link fails,
    it tries again after a backoff without anyone doing anything, and gets through."""
    from pzh_station.sync_client import SyncClient
    from pzh_station.ui.sync_page import agent as agent_mod
    from tests.fault_proxy import FaultProxy
    from tests.server_fixtures import start_server

    monkeypatch.setattr(agent_mod, "BACKOFF_BASE_S", 0.05)
    with start_server(tmp_path / "server") as server:
        station = server.create_station("大田镇综合文化站", "仁和区")
        host, port = server.url.removeprefix("http://").split(":")
        with FaultProxy((host, int(port))) as proxy:
            SyncClient(services.store).enroll(proxy.url, server.issue_code(station))
            services.store.write("people", None, {"name": "启动前登记"})
            waiting = SyncState.load(services.store).pending
            assert waiting > 1
            for _ in range(2):
                proxy.cut_next("up", 0)  # the first two attempts find no link
            ctx = make_ctx(services.data_dir)
            agent = agent_for(ctx, retry=RetryPolicy(attempts=1, sleep=lambda s: None))
            phases: list[str] = []
            agent.status_changed.connect(lambda st: phases.append(st.phase))
            try:
                window = MainWindow(ctx)
                qtbot.addWidget(window)
                show_started(qtbot, window)
                qtbot.waitUntil(
                    lambda: (
                        agent.status.phase == "online"
                        and agent.status.state.last_success
                        and not agent.busy
                    ),
                    timeout=20_000,
                )
                assert "offline" in phases  # it failed first…
                assert agent.status.pending == 0  # …and got everything through by itself
                assert (
                    "已联网" in window.sync_status.label.text()
                    and "待上传 0 条" in window.sync_status.label.text()
                )
                assert proxy.stats.connections >= 3
            finally:
                agent.shutdown()
                ctx.tasks.shutdown()


def test_sync_page_lists_set_aside_changes_and_says_done_only_when_verified(qtbot, ctx, tmp_path):
    """A change the server refused is listed with what, why and what to do (the row shows the
    server's value again); 同步完成 is shown when the digests match."""
    from tests.server_fixtures import start_server

    with start_server(tmp_path / "server") as server:
        station = server.create_station("大田镇综合文化站", "仁和区")
        window = MainWindow(ctx)
        qtbot.addWidget(window)
        window.resize(1366, 768)
        show_started(qtbot, window)
        agent = agent_for(ctx)
        page = window.show_page("sync")
        with qtbot.waitSignal(agent.enrolled, timeout=20_000):
            agent.enroll(server.url, server.issue_code(station))
        wait_phase(qtbot, agent, "online")
        # The name typed on this PC gave way to the station's (issue 12, situation 8).
        assert page.notice_label.isVisible()
        assert "测试镇综合文化站" in page.notice_label.text()
        assert "已采用服务器上的“大田镇综合文化站”" in page.notice_label.text()
        rid: list[str] = []
        ctx.tasks.run(
            lambda s: s.store.write("activities", None, {"title": "秧歌比赛"}), success=rid.append
        )
        qtbot.waitUntil(lambda: bool(rid))
        agent.sync_now()
        wait_phase(qtbot, agent, "online")
        assert "同步完成" in page.check_label.text()
        assert "同步完成" in window.sync_status.label.text()
        # An older desk let a 10,001-character title through: the server sets it aside.
        written = []
        ctx.tasks.run(
            lambda s: s.store.write("activities", rid[0], {"title": "长" * 10_001}),
            success=written.append,
        )
        qtbot.waitUntil(lambda: bool(written))
        wait_phase(qtbot, agent, "online")
        agent.sync_now()
        wait_phase(qtbot, agent, "online")
        qtbot.waitUntil(lambda: page.set_aside_list.count() == 1, timeout=10_000)
        assert page.set_aside_box.isVisible() and "有 1 条修改" in page.set_aside_label.text()
        text = page.set_aside_list.item(0).text()
        assert "活动" in text and "10000" in text and "恢复为服务器上的内容" in text
        assert "1 条修改未被接受" in window.sync_status.label.text()
        assert "同步完成" in page.check_label.text()
        back = []
        ctx.tasks.run(lambda s: s.store.get("activities", rid[0]), success=back.append)
        qtbot.waitUntil(lambda: bool(back))
        assert back[0]["title"] == "秧歌比赛"
        page.set_aside_list.setCurrentRow(0)
        page.dismiss_button.click()
        qtbot.waitUntil(lambda: page.set_aside_list.count() == 0, timeout=10_000)
        assert not page.set_aside_box.isVisible()
        agent.shutdown()
