"""Values in the digest end to end (issue 12, verified convergence): two copies that hold the same
field stamps but a different value for a field are told apart, the differing bucket is fetched,
the server's value is taken (it is the reference every PC agrees with), and only then does the
sync say 同步完成. Real server on loopback; the PCs' syncs run as ``pzh-station`` processes on
real files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pzh_core.stored_clocks import decode
from tests import server_fixtures
from tests.e2e.test_sync_epoch import cli, cli_sync, enrolled_pc, replica, rows, write
from tests.server_fixtures import LiveServer
from tests.sync_helpers import server_rows

sync_server = server_fixtures.sync_server


def _edit_outside_the_app(data_dir: Path, row_id: str, **values) -> None:
    """A value changed under its stamp (the clocks stay): what a copy made while the clock stood
    behind, or an edit of the file by hand, leaves."""
    conn = sqlite3.connect(data_dir / "station.sqlite3")
    try:
        sets = ", ".join(f"{k} = ?" for k in values)
        with conn:
            conn.execute(f"UPDATE activities SET {sets} WHERE id = ?", (*values.values(), row_id))
    finally:
        conn.close()


def _device_check(server: LiveServer, device: str) -> tuple[int, str]:
    row = server.query("SELECT digest_ok, digest_differs FROM srv_devices WHERE id = ?", (device,))
    return row[0]["digest_ok"], row[0]["digest_differs"]


def test_equal_stamps_with_different_values_are_found_and_the_servers_value_is_taken(
    tmp_path, sync_server: LiveServer
):
    station = sync_server.create_station("大田镇综合文化站", "仁和区")
    a = enrolled_pc(tmp_path, "a", sync_server, station)
    b = enrolled_pc(tmp_path, "b", sync_server, station)
    ids = [
        write(a, "activities", None, {"title": f"讲座{i}", "attendance": i, "place": "礼堂"})
        for i in range(40)
    ]
    assert "同步完成" in cli_sync(a)
    assert "同步完成" in cli_sync(b)
    assert replica(a) == replica(b)
    before = {i: decode("activities", r["clocks"]) for i, r in rows(b, "activities").items()}

    # B holds another title and attendance for one row, under the very same stamps.
    _edit_outside_the_app(b, ids[7], title="改过的标题", attendance=999)
    out = cli_sync(b)

    held = rows(b, "activities")
    assert held[ids[7]]["title"] == "讲座7" and held[ids[7]]["attendance"] == 7, out
    assert "同步完成" in out
    assert {i: decode("activities", r["clocks"]) for i, r in held.items()} == before  # no re-stamp
    srv = server_rows(sync_server, "activities", station)
    assert srv[ids[7]]["title"] == "讲座7"  # the server's value is the reference: it stays
    assert "同步完成" in cli_sync(a)
    assert replica(a) == replica(b)
    # The server's sync-health record shows the mismatch that was repaired, then equal again.
    device = _device_id(b)
    assert _device_check(sync_server, device) == (0, "activities")
    cli_sync(b)
    assert _device_check(sync_server, device)[0] == 1
    status = cli(b, "sync-status").stdout
    assert "一致" in status and "尚未确认" not in status


def _device_id(data_dir: Path) -> str:
    conn = sqlite3.connect(data_dir / "station.sqlite3")
    try:
        return conn.execute("SELECT value FROM meta WHERE key = 'sync_device_id'").fetchone()[0]
    finally:
        conn.close()
