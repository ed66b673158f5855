"""A change the desk accepted but the city server refuses (issue 12, situation 4): it is set aside
where staff can see it (sync page, ``pzh-station sync-status``: what, why, what to do), the row
takes the server's value again, and everything else keeps syncing both ways. Real server on
loopback; syncs run as ``pzh-station`` processes on real files."""

from __future__ import annotations

from pzh_station.store import Store, set_aside
from tests import server_fixtures
from tests.e2e.test_sync_epoch import cli, cli_sync, enrolled_pc, replica, rows, write
from tests.server_fixtures import LiveServer
from tests.sync_helpers import server_rows

sync_server = server_fixtures.sync_server


def test_a_refused_change_is_set_aside_and_the_rest_keeps_syncing(
    tmp_path, sync_server: LiveServer
):
    station = sync_server.create_station("大田镇综合文化站", "仁和区")
    a = enrolled_pc(tmp_path, "desk", sync_server, station)
    b = enrolled_pc(tmp_path, "laptop", sync_server, station)
    shared = write(a, "activities", None, {"title": "广场舞展演", "attendance": 80})
    cli_sync(a)
    # An older desk had no limit: a 10,001-character title goes into the outbox (the store
    # itself takes it; today's forms refuse it at the field), with a good change after it.
    write(a, "activities", shared, {"title": "长" * 10_001})
    good = write(a, "people", None, {"name": "正常登记"})
    out = cli_sync(a)
    assert "有 1 条修改未被市服务器接受" in out and "同步完成" in out, out
    # The row shows the server's value again; the refused value is listed with the reason.
    assert rows(a, "activities")[shared]["title"] == "广场舞展演"
    store = Store(a / "station.sqlite3")
    try:
        (item,) = set_aside.open_items(store)
    finally:
        store.close()
    assert item["tbl"] == "activities" and item["fields"]["title"] == "长" * 10_001
    assert item["code"] == "too_long"
    status = cli(a, "sync-status").stdout
    assert "有 1 条修改未被市服务器接受" in status and "10000" in status, status
    # Everything else keeps syncing, both ways.
    assert server_rows(sync_server, "people", station)[good]["name"] == "正常登记"
    from_b = write(b, "people", None, {"name": "笔记本登记"})
    cli_sync(b)
    assert "同步完成" in cli_sync(a)
    assert rows(a, "people")[from_b]["name"] == "笔记本登记"
    # Entered again correctly, it goes through.
    write(a, "activities", shared, {"title": "广场舞展演（改）"})
    cli_sync(a)
    cli_sync(b)
    assert rows(b, "activities")[shared]["title"] == "广场舞展演（改）"
    assert replica(a) == replica(b)
