"""A long sync reports its progress (rows of the total, both ways) and can be stopped between
two exchanges without losing or half-writing anything (issue 17, "Long work shows its progress")."""

from __future__ import annotations

import copy

import pytest

from pzh_station.sync_client import SyncCancelled, SyncProgress, SyncState
from tests import server_fixtures
from tests.server_fixtures import LiveServer
from tests.sync_helpers import PC

sync_server = server_fixtures.sync_server
ROWS = 1_200  # more than two pages of 500 each way


def fill(pc: PC, n: int) -> None:
    with pc.store.transaction():
        for i in range(n):
            pc.store.write("activities", None, {"title": f"活动 {i}", "attendance": i})


def test_push_and_pull_report_rows_of_their_totals_and_stop_between_batches(
    tmp_path, sync_server: LiveServer
):
    station = sync_server.create_station("大田镇综合文化站", "仁和区")
    a = PC(tmp_path, "desk")
    a.enroll(sync_server.url, sync_server.issue_code(station))
    fill(a, ROWS)
    waiting = a.pending()
    assert waiting >= ROWS
    seen: list[SyncProgress] = []
    a.sync(progress=lambda p: seen.append(copy.copy(p)))
    assert len(seen) >= 3  # one report per exchange (500 changes a batch)
    assert all(p.push_total == waiting for p in seen)
    assert [p.pushed for p in seen] == sorted(p.pushed for p in seen)
    assert seen[0].pushed == 500 and seen[-1].pushed == waiting and seen[-1].fraction() == 1.0
    assert "上传 500/" in seen[0].text() and f"{waiting:,}" in seen[0].text()

    # A new PC of the station: the first pull learns its total from the server's first page.
    b = PC(tmp_path, "laptop")
    b.enroll(sync_server.url, sync_server.issue_code(station))
    seen = []
    result = b.sync(progress=lambda p: seen.append(copy.copy(p)))
    assert result.pulled >= ROWS and len(seen) >= 3
    assert all(p.pull_total == result.pulled for p in seen), [p.pull_total for p in seen]
    assert [p.pulled for p in seen][:2] == [500, 1000]
    assert seen[0].fraction() == pytest.approx(500 / result.pulled)
    assert "下载 500/" in seen[0].text()
    assert seen[-1].bytes_down > 20_000  # gzipped bodies

    # A third PC stops after the first page: that page is kept, the rest comes next time.
    c = PC(tmp_path, "other")
    c.enroll(sync_server.url, sync_server.issue_code(station))

    def stop(p: SyncProgress) -> None:
        raise SyncCancelled()

    with pytest.raises(SyncCancelled):
        c.sync(progress=stop)
    count = c.store.conn.execute("SELECT count(*) FROM activities").fetchone()[0]
    assert 0 < count <= 500  # the first page only
    assert SyncState.load(c.store).last_error == ""  # cancelling is not a failure
    c.sync()
    assert c.snapshot() == b.snapshot()
