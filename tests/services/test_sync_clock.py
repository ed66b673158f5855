"""PCs whose clocks say 2009 or 2035, syncing with the real server: they neither lose their
edits nor win forever."""

from __future__ import annotations

import time

from pzh_core import hlc, protocol
from tests import server_fixtures
from tests.server_fixtures import LiveServer
from tests.sync_helpers import PC, YEAR_MS, field_stamps, server_rows

sync_server = server_fixtures.sync_server
SLACK_MS = protocol.CLAMP_MS + 60_000


def stamp_ms(pc: PC, table: str, row_id: str) -> int:
    return max(hlc.parse(s).ms for s in field_stamps(pc.store, table, row_id).values())


def test_pc_saying_2009_keeps_its_offline_work_and_its_later_edits_win(
    tmp_path, sync_server: LiveServer
):
    station = sync_server.create_station()
    old, a = PC(tmp_path, "old"), PC(tmp_path, "a")
    old.skew(-17 * YEAR_MS)
    old.set_up_offline()
    before = old.store.write("people", None, {"name": "2009年登记的"})
    assert stamp_ms(old, "people", before) < hlc.wall_ms() - 16 * YEAR_MS
    old.enroll(sync_server.url, sync_server.issue_code(station))
    a.enroll(sync_server.url, sync_server.issue_code(station))
    assert abs(int(old.store.meta("clock_offset_ms")) - 17 * YEAR_MS) < 60_000
    old.sync()
    a.sync()
    assert a.store.get("people", before)["name"] == "2009年登记的"  # offline work kept and pushed
    # A edits a row; later (true time) the 2009 PC edits the same field offline: its edit wins.
    shared = a.store.write("activities", None, {"title": "原标题", "attendance": 10})
    a.sync()
    old.sync()
    time.sleep(0.01)
    old.store.write("activities", shared, {"title": "旧电脑后改的"})
    assert abs(stamp_ms(old, "activities", shared) - hlc.wall_ms()) < 60_000  # stamped in true time
    old.sync()
    a.sync()
    assert a.store.get("activities", shared)["title"] == "旧电脑后改的"
    assert old.snapshot() == a.snapshot()


def test_pc_saying_2035_does_not_win_forever(tmp_path, sync_server: LiveServer):
    station = sync_server.create_station()
    fast, a = PC(tmp_path, "fast"), PC(tmp_path, "a")
    fast.skew(9 * YEAR_MS)
    fast.set_up_offline()
    row = fast.store.write("activities", None, {"title": "2035年写的", "attendance": 5})
    assert stamp_ms(fast, "activities", row) > hlc.wall_ms() + 8 * YEAR_MS
    fast.enroll(sync_server.url, sync_server.issue_code(station))
    a.enroll(sync_server.url, sync_server.issue_code(station))
    # Set back at enrollment: its rows and its clock are near the server's time again.
    assert stamp_ms(fast, "activities", row) < hlc.wall_ms() + SLACK_MS
    assert hlc.parse(fast.store.clock.now()).ms < hlc.wall_ms() + SLACK_MS
    fast.sync()
    a.sync()
    assert a.store.get("activities", row)["title"] == "2035年写的"  # not lost either
    srv = server_rows(sync_server, "activities", station)[row]
    assert hlc.parse(srv["updated_at"]).ms < hlc.wall_ms() + SLACK_MS
    # A later edit by a correct PC wins everywhere.
    time.sleep(0.01)
    a.store.clock.offset_ms += SLACK_MS  # "later" beyond any tolerance, in true time
    a.store.write("activities", row, {"title": "后来改的"})
    a.sync()
    fast.sync()
    assert fast.store.get("activities", row)["title"] == "后来改的"
    assert fast.snapshot() == a.snapshot()


def test_clock_jumping_to_2035_after_enrollment_is_clamped_and_set_back(
    tmp_path, sync_server: LiveServer
):
    station = sync_server.create_station()
    pc, a = PC(tmp_path, "pc"), PC(tmp_path, "a")
    pc.enroll(sync_server.url, sync_server.issue_code(station))
    a.enroll(sync_server.url, sync_server.issue_code(station))
    shared = a.store.write("activities", None, {"title": "原标题"})
    a.sync()
    pc.sync()
    pc.skew(9 * YEAR_MS)  # the CMOS battery, a wrong manual setting…
    pc.store.write("activities", shared, {"title": "时钟坏了时改的"})
    mine = pc.store.write("people", None, {"name": "时钟坏了时登记"})
    result = pc.sync()
    # The server rewrote the future stamps and sent them back ("r"); the PC took them over.
    assert result.pulled == 2
    for table, rid in (("activities", shared), ("people", mine)):
        assert stamp_ms(pc, table, rid) < hlc.wall_ms() + SLACK_MS
        srv = server_rows(sync_server, table, station)[rid]
        assert hlc.parse(srv["updated_at"]).ms < hlc.wall_ms() + SLACK_MS
    assert hlc.parse(pc.store.clock.now()).ms < hlc.wall_ms() + SLACK_MS
    a.sync()
    assert a.store.get("activities", shared)["title"] == "时钟坏了时改的"  # not lost
    time.sleep(0.01)
    a.store.clock.offset_ms += SLACK_MS
    a.store.write("activities", shared, {"title": "之后正常改的"})
    a.sync()
    pc.sync()
    assert pc.store.get("activities", shared)["title"] == "之后正常改的"  # does not win forever
    assert pc.snapshot() == a.snapshot()
