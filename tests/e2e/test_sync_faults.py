"""A bad link between the PCs and the real server: answers lost after the server committed,
connections cut at random byte offsets in both directions. Every run ends with every change
on every replica exactly once: no loss, no duplicates."""

from __future__ import annotations

import pytest

from pzh_station.sync_client import RetryPolicy, SyncError
from pzh_station.sync_client import client as client_mod
from tests import server_fixtures
from tests.fault_proxy import FaultProxy
from tests.server_fixtures import LiveServer
from tests.sync_helpers import PC, server_feed_count, server_rows

sync_server = server_fixtures.sync_server


def host_port(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)


def sync_until_done(pc: PC, *, tries: int = 40, **kw) -> int:
    """Sync as the background agent would: again after every failure. Returns the failures."""
    failures = 0
    for _ in range(tries):
        try:
            pc.sync(**kw)
            return failures
        except SyncError as exc:
            assert exc.transient, exc.message
            failures += 1
    raise AssertionError(f"{pc.name} never finished a sync")


def test_answer_lost_after_the_server_committed_changes_nothing_twice(
    tmp_path, sync_server: LiveServer
):
    station = sync_server.create_station()
    with FaultProxy(host_port(sync_server.url)) as proxy:
        a, b = PC(tmp_path, "a"), PC(tmp_path, "b")
        device = a.enroll(proxy.url, sync_server.issue_code(station)).device_id
        b.enroll(proxy.url, sync_server.issue_code(station))
        ids = [a.store.write("people", None, {"name": f"居民{i}"}) for i in range(25)]
        proxy.drop_next_responses(2)
        result = a.sync()
        assert proxy.stats.dropped_responses == 2 and result.requests == 3
        assert server_feed_count(sync_server, device) == 25  # applied once, though sent three times
        assert a.pending() == 0
        # The same for a pull whose answer is lost: the page comes again, merges to the same rows.
        proxy.drop_next_responses(1)
        b.sync()
        assert sorted(b.snapshot()["people"]) == sorted(ids)
        assert b.store.conn.execute("SELECT count(*) FROM people").fetchone()[0] == 25


def test_an_offline_pc_fails_with_a_clear_message_and_keeps_its_changes(
    tmp_path, sync_server: LiveServer
):
    station = sync_server.create_station()
    proxy = FaultProxy(host_port(sync_server.url))
    a = PC(tmp_path, "a", retry=RetryPolicy(attempts=2, base_s=0.01, max_s=0.01))
    a.enroll(proxy.url, sync_server.issue_code(station))
    a.store.write("people", None, {"name": "离线时登记"})
    proxy.close()  # the link is gone
    with pytest.raises(SyncError) as err:
        a.sync()
    assert err.value.kind == "offline" and "联网后会自动同步" in err.value.message
    assert a.pending() == 1


@pytest.mark.parametrize("seed", range(4))
def test_cuts_at_random_byte_offsets_both_ways_lose_and_double_nothing(
    tmp_path, sync_server: LiveServer, monkeypatch, seed
):
    monkeypatch.setattr(client_mod, "PULL_LIMIT", 17)  # many pages, so cuts hit pulls too
    station = sync_server.create_station()
    with FaultProxy(host_port(sync_server.url), seed=seed, max_offset=1200) as proxy:
        pcs = [PC(tmp_path, name) for name in ("desk", "laptop", "village")]
        devices = [pc.enroll(proxy.url, sync_server.issue_code(station)).device_id for pc in pcs]
        proxy.cut_probability = 0.6
        written: dict[str, str] = {}
        for round_ in range(4):
            for pc in pcs:
                for k in range(15):
                    rid = pc.store.write(
                        "activities",
                        None,
                        {"title": f"{pc.name}-{round_}-{k}", "notes": "备注" * 20, "attendance": k},
                    )
                    written[rid] = f"{pc.name}-{round_}-{k}"
                sync_until_done(pc, push_max_bytes=2_500)
        proxy.cut_probability = 0.0
        for pc in pcs:
            sync_until_done(pc)
        assert proxy.stats.cuts > 3
    for pc in pcs:
        titles = {rid: r["title"] for rid, r in pc.snapshot()["activities"].items()}
        assert titles == written, pc.name  # every row, exactly once, on every PC
        assert pc.pending() == 0
    assert {
        rid: r["title"] for rid, r in server_rows(sync_server, "activities", station).items()
    } == written
    for pc, device in zip(pcs, devices, strict=True):
        n_changes = pc.store.conn.execute("SELECT count(*) FROM changes").fetchone()[0]
        assert server_feed_count(sync_server, device) == n_changes  # each change applied once


def test_cuts_at_any_byte_of_long_transfers_in_both_directions(tmp_path, sync_server: LiveServer):
    """The link cuts inside long transfers and kept-alive connections, many times in one sync
    (a cut decided once within a connection's first kilobytes never hit a big sync)."""
    station = sync_server.create_station()
    with FaultProxy(host_port(sync_server.url), seed=7, cut_per_kb=0.1) as proxy:
        a, b = PC(tmp_path, "a"), PC(tmp_path, "b")
        for pc in (a, b):
            pc.enroll(sync_server.url, sync_server.issue_code(station))
            pc.store.set_meta("sync_server_url", proxy.url)
        with a.store.transaction():
            for i in range(2_500):
                a.store.write("people", None, {"name": f"居民{i}", "notes": "备注" * 40})
        sync_until_done(a, tries=200)
        sync_until_done(b, tries=200)
        ups = [at for d, at in proxy.stats.cut_at if d == "up"]
        downs = [at for d, at in proxy.stats.cut_at if d == "down"]
        assert ups and downs, proxy.stats.cut_at
        # Both directions, and far beyond a connection's first kilobytes (old: ≤ 4,000 bytes).
        assert len(proxy.stats.cut_at) >= 4 and max(ups + downs) > 8_000, proxy.stats.cut_at
        assert len(b.snapshot()["people"]) == 2_500 and b.snapshot() == a.snapshot()
        assert b.pending() == a.pending() == 0
