"""A long first sync shows its progress in the status bar (rows of the total, a bar) and 取消
stops it between two exchanges — with the real server on loopback, offscreen."""

from __future__ import annotations

import pytest

from pzh_station.sync_client import RetryPolicy
from pzh_station.ui.main_window import MainWindow
from pzh_station.ui.sync_page.agent import agent_for
from tests import server_fixtures
from tests.server_fixtures import LiveServer
from tests.sync_helpers import PC
from tests.ui_helpers import make_ctx, show_started

sync_server = server_fixtures.sync_server
ROWS = 1_200
SHOTS = None  # a Path here keeps the screenshots


@pytest.fixture
def station(tmp_path, sync_server: LiveServer) -> str:
    """A station whose other PC has pushed ROWS activities."""
    station = sync_server.create_station("大田镇综合文化站", "仁和区")
    source = PC(tmp_path, "source")
    source.enroll(sync_server.url, sync_server.issue_code(station))
    with source.store.transaction():
        for i in range(ROWS):
            source.store.write("activities", None, {"title": f"活动 {i}", "attendance": i})
    source.sync()
    return station


def desk(qtbot, tmp_path, name: str):
    ctx = make_ctx(tmp_path / name)
    agent = agent_for(ctx, retry=RetryPolicy(attempts=1, sleep=lambda s: None))
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.resize(1366, 738)
    show_started(qtbot, window)
    return ctx, agent, window


def close(ctx, agent) -> None:
    agent.shutdown()
    ctx.tasks.shutdown()


def test_first_sync_shows_rows_of_the_total_in_the_status_bar(
    qtbot, tmp_path, sync_server, station
):
    ctx, agent, window = desk(qtbot, tmp_path, "desk")
    bar = window.sync_status
    seen: list[tuple[str, int, int, bool]] = []

    def record(status) -> None:  # after the widget's own slot: what the person sees
        if status.phase == "syncing" and status.progress is not None:
            seen.append(
                (
                    bar.label.text(),
                    bar.bar.value(),
                    bar.bar.maximum(),
                    bar.cancel_button.isVisible(),
                )
            )
            if len(seen) == 1:
                window.grab().save(str((SHOTS or tmp_path) / "sync-progress-1366.png"))

    agent.status_changed.connect(record)
    try:
        agent.enroll(sync_server.url, sync_server.issue_code(station))  # then the first sync
        qtbot.waitUntil(lambda: agent.status.phase == "online" and not agent.busy, timeout=60_000)
        qtbot.waitUntil(lambda: agent.status.last_result is not None, timeout=60_000)
        total = agent.status.last_result.pulled
        assert total > ROWS
        assert len(seen) >= 3, seen
        text, value, maximum, cancel_shown = seen[0]
        assert text.startswith(f"正在同步：下载 500/{total:,} 条"), text
        assert maximum == 1000 and value == round(500 / total * 1000) and cancel_shown
        assert [v for _, v, _, _ in seen] == sorted(v for _, v, _, _ in seen)
        # Done: the bar and 取消 go, 立即同步 comes back.
        assert not bar.bar.isVisible() and not bar.cancel_button.isVisible()
        assert bar.now_button.isVisible() and "正在同步" not in bar.label.text()
    finally:
        close(ctx, agent)


def test_cancel_stops_the_sync_between_exchanges_and_keeps_what_came(
    qtbot, tmp_path, sync_server, station
):
    ctx, agent, window = desk(qtbot, tmp_path, "laptop")
    bar = window.sync_status

    def cancel_at_first(status) -> None:
        if (
            status.phase == "syncing"
            and status.progress is not None
            and bar.cancel_button.isVisible()
        ):
            bar.cancel_button.click()

    agent.status_changed.connect(cancel_at_first)
    try:
        agent.enroll(sync_server.url, sync_server.issue_code(station))
        qtbot.waitUntil(lambda: agent.status.phase == "online" and not agent.busy, timeout=60_000)
        agent.status_changed.disconnect(cancel_at_first)
        count = ctx.tasks.call(
            lambda s: s.store.conn.execute("SELECT count(*) FROM activities").fetchone()[0]
        )
        assert 0 < count < ROWS  # stopped after one or two pages of 500
        assert agent.status.error == "" and agent.status.state.last_error == ""
        assert "同步出错" not in bar.label.text()
        agent.sync_now()  # the next sync brings the rest
        qtbot.waitUntil(lambda: agent.status.phase == "online" and not agent.busy, timeout=60_000)
        count = ctx.tasks.call(
            lambda s: s.store.conn.execute("SELECT count(*) FROM activities").fetchone()[0]
        )
        assert count == ROWS
    finally:
        close(ctx, agent)
