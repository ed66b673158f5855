"""Two server processes on one database (as behind one address with uvicorn workers or several
hosts) stay correct: one enrollment per code, each pushed change applied exactly once, the feed
read by a device complete and in order while other devices push through both processes, and
the enrollment throttle and the web pages' failed sign-ins counted across processes. Runs on
both engines (conftest.py): on PostgreSQL this is the province's deployment; on SQLite two
processes share one file.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from pzh_core import hlc
from sync.server.web.throttle import MAX_FAILURES
from tests.server_fixtures import LiveServer, start_server
from tests.web_support import PASSWORD, sign_in

ENV = {"PZH_SYNC_ENROLL_BURST": "1000", "PZH_SYNC_SYNC_BURST": "100000"}


def _pair(tmp_path: Path, env: dict[str, str] | None = None):
    data = tmp_path / "服务器"
    return start_server(data, env=env or ENV), start_server(data, env=env or ENV)


def _enroll(url: str, code: str) -> httpx.Response:
    body = {"protocol": 1, "code": code, "device_name": "并发", "app_version": "test"}
    return httpx.post(f"{url}/v1/enroll", json=body, timeout=60)


def _sync(url: str, dev: dict, push: list[dict], cursor: int = 0) -> dict:
    r = httpx.post(
        f"{url}/v1/sync",
        json={"protocol": 1, "push": push, "cursor": cursor, "client_time_ms": hlc.wall_ms()},
        headers={"Authorization": f"Bearer {dev['token']}"},
        timeout=120,
    )
    assert r.status_code == 200, r.text
    return r.json()


def _changes(dev: dict, first_seq: int, n: int, tag: str) -> list[dict]:
    now = hlc.wall_ms()
    return [
        {
            "seq": seq,
            "t": "activities",
            "id": f"{dev['device_id']}-{seq}",
            "s": hlc.encode(now, seq % 10_000, dev["device_id"]),
            "f": {"title": f"{tag}{seq}", "attendance": seq},
        }
        for seq in range(first_seq, first_seq + n)
    ]


def test_each_code_enrolls_one_device_across_processes(tmp_path: Path) -> None:
    ctx_a, ctx_b = _pair(tmp_path)
    with ctx_a as a, ctx_b as b:
        sid = a.create_station()
        codes = [a.issue_code(sid) for _ in range(3)]
        jobs = [(srv.url, code) for code in codes for srv in (a, b, a, b, a, b)]
        with ThreadPoolExecutor(len(jobs)) as pool:
            answers = list(pool.map(lambda job: _enroll(*job), jobs))
        for code in codes:
            got = [r for (_, c), r in zip(jobs, answers, strict=True) if c == code]
            assert sorted(r.status_code for r in got) == [200] + [410] * 5
            assert all(r.json()["error"] == "code_spent" for r in got if r.status_code == 410)
        storage = a._storage()
        try:
            devices = storage.list_devices()
            spent = {c.code: c.device_id for c in storage.list_codes()}
        finally:
            storage.close()
        winners = {r.json()["device_id"] for r in answers if r.status_code == 200}
        assert {d.id for d in devices} == winners and len(winners) == 3
        assert set(spent.values()) == winners


def test_a_batch_sent_to_both_processes_at_once_applies_once(tmp_path: Path) -> None:
    ctx_a, ctx_b = _pair(tmp_path)
    with ctx_a as a, ctx_b as b:
        sid = a.create_station()
        dev = a.enroll(sid)
        batch = _changes(dev, 1, 60, "一次")
        urls = [a.url, b.url] * 4
        with ThreadPoolExecutor(len(urls)) as pool:
            answers = list(pool.map(lambda url: _sync(url, dev, batch), urls))
        assert [r["acked_seq"] for r in answers] == [60] * len(urls)
        storage = b._storage()
        try:
            assert storage.query("SELECT count(*) AS n FROM activities")[0]["n"] == 60
            feed = storage.query(
                "SELECT row_id FROM srv_feed WHERE origin = ?", (dev["device_id"],)
            )
            assert sorted(r["row_id"] for r in feed) == sorted(c["id"] for c in batch)
            assert storage.query("SELECT count(*) AS n FROM srv_seen")[0]["n"] == 60
            device = storage.get_device(dev["device_id"])
            assert device.applied_seq == 60 and device.changes_today == 60
        finally:
            storage.close()


def _reader(servers: list[LiveServer], dev: dict, done: threading.Event, out: dict) -> None:
    """Pull in a loop, alternating processes, until the writers are done and the feed is read."""
    cursor, seen, last = 0, [], 0
    turn = 0
    while True:
        finished = done.is_set()
        more = True
        while more:
            page = _sync(servers[turn % 2].url, dev, [], cursor)
            turn += 1
            for entry in page["changes"]:
                assert entry["c"] > last, "the feed went back"
                last = entry["c"]
                seen.append((entry["id"], entry["s"]))
            cursor, more = page["cursor"], page["more"]
        if finished:
            break
    out["seen"] = seen


def test_a_device_reads_the_whole_feed_in_order_while_others_push(tmp_path: Path) -> None:
    ctx_a, ctx_b = _pair(tmp_path)
    with ctx_a as a, ctx_b as b:
        servers = [a, b]
        here, other = a.create_station("本站"), a.create_station("别的站", "东区")
        writers = [a.enroll(here) for _ in range(3)] + [a.enroll(other) for _ in range(3)]
        reader = a.enroll(here)
        done, out = threading.Event(), {}
        pulling = threading.Thread(target=_reader, args=(servers, reader, done, out))
        pulling.start()

        def write(i: int) -> None:
            dev = writers[i]
            for k in range(8):  # 8 batches of 25, alternating processes
                _sync(servers[(i + k) % 2].url, dev, _changes(dev, k * 25 + 1, 25, "并发"))

        try:
            with ThreadPoolExecutor(len(writers)) as pool:
                list(pool.map(write, range(len(writers))))
        finally:
            done.set()
            pulling.join(timeout=300)
        storage = a._storage()
        try:
            feed = storage.query(
                "SELECT row_id, stamp FROM srv_feed WHERE station_id = ? AND origin <> ?",
                (here, reader["device_id"]),
            )
        finally:
            storage.close()
        expected = sorted((r["row_id"], r["stamp"]) for r in feed)
        assert len(expected) == 3 * 8 * 25 + 1  # the writers' changes and the station's name
        assert sorted(out["seen"]) == expected  # each once: nothing skipped, nothing twice


def test_enrollment_attempts_are_counted_across_processes(tmp_path: Path) -> None:
    ctx_a, ctx_b = _pair(tmp_path, {"PZH_SYNC_ENROLL_BURST": "4", "PZH_SYNC_ENROLL_RATE": "0.001"})
    with ctx_a as a, ctx_b as b:
        answers = [_enroll(srv.url, "ABCD-EFGH").status_code for srv in (a, b, a, b, a, b)]
        assert answers == [404, 404, 404, 404, 429, 429]


def test_feed_appends_take_turns_until_commit(make_storage) -> None:
    """The mechanism behind the feed's order: while one transaction holds appended feed rows
    uncommitted, another append waits, so a seq never becomes visible before a lower one."""
    from sync.server import replica_write

    storage = make_storage()
    station = storage.create_station("本站", "东区")
    dev = storage.enroll(
        storage.add_code("ABCD-EFGH", station.id, 2**50).code,
        token_hash="h", device_name="", app_version="", device_id=None,
    )[0]  # fmt: skip
    entry = (station.id, "activities", "x", "1790000000000.0000.d", "{}", "d", None, "")
    holding, release, second_done = threading.Event(), threading.Event(), threading.Event()

    def first(c) -> None:
        replica_write.append_feed(c, [entry])
        holding.set()
        assert release.wait(30)

    def second() -> None:
        storage.engine.write(lambda c: replica_write.append_feed(c, [entry]))
        second_done.set()

    one = threading.Thread(target=storage.engine.write, args=(first,))
    one.start()
    assert holding.wait(30)
    two = threading.Thread(target=second)
    two.start()
    try:
        assert not second_done.wait(1.0), "an append went ahead of an uncommitted one"
        seen = storage.pull(dev, 0, 100)
        # Only what is committed: the station's name row, not the held append.
        assert [e.table for e in seen.changes] == ["stations"] and seen.cursor == 1
    finally:
        release.set()
        one.join(30)
        two.join(30)
    assert second_done.is_set()
    seqs = [e.seq for e in storage.pull(dev, 1, 100).changes]
    assert len(seqs) == 2 and seqs == sorted(seqs)


def test_sign_in_failures_are_counted_across_processes(tmp_path: Path) -> None:
    """The web pages' failed sign-ins live in the database: one process counts them, the other
    refuses the next attempt, even with the right password."""
    ctx_a, ctx_b = _pair(tmp_path)
    with ctx_a as a, ctx_b as b:
        a.admin("create-user", "--name", "zhao", "--role", "city", "--password", PASSWORD)
        with httpx.Client(base_url=a.url, timeout=60) as first:
            for _ in range(MAX_FAILURES):
                assert sign_in(first, "zhao", "wrong-password").status_code == 401
        with httpx.Client(base_url=b.url, timeout=60) as second:
            r = sign_in(second, "zhao")  # the right password, through the other process
            assert r.status_code == 429 and "分钟后再试" in r.text
            assert "pzh_web_session" not in second.cookies
