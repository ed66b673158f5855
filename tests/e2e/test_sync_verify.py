"""Verified convergence end to end (issue 12): real server on loopback, PCs on real files.
A sync says verified only when the digests match; a silently diverged replica is found and
repaired by a targeted resync of the differing buckets, both ways."""

from __future__ import annotations

import json
import sqlite3

from pzh_core import digest, hlc
from pzh_core.stored_clocks import decode, encode
from tests import server_fixtures
from tests.fault_proxy import FaultProxy
from tests.server_fixtures import LiveServer
from tests.sync_helpers import PC, server_rows
from tests.web_support import PASSWORD, web_client

sync_server = server_fixtures.sync_server


def _host_port(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)


def _server_digest_matches_its_rows(server: LiveServer, station: str) -> None:
    """The incrementally kept digest equals one computed from the rows."""
    conn = sqlite3.connect(server.data_dir / "server.sqlite3")
    try:
        kept = {
            t: v & digest.MASK
            for t, v in conn.execute(
                "SELECT tbl, value FROM srv_digest_table WHERE station_id = ?", (station,)
            )
        }
        for table, value in kept.items():
            rows = conn.execute(
                f"SELECT id, clocks FROM {table} WHERE station_id = ?", (station,)
            ).fetchall()
            assert digest.table_digest(table, rows).value == value, table
    finally:
        conn.close()


def test_synced_replicas_verify_and_a_diverged_one_is_repaired_both_ways(
    tmp_path, sync_server: LiveServer
):
    station = sync_server.create_station()
    a, b = PC(tmp_path, "a"), PC(tmp_path, "b")
    a.enroll(sync_server.url, sync_server.issue_code(station))
    b.enroll(sync_server.url, sync_server.issue_code(station))
    ids = [
        a.store.write("activities", None, {"title": f"活动{i}", "attendance": i})
        for i in range(300)
    ]
    assert a.sync().verified
    result = b.sync()
    assert result.verified and not result.checks[0].requests  # no extra request when equal
    _server_digest_matches_its_rows(sync_server, station)

    # B's file silently loses a row and a field edit (as a restore or a crash could do), and
    # holds one field at a newer stamp that was never logged (so never pushed).
    lost, edited, unlogged = ids[10], ids[20], ids[30]
    newer = hlc.encode(hlc.wall_ms() - 1000, 0, b.store.device_id)
    with b.store.transaction() as conn:
        conn.execute("DELETE FROM activities WHERE id = ?", (lost,))
        conn.execute(
            "UPDATE activities SET title = '旧标题', clocks = ? WHERE id = ?",
            # fmt: skip
            (
                json.dumps({"title": "0000000000001.0000.x", "attendance": "0000000000001.0000.x"}),
                edited,
            ),
        )
        row = b.store.get("activities", unlogged)
        clocks = {**decode("activities", row["clocks"]), "place": newer}
        conn.execute("UPDATE activities SET place = '新地点', clocks = ? WHERE id = ?",
                     (encode("activities", clocks), unlogged))  # fmt: skip
    with FaultProxy(_host_port(sync_server.url)) as proxy:
        result = _sync_through(b, proxy)
        check = result.checks[0]
    assert result.verified, result.checks
    assert check.tables == ("activities",) and 1 <= check.buckets <= 3
    assert check.logged == 1  # B's never-pushed field goes up ...
    assert b.store.get("activities", lost)["title"] == "活动10"  # ... what B lost comes back
    assert b.store.get("activities", edited)["title"] == "活动20"
    assert server_rows(sync_server, "activities", station)[unlogged]["place"] == "新地点"
    # Targeted: far less than the table (300 rows) went over the wire.
    full = sum(len(json.dumps(r, ensure_ascii=False)) for r in a.snapshot()["activities"].values())
    assert proxy.stats.bytes_down < full / 4, (proxy.stats.bytes_down, full)
    a.sync()
    assert a.store.get("activities", unlogged)["place"] == "新地点"
    assert a.snapshot() == b.snapshot()
    _server_digest_matches_its_rows(sync_server, station)

    # The sync-health record shows it: the mismatch when it was found, then equal again.
    device = b.store.meta("sync_device_id")
    assert _device_check(sync_server, device) == (0, "activities")
    b.sync()  # tells the server its last check came out equal
    assert _device_check(sync_server, device) == (1, "activities")
    sync_server.admin("create-user", "--name", "city", "--role", "city", "--password", PASSWORD)
    with web_client(sync_server.url, "city") as c:
        row = c.get("/web/health").text.split(f'data-device="{device}"')[1].split("</tr>")[0]
    assert "一致" in row and "不一致" not in row


def _device_check(server: LiveServer, device: str) -> tuple[int, str]:
    conn = sqlite3.connect(server.data_dir / "server.sqlite3")
    try:
        return conn.execute(
            "SELECT digest_ok, digest_differs FROM srv_devices WHERE id = ?", (device,)
        ).fetchone()
    finally:
        conn.close()


def _sync_through(pc: PC, proxy: FaultProxy):
    """Sync ``pc`` through the proxy (same server): its URL is rewritten for this one sync."""
    old = pc.store.meta("sync_server_url")
    pc.store.set_meta("sync_server_url", proxy.url)
    try:
        return pc.sync()
    finally:
        pc.store.set_meta("sync_server_url", old or "")
