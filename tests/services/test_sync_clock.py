"""PCs whose clocks say 2009 or 2035, syncing with the real server: they neither lose their
edits nor win forever."""

from __future__ import annotations

import datetime as dt
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
    fast.sync()
    # History is not rewritten on the PC (one change, as made); the server clamped the future
    # stamp and sent it back: the row and the clock are near the server's time again.
    assert (
        fast.store.conn.execute("SELECT count(*) FROM changes WHERE row_id = ?", (row,)).fetchone()[
            0
        ]
        == 1
    )
    assert stamp_ms(fast, "activities", row) < hlc.wall_ms() + SLACK_MS
    assert hlc.parse(fast.store.clock.now()).ms < hlc.wall_ms() + SLACK_MS
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


def test_clock_corrected_after_enrolling_rewrites_no_history_and_the_later_edit_wins(
    tmp_path, sync_server: LiveServer
):
    """Issue 12, situation 3: a PC enrolled while it said 2035 (offset −9 years); someone fixes
    its clock. One edit is one pushed change (no re-stamped history), the user's edit made after
    another PC's beats it everywhere, and "today" is the true day."""
    station = sync_server.create_station()
    pc, a = PC(tmp_path, "pc"), PC(tmp_path, "a")
    pc.skew(9 * YEAR_MS)
    pc.enroll(sync_server.url, sync_server.issue_code(station))
    a.enroll(sync_server.url, sync_server.issue_code(station))
    for i in range(20):
        a.store.write("people", None, {"name": f"学员{i}"})
    shared = a.store.write("activities", None, {"title": "原标题", "attendance": 5})
    a.sync()
    pc.sync()
    pc.skew(0)  # the clock is fixed; the offset learned at 2035 is now 9 years wrong
    a.store.write("activities", shared, {"title": "别的电脑先改的"})
    a.sync()
    time.sleep(0.25)
    pc.store.write("activities", shared, {"title": "修好时钟后改的"})
    result = pc.sync()
    assert result.pushed == 1  # one edit, one change
    a.sync()
    assert pc.store.get("activities", shared)["title"] == "修好时钟后改的"
    assert a.store.get("activities", shared)["title"] == "修好时钟后改的"
    assert pc.snapshot() == a.snapshot()


def test_today_for_validation_is_the_corrected_day(tmp_path, sync_server: LiveServer, monkeypatch):
    """A PC that says 2009 after learning the server's time still records this year's
    activities (an activity may not be dated after "today")."""
    import types

    from pzh_core.china_tz import CHINA
    from pzh_core.domain import activity as activity_rules
    from pzh_core.domain.activity import Activity
    from pzh_station.services.activities import ActivityService
    from pzh_station.services.context import Services

    class Date2009(dt.date):  # what the PC's own calendar says
        @classmethod
        def today(cls) -> dt.date:
            return dt.date(2009, 6, 1)

    monkeypatch.setattr(
        activity_rules,
        "dt",
        types.SimpleNamespace(date=Date2009, datetime=dt.datetime, timedelta=dt.timedelta),
    )
    station = sync_server.create_station()
    old = PC(tmp_path, "old")
    old.skew(-17 * YEAR_MS)
    old.enroll(sync_server.url, sync_server.issue_code(station))
    today = dt.datetime.now(CHINA).date().isoformat()
    services = Services(old.data_dir, old.store, "李明")
    rid = ActivityService(services).save(Activity(title="今天的讲座", date=today, kind="lecture"))
    assert old.store.get("activities", rid)["date"] == today
    old.sync()
    assert server_rows(sync_server, "activities", station)[rid]["date"] == today
