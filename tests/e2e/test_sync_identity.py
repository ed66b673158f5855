"""Device identity end to end: CLI-side clients on real files, a real server on loopback, and a
link that loses answers (issue 12, situation 5)."""

from __future__ import annotations

import sqlite3

import pytest

from pzh_station.sync_client import RetryPolicy, SyncError
from tests import server_fixtures
from tests.fault_proxy import FaultProxy
from tests.server_fixtures import LiveServer
from tests.sync_helpers import PC

sync_server = server_fixtures.sync_server


def _host_port(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)


def _device_count(server: LiveServer) -> int:
    conn = sqlite3.connect(server.data_dir / "server.sqlite3")
    try:
        return conn.execute("SELECT count(*) FROM srv_devices").fetchone()[0]
    finally:
        conn.close()


def test_lost_enrollment_answers_end_in_one_device(tmp_path, sync_server: LiveServer):
    """The answer is lost once (the client's own retry gets the same device), then lost on every
    try of an attempt (the user tries again later with the same code): one device, enrolled."""
    station = sync_server.create_station()
    code = sync_server.issue_code(station)
    with FaultProxy(_host_port(sync_server.url)) as proxy:
        pc = PC(tmp_path, "pc")
        proxy.drop_next_responses(1)
        first = pc.enroll(proxy.url, code)
        assert proxy.stats.dropped_responses == 1
        assert _device_count(sync_server) == 1

        other = PC(tmp_path, "other", retry=RetryPolicy(attempts=2, base_s=0.01, max_s=0.01))
        code2 = sync_server.issue_code(station)
        proxy.drop_next_responses(2)
        with pytest.raises(SyncError) as err:
            other.enroll(proxy.url, code2)
        assert err.value.transient
        again = other.enroll(proxy.url, code2)  # later, the same code typed again
        assert _device_count(sync_server) == 2
        assert again.device_id != first.device_id
        other.store.write("people", None, {"name": "登记后录入"})
        assert other.sync().pushed == 1
