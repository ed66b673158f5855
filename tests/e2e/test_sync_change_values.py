"""The change log reads values from the rows (issue 16, migration m0014): a change pushed after
later overwrites — on this PC and pulled from another — still sends the values it wrote, so the
server's feed and the other PC's history hold every step (real server on loopback)."""

from __future__ import annotations

import time

from pzh_core import history
from pzh_station.store import history as store_history
from tests import server_fixtures
from tests.server_fixtures import LiveServer
from tests.sync_helpers import PC

sync_server = server_fixtures.sync_server


def _steps(pc: PC, row: str) -> list[set[tuple]]:
    """The record's steps in stamp order, each the set of ``(field, from, to)``."""
    entries = store_history.entries(pc.store, "activities", row)
    return [set(s.changes) for s in history.steps(entries)]


def test_changes_pushed_after_overwrites_send_their_own_values(tmp_path, sync_server: LiveServer):
    station = sync_server.create_station()
    a, b = PC(tmp_path, "a"), PC(tmp_path, "b")
    a.enroll(sync_server.url, sync_server.issue_code(station))
    b.enroll(sync_server.url, sync_server.issue_code(station))
    row = a.store.write(
        "activities", None, {"title": "书法讲座", "attendance": 20, "place": "站内"}
    )
    a.sync()
    b.sync()
    # A works offline: three writes of one row, the later ones overwriting the earlier.
    time.sleep(0.05)
    b.store.write("activities", row, {"place": "村委会"})
    b.sync()
    a.store.write("activities", row, {"title": "书法讲座（一）", "attendance": 25})
    a.store.write("activities", row, {"attendance": 31})
    a.sync()  # pulls B's place over its own, then pushes both of its changes
    assert [c["fields"] for c in a.store.pending_changes(0)] == [
        {"title": "书法讲座", "place": "站内", "attendance": 20},
        {"title": "书法讲座（一）", "attendance": 25},
        {"attendance": 31},
    ]
    b.sync()
    expected = [
        [("title", None, "书法讲座"), ("place", None, "站内"), ("attendance", None, 20)],
        [("place", "站内", "村委会")],
        [("title", "书法讲座", "书法讲座（一）"), ("attendance", 20, 25)],
        [("attendance", 25, 31)],
    ]
    # B saw A's intermediate value only through the feed: the server got it from A's log.
    assert _steps(b, row) == _steps(a, row) == [set(s) for s in expected]
    assert a.snapshot() == b.snapshot()
