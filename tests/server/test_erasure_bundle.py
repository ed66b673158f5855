"""Erasure of a person's personal data over USB bundles (issue 13, §5), both directions, on both
engines: an erasure made on a PC without network reaches the server in its bundle and scrubs the
server's feed and set-aside list; an erasure made on another PC reaches an offline PC in its
answer bundle and scrubs its rows and logs — and that PC's own offline edits of her personal
fields come back set aside (code ``erased``) with the server's values. Real server on loopback
(``admin import-bundle`` as a process); the PCs' erasure, export, import and sync run as
``pzh-station`` processes on real files."""

from __future__ import annotations

from tests import server_fixtures
from tests.e2e.test_sync_epoch import cli, cli_sync, write
from tests.e2e.test_usb_bundle_set_aside import (
    by_usb,
    desk_root,
    open_items,
    server_root,
    usb_ready,
)
from tests.server.test_erasure_sync import (
    assert_erased_everywhere,
    edit_offline,
    erase_on,
    two_pcs,
)
from tests.server_fixtures import LiveServer

sync_server = server_fixtures.sync_server


def test_an_erasure_on_an_offline_pc_reaches_the_server_by_bundle(
    tmp_path, sync_server: LiveServer
):
    a, b, station, vid, pid = two_pcs(tmp_path, sync_server)
    usb_ready(a, sync_server)
    # The laptop's change the server refuses holds her name: it is kept in the set-aside lists.
    write(b, "people", pid, {"notes": "刘晓梅" + "长" * 10_001})
    assert "有 1 条修改未被市服务器接受" in cli_sync(b)
    kept = sync_server.query("SELECT fields FROM srv_set_aside WHERE station_id = ?", (station,))
    assert any("刘晓梅" in r["fields"] for r in kept)
    # The desk has no network: she asks to be erased there; the bundle carries the erasure.
    erase_on(a)
    out = by_usb(sync_server, a, "desk")
    assert "未被市服务器接受" not in out, out
    assert desk_root(a) == server_root(sync_server, station)
    cli_sync(b)
    assert_erased_everywhere(sync_server, station, vid, pid, a, b)
    assert "同步完成" in cli_sync(a) and "同步完成" in cli_sync(b)


def test_an_erasure_reaches_an_offline_pc_in_its_answer_bundle(tmp_path, sync_server: LiveServer):
    a, b, station, vid, pid = two_pcs(tmp_path, sync_server)
    usb_ready(a, sync_server)
    erase_on(b)
    cli_sync(b)
    # The desk has no network and has not seen the erasure: it takes an edit of her data.
    edit_offline(a, vid)
    other = write(a, "activities", None, {"title": "离线时录入的讲座", "attendance": 30})
    out = by_usb(sync_server, a, "desk")
    assert "有 2 条修改未被市服务器接受" in out, out
    items = open_items(a)
    assert sorted(i["tbl"] for i in items) == ["people", "volunteers"]
    assert all(i["code"] == "erased" for i in items), items
    status = cli(a, "sync-status").stdout
    assert "有 2 条修改未被市服务器接受" in status and "待上传的修改：0 条" in status, status
    assert other in {r["id"] for r in sync_server.query("SELECT id FROM activities")}
    assert desk_root(a) == server_root(sync_server, station)
    cli_sync(b)
    # Rows, change log, received log and set-aside list on both PCs and the server: no trace.
    assert_erased_everywhere(sync_server, station, vid, pid, a, b)
    assert "同步完成" in cli_sync(a) and "同步完成" in cli_sync(b)
