"""A server process runs one write transaction at a time, on both engines (SQLite's one writer
thread; on PostgreSQL a lock, since several at once only add lock waits and switching: see
docs/benchmarks.md, session 7), while reads go on beside a write in progress."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor


def test_writes_from_many_threads_never_overlap(make_storage) -> None:
    storage = make_storage()
    inside, most = [0], [0]
    guard = threading.Lock()
    stop = threading.Event()

    def tx(c) -> int:
        with guard:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        stop.wait(0.01)  # long enough for the other threads to try to come in
        c.execute("UPDATE srv_meta SET value = value WHERE key = 'hlc_last'")
        with guard:
            inside[0] -= 1
        return 1

    with ThreadPoolExecutor(8) as pool:
        done = sum(pool.map(lambda _: storage.engine.write(tx), range(24)))
    assert done == 24
    assert most[0] == 1


def test_a_read_does_not_wait_for_a_write_in_progress(make_storage) -> None:
    storage = make_storage()
    writing, may_end = threading.Event(), threading.Event()

    def slow_tx(c) -> None:
        c.execute("INSERT INTO srv_meta (key, value) VALUES ('turns_test', 'new')")
        writing.set()
        assert may_end.wait(30), "the read never finished while the write was open"

    with ThreadPoolExecutor(1) as pool:
        write = pool.submit(storage.engine.write, slow_tx)
        assert writing.wait(30)
        # the read sees the state before the write's commit, and does not wait for it
        seen = storage.engine.scalar("SELECT value FROM srv_meta WHERE key = 'turns_test'")
        may_end.set()
        write.result(timeout=30)
    assert seen is None
    assert storage.engine.scalar("SELECT value FROM srv_meta WHERE key = 'turns_test'") == "new"
