"""Station PCs syncing with the real city server on loopback: real clients, real SQLite files.

Two PCs of one station converge after offline edits on both, in either order; a PC of another
station sees none of it and cannot write into it; a revoked PC is refused with a clear message
and comes back by re-enrolling without losing anything; an old client is told to upgrade.
"""

from __future__ import annotations

import time

import pytest

from pzh_core import schema
from pzh_station.sync_client import SyncError, SyncState
from tests import server_fixtures
from tests.server_fixtures import LiveServer
from tests.sync_helpers import PC, server_rows

sync_server = server_fixtures.sync_server


def later() -> None:
    # Later in true time by more than two PCs' learned clock offsets can differ (half a round
    # trip each; tens of ms on a loaded machine): equal ms would go by device id.
    time.sleep(0.25)


@pytest.mark.parametrize("order", ["AB", "BA"])
def test_two_pcs_of_one_station_converge_after_offline_edits(
    tmp_path, sync_server: LiveServer, order
):
    station = sync_server.create_station("大田镇综合文化站", "仁和区")
    a, b, c = PC(tmp_path, "desk"), PC(tmp_path, "laptop"), PC(tmp_path, "other")
    # A has worked offline for weeks under a station id of its own.
    a.set_up_offline("大田镇综合文化站")
    local_station = a.store.station_id
    shared = a.store.write(
        "activities", None, {"title": "广场舞展演", "attendance": 80, "place": "文化广场"}
    )
    gone = a.store.write("activities", None, {"title": "取消的讲座"})
    a.store.delete("activities", gone)
    # Every change but the profile's, which waits for the server's (issue 12, situation 8).
    n_before = a.store.conn.execute(
        "SELECT count(*) FROM changes WHERE tbl != 'stations'"
    ).fetchone()[0]
    result = a.enroll(sync_server.url, sync_server.issue_code(station))
    assert result.kept_changes == n_before and a.store.station_id == station != local_station
    # B is a fresh laptop: the station comes from the server.
    b.enroll(sync_server.url, sync_server.issue_code(station))
    assert b.store.station_id == station
    b.sync()
    assert b.store.get("activities", shared) is None  # A has not pushed yet
    a.sync()
    b.sync()
    assert b.store.get("activities", shared)["attendance"] == 80
    # Both go offline and edit: different fields of one row, the same field, new rows, a delete,
    # and the same attendance record (deterministic id) on both.
    a.store.write("activities", shared, {"attendance": 95})
    later()
    b.store.write("activities", shared, {"place": "村委会院坝"})
    later()
    b.store.write("activities", shared, {"title": "广场舞展演（B改）"})
    later()
    a.store.write("activities", shared, {"title": "广场舞展演（A后改）"})  # later: wins
    new_a = a.store.write("people", None, {"name": "张三", "village": "大田村"})
    new_b = b.store.write("people", None, {"name": "李四", "village": "小田村"})
    mark = schema.det_id("attendance", "session-1", "person-1")
    a.store.write(
        "attendance", mark, {"session_id": "session-1", "person_id": "person-1", "mark": "present"}
    )
    later()
    b.store.write(
        "attendance", mark, {"session_id": "session-1", "person_id": "person-1", "mark": "late"}
    )
    b.store.delete("people", new_b)
    first, second = (a, b) if order == "AB" else (b, a)
    first.sync()
    second.sync()
    first.sync()
    assert a.snapshot() == b.snapshot()
    row = a.store.get("activities", shared)
    assert (row["title"], row["attendance"], row["place"]) == (
        "广场舞展演（A后改）",
        95,
        "村委会院坝",
    )
    assert a.store.get("attendance", mark)["mark"] == "late"
    assert (
        a.store.get("people", new_b)["deleted"] is True
        and a.store.get("people", new_a)["name"] == "张三"
    )
    assert a.store.get("activities", gone)["deleted"] is True
    assert a.pending() == b.pending() == 0
    # The server holds the same rows.
    srv = server_rows(sync_server, "activities", station)
    assert srv[shared]["title"] == "广场舞展演（A后改）" and srv[shared]["place"] == "村委会院坝"
    # A PC of another station sees none of it...
    other = sync_server.create_station("平地镇综合文化站", "仁和区")
    c.enroll(sync_server.url, sync_server.issue_code(other))
    c.sync()
    snap = c.snapshot()
    assert all(r["station_id"] == other for rows in snap.values() for r in rows.values())
    assert shared not in snap["activities"] and new_a not in snap["people"]
    # ...and cannot write into it, whatever ids it sends.
    c.store.write("activities", shared, {"title": "别的站改的"})
    with pytest.raises(SyncError) as err:
        c.sync()
    assert err.value.kind == "forbidden" and "信息员" in err.value.message
    assert server_rows(sync_server, "activities", station)[shared]["title"] == "广场舞展演（A后改）"
    a.sync()
    assert a.store.get("activities", shared)["title"] == "广场舞展演（A后改）"


def test_idle_sync_is_one_request_and_no_echo_of_own_changes(tmp_path, sync_server: LiveServer):
    station = sync_server.create_station()
    a = PC(tmp_path, "a")
    a.enroll(sync_server.url, sync_server.issue_code(station))
    for i in range(20):
        a.store.write("people", None, {"name": f"居民{i}"})
    first = a.sync()
    assert first.pushed == 20 and first.requests == 1
    idle = a.sync()
    assert (idle.requests, idle.pushed, idle.pulled) == (1, 0, 0)
    assert SyncState.load(a.store).last_success


def test_revoked_pc_is_refused_clearly_and_keeps_everything_until_re_enrolled(
    tmp_path, sync_server: LiveServer
):
    station = sync_server.create_station()
    a, b = PC(tmp_path, "a"), PC(tmp_path, "b")
    device = a.enroll(sync_server.url, sync_server.issue_code(station)).device_id
    b.enroll(sync_server.url, sync_server.issue_code(station))
    a.store.write("people", None, {"name": "撤销前"})
    a.sync()
    sync_server.revoke(device)
    kept = a.store.write("people", None, {"name": "撤销后记录"})
    with pytest.raises(SyncError) as err:
        a.sync()
    assert (
        err.value.kind == "unauthorized"
        and "重新注册" in err.value.message
        and "不会丢失" in err.value.message
    )
    st = SyncState.load(a.store)
    assert st.last_error == err.value.message and st.pending == 1
    # A new code: everything is pushed again (idempotent), nothing lost, nothing doubled.
    a.enroll(sync_server.url, sync_server.issue_code(station))
    a.sync()
    b.sync()
    assert b.store.get("people", kept)["name"] == "撤销后记录"
    assert len(server_rows(sync_server, "people", station)) == 2


def test_an_old_client_is_told_to_upgrade(tmp_path, sync_server: LiveServer, monkeypatch):
    station = sync_server.create_station()
    a = PC(tmp_path, "a")
    a.enroll(sync_server.url, sync_server.issue_code(station))
    from pzh_station.sync_client import transport

    monkeypatch.setattr(transport, "PROTOCOL_VERSION", 0)
    with pytest.raises(SyncError) as err:
        a.sync()
    assert err.value.kind == "upgrade" and "新版本" in err.value.message


def test_spent_and_unknown_codes_are_explained(tmp_path, sync_server: LiveServer):
    station = sync_server.create_station()
    code = sync_server.issue_code(station)
    PC(tmp_path, "a").enroll(sync_server.url, code)
    for typed in (code, "ZZZZ-ZZZZ"):
        pc = PC(tmp_path, f"pc-{typed}")
        with pytest.raises(SyncError) as err:
            pc.enroll(sync_server.url, typed)
        assert err.value.kind == "bad_code" and "新的注册码" in err.value.message
        assert not SyncState.load(pc.store).enrolled and pc.store.station_id is None


def test_cli_enroll_and_sync_and_a_failure_in_chinese(cli, sync_server: LiveServer):
    station = sync_server.create_station("大田镇综合文化站", "仁和区")
    code = sync_server.issue_code(station)
    done = cli("enroll", "--server", sync_server.url, "--code", code.lower())
    assert done.returncode == 0, done.stderr
    assert "注册成功" in done.stdout and "大田镇综合文化站" in done.stdout
    cli(
        "init", "--station", "大田镇综合文化站", "--county", "仁和区", "--staff", "李明", check=True
    )
    synced = cli("sync")
    assert synced.returncode == 0, synced.stderr
    assert "同步完成" in synced.stdout and "待上传 0 条" in synced.stdout
    status = cli("sync-status", check=True).stdout
    assert sync_server.url in status and "待上传的修改：0 条" in status
    sync_server.stop()
    failed = cli("sync")
    assert failed.returncode == 3
    assert (
        "同步失败" in failed.stderr
        and "无法连接同步服务器" in failed.stderr
        and "Traceback" not in failed.stderr
    )
    again = cli("enroll", "--server", "ftp://x", "--code", "ABCD-EFGH")
    assert again.returncode == 3 and "服务器地址无效" in again.stderr
