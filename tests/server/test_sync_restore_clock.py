"""A restored backup that holds a write made while the PC's clock was years ahead (issue 12,
situations 1 and 3 together), on both engines: the server clamps a future stamp once; when a
copy of the same file pushes that stamp again (after a restore it re-keys and pushes its log
anew) the server keeps the stamp it gave the first time, so an edit made later on another PC
still wins — on every PC and on the server. Real server on loopback, ``pzh-station`` processes
for enrollment, sync, backup and restore on real files; the one write with the wrong clock is
made in this process on the same file (a process's clock cannot be set from outside)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from pzh_core import hlc
from pzh_core.stored_clocks import decode
from pzh_station.store import Store, changelog
from tests import server_fixtures
from tests.e2e.test_sync_epoch import cli, cli_sync, enrolled_pc, replica, rows, write
from tests.server_fixtures import LiveServer
from tests.sync_helpers import PC, YEAR_MS

sync_server = server_fixtures.sync_server


def write_with_clock_ahead(data_dir: Path, table: str, row_id: str, fields: dict, ms: int) -> str:
    """An edit on a PC whose clock jumped ``ms`` ahead (or behind) after it enrolled (a dead
    CMOS battery); returns the stamp it got."""
    pc = PC(data_dir.parent, data_dir.name)
    try:
        pc.skew(ms)
        pc.store.write(table, row_id, fields)
        return decode(table, pc.store.get(table, row_id)["clocks"])[next(iter(fields))]
    finally:
        pc.store.close()


@pytest.mark.parametrize("written_after_restore", [False, True])
def test_restored_future_stamp_is_not_clamped_again_and_the_later_edit_wins(
    tmp_path, sync_server: LiveServer, written_after_restore: bool
):
    """(With a write after the restore, the file re-keys before the server acknowledges the
    future write again: it is pushed with the new device in its stamp, and the server still
    finds the stamp it gave that same write the first time.)"""
    station = sync_server.create_station("大田镇综合文化站", "仁和区")
    a = enrolled_pc(tmp_path, "desk", sync_server, station)
    b = enrolled_pc(tmp_path, "laptop", sync_server, station)
    shared = write(a, "activities", None, {"title": "原标题", "attendance": 10})
    cli_sync(a)
    cli_sync(b)
    # A's clock jumps nine years ahead; the edit made then is in the backup, not yet synced.
    future = write_with_clock_ahead(a, "activities", shared, {"title": "时钟快时改的"}, 9 * YEAR_MS)
    assert hlc.parse(future).ms > hlc.wall_ms() + 8 * YEAR_MS
    backup = tmp_path / "backup.sqlite3"
    assert cli(a, "backup", "-o", str(backup)).returncode == 0
    cli_sync(a)  # the server clamps the future stamp (to "now") and sends it back
    write(a, "people", None, {"name": "备份后登记"})
    cli_sync(a)  # the server now holds seqs the backup never wrote
    clamped = sync_server.query(
        "SELECT stamp FROM srv_feed WHERE replaced = ? ORDER BY seq", (future,)
    )
    assert len(clamped) == 1, clamped
    first = clamped[0]["stamp"]
    # Later, the laptop edits the same field: a real edit after A's.
    cli_sync(b)
    time.sleep(0.05)
    write(b, "activities", shared, {"title": "笔记本后来改的"})
    cli_sync(b)
    later = decode("activities", rows(b, "activities")[shared]["clocks"])["title"]
    assert later > first
    # A's disk is replaced with the backup; it syncs (re-keys, pushes its log again).
    assert cli(a, "restore", str(backup)).returncode == 0
    assert rows(a, "activities")[shared]["title"] == "时钟快时改的"
    if written_after_restore:
        write(a, "people", None, {"name": "恢复后登记"})
    out = cli_sync(a)
    assert "新的设备身份" in out and "同步完成" in out, out
    cli_sync(b)
    # The later edit wins everywhere; the old one is held under the stamp it got the first time.
    server = sync_server.query("SELECT title, clocks FROM activities WHERE id = ?", (shared,))[0]
    assert server["title"] == "笔记本后来改的"
    assert decode("activities", server["clocks"])["title"] == later
    for pc in (a, b):
        mine = rows(pc, "activities")[shared]
        assert mine["title"] == "笔记本后来改的", pc.name
        assert decode("activities", mine["clocks"])["title"] == later
    assert replica(a) == replica(b)
    stamps = {
        r["stamp"]
        for r in sync_server.query("SELECT stamp FROM srv_feed WHERE replaced = ?", (future,))
    }
    assert stamps == {first}, "the same write was clamped twice"
    assert "同步完成" in cli_sync(a) and "同步完成" in cli_sync(b)


def test_restored_file_with_a_clock_behind_its_stamps_still_re_keys(
    tmp_path, sync_server: LiveServer
):
    """A PC whose clock fell behind the stamps it holds stamps each write at its newest stamp's
    time with the next counter, so a restored backup issues again the very seqs *and* stamps the
    lost file used after the backup. The server must still see that the file forked (the
    change is another one) — before, it took the resent seq for the one it held: the write after
    the restore never reached the server, and the PC never got its own later work back (only a
    digest repair found both)."""
    station = sync_server.create_station("大田镇综合文化站", "仁和区")
    a = enrolled_pc(tmp_path, "desk", sync_server, station)
    shared = write(a, "activities", None, {"title": "原标题"})
    cli_sync(a)
    backup = tmp_path / "backup.sqlite3"
    assert cli(a, "backup", "-o", str(backup)).returncode == 0
    behind = -YEAR_MS  # the clock fell back a year (situation 3)
    lost = write_with_clock_ahead(a, "activities", shared, {"title": "备份后改的"}, behind)
    cli_sync(a)
    assert cli(a, "restore", str(backup)).returncode == 0
    person = str(uuid.uuid4())
    again = write_with_clock_ahead(a, "people", person, {"name": "恢复后登记"}, behind)
    assert again == lost  # the same stamp (and the same seq) as the lost file's write
    out = cli_sync(a)
    assert "新的设备身份" in out and "同步完成" in out, out
    assert rows(a, "activities")[shared]["title"] == "备份后改的"  # its own later work is back
    held = sync_server.query("SELECT name FROM people WHERE id = ?", (person,))
    assert [r["name"] for r in held] == ["恢复后登记"]  # the write after the restore arrived
    devices = sync_server.query(
        "SELECT digest_ok FROM srv_devices WHERE station_id = ?", (station,)
    )
    assert all(d["digest_ok"] != 0 for d in devices), devices  # no copy ever differed


def _stamp_values(pairs) -> dict[tuple[str, str, str], set]:
    """(row, field, stamp) -> the values written under that stamp, from rows and logs."""
    seen: dict[tuple[str, str, str], set] = {}
    for row_id, field, stamp, value in pairs:
        seen.setdefault((row_id, field, stamp), set()).add(value)
    return seen


def _written_titles(data_dir: Path, sync_server: LiveServer, station: str) -> list[tuple]:
    """Every (row, "title", stamp, value) the PC's rows and change log and the server's rows and
    feed hold for activities."""
    import json

    out = []
    pc = PC(data_dir.parent, data_dir.name)
    try:
        for r in pc.store.query("SELECT id, title, clocks FROM activities"):
            out.append(
                (r["id"], "title", decode("activities", r["clocks"]).get("title"), r["title"])
            )
        for r in changelog.entries(pc.store, "tbl = 'activities'"):
            fields = r["fields"]
            if "title" in fields:
                out.append((r["row_id"], "title", r["stamp"], fields["title"]))
    finally:
        pc.store.close()
    for r in sync_server.query(
        "SELECT id, title, clocks FROM activities WHERE station_id = ?", (station,)
    ):
        out.append((r["id"], "title", decode("activities", r["clocks"]).get("title"), r["title"]))
    for r in sync_server.query(
        "SELECT row_id, stamp, fields FROM srv_feed WHERE tbl = 'activities' AND station_id = ?",
        (station,),
    ):
        fields = json.loads(r["fields"])
        if "title" in fields:
            out.append((r["row_id"], "title", r["stamp"], fields["title"]))
    return out


def test_re_key_gives_the_files_unacknowledged_writes_the_new_device_in_their_stamps(
    tmp_path, sync_server: LiveServer
):
    """The root of "equal stamp, different value" (issue 12): a PC whose clock stood behind its
    own stamps issues, after a restore, the very stamps (time, counter, device) the lost file
    issued after the backup — here for another value of the same field. At the re-key the
    file's never-acknowledged writes take the new device id as their stamps' node (same time
    and counter), in rows and log alike, so no stamp is shared by two different writes and
    every copy ends equal to the server field by field, stamps included."""
    station = sync_server.create_station("大田镇综合文化站", "仁和区")
    a = enrolled_pc(tmp_path, "desk", sync_server, station)
    shared = write(a, "activities", None, {"title": "原标题", "attendance": 10})
    cli_sync(a)
    backup = tmp_path / "backup.sqlite3"
    assert cli(a, "backup", "-o", str(backup)).returncode == 0
    old_device = Store(a / "station.sqlite3").meta("sync_device_id")
    behind = -YEAR_MS
    lost = write_with_clock_ahead(a, "activities", shared, {"title": "丢失的电脑改的"}, behind)
    cli_sync(a)
    assert cli(a, "restore", str(backup)).returncode == 0
    again = write_with_clock_ahead(a, "activities", shared, {"title": "恢复后改的"}, behind)
    assert again == lost  # the same stamp for another value: the lost file's
    out = cli_sync(a)
    assert "新的设备身份" in out and "同步完成" in out, out
    new_device = Store(a / "station.sqlite3").meta("sync_device_id")
    assert new_device != old_device
    b = enrolled_pc(tmp_path, "laptop", sync_server, station)
    cli_sync(b)
    cli_sync(a)
    # Every copy equals the server, field by field, stamps included.
    server = {
        r["id"]: (r["title"], r["attendance"], r["deleted"], decode("activities", r["clocks"]))
        for r in sync_server.query("SELECT * FROM activities WHERE station_id = ?", (station,))
    }
    assert server[shared][0] in ("丢失的电脑改的", "恢复后改的")
    for pc in (a, b):
        mine = {
            k: (r["title"], r["attendance"], r["deleted"], decode("activities", r["clocks"]))
            for k, r in rows(pc, "activities").items()
        }
        assert mine == server, pc.name
    assert replica(a) == replica(b)
    # The restored write now carries the new device in its stamp, in the row or the log.
    moved = hlc.encode(hlc.parse(lost).ms, hlc.parse(lost).counter, new_device)
    logged = {r[2] for r in _written_titles(a, sync_server, station) if r[0] == shared}
    assert moved in logged and lost in logged
    # No stamp carries two different values anywhere (rows, logs, feed).
    shared_stamps = {
        k: v
        for k, v in _stamp_values(_written_titles(a, sync_server, station)).items()
        if len(v) > 1
    }
    assert not shared_stamps, shared_stamps
    assert "同步完成" in cli_sync(a) and "同步完成" in cli_sync(b)
