"""The device epoch end to end (issue 12, situations 1, 2 and 7): one device id is one unbroken
history. A restored backup, a copied data folder and a seq the server never saw all end the same
way — the file re-keys itself as a new device and pulls from cursor 0 — with every PC equal to the
server. Real server on loopback; the PCs' syncs, backups and restores run as ``pzh-station``
processes on real files."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from pzh_station.store import Store
from tests import server_fixtures
from tests.server_fixtures import ROOT, LiveServer, _env
from tests.sync_helpers import PC

sync_server = server_fixtures.sync_server


def cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pzh_station", "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=_env(),
        cwd=ROOT,
        timeout=120,
    )


def cli_sync(data_dir: Path) -> str:
    done = cli(data_dir, "sync")
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def write(data_dir: Path, table: str, row_id: str | None, fields: dict) -> str:
    """A record entered on the PC (the app is closed meanwhile: no other writer)."""
    store = Store(data_dir / "station.sqlite3")
    try:
        return store.write(table, row_id, fields)
    finally:
        store.close()


def rows(data_dir: Path, table: str) -> dict[str, dict]:
    store = Store(data_dir / "station.sqlite3")
    try:
        return {r["id"]: r for r in store.query(f"SELECT * FROM {table}")}
    finally:
        store.close()


def enrolled_pc(tmp_path: Path, name: str, server: LiveServer, station: str) -> Path:
    data_dir = tmp_path / name
    done = cli(data_dir, "enroll", "--server", server.url, "--code", server.issue_code(station))
    assert done.returncode == 0, done.stderr
    return data_dir


def replica(data_dir: Path) -> dict:
    pc = PC(data_dir.parent, data_dir.name)
    try:
        return pc.snapshot()
    finally:
        pc.store.close()


def test_restored_backup_gets_back_its_later_work_and_keeps_what_came_after(
    tmp_path, sync_server: LiveServer
):
    """Situation 1: after a restore the PC ends with everything the server holds — its own
    changes made after the backup included — plus what it recorded since, without anyone acting."""
    station = sync_server.create_station("大田镇综合文化站", "仁和区")
    a = enrolled_pc(tmp_path, "desk", sync_server, station)
    shared = write(a, "activities", None, {"title": "原标题", "attendance": 10})
    doomed = write(a, "activities", None, {"title": "后来删除的讲座"})
    cli_sync(a)
    backup = tmp_path / "backup.sqlite3"
    assert cli(a, "backup", "-o", str(backup)).returncode == 0
    # Work after the backup, synced.
    write(a, "activities", shared, {"title": "备份后改的标题"})
    write(a, "activities", doomed, {"deleted": True})
    later = write(a, "people", None, {"name": "备份后登记"})
    cli_sync(a)
    # The disk is replaced; the backup comes back; the staff go on working.
    done = cli(a, "restore", str(backup))
    assert done.returncode == 0, done.stderr
    assert rows(a, "activities")[shared]["title"] == "原标题"  # the restore took the file back
    after = write(a, "people", None, {"name": "恢复后登记"})
    out = cli_sync(a)
    assert "新的设备身份" in out and "同步完成" in out, out
    mine = rows(a, "activities")
    assert mine[shared]["title"] == "备份后改的标题"  # its own later work came back
    assert mine[doomed]["deleted"] == 1  # no record back from the dead
    people = rows(a, "people")
    assert later in people and after in people
    assert "同步完成" in cli_sync(a)  # and it stays one history from now on
    b = enrolled_pc(tmp_path, "laptop", sync_server, station)
    cli_sync(b)
    assert rows(b, "people")[after]["name"] == "恢复后登记"
    assert replica(a) == replica(b)


def test_copied_data_folder_becomes_a_second_device_and_both_see_everything(
    tmp_path, sync_server: LiveServer
):
    """Situation 2: a data folder copied to a second laptop (same device id on two machines)."""
    station = sync_server.create_station("大田镇综合文化站", "仁和区")
    a = enrolled_pc(tmp_path, "desk", sync_server, station)
    write(a, "activities", None, {"title": "复制前的活动"})
    cli_sync(a)
    copy = tmp_path / "laptop"
    shutil.copytree(a, copy)
    on_a = write(a, "people", None, {"name": "台式机登记"})
    on_copy = write(copy, "people", None, {"name": "笔记本登记"})
    cli_sync(a)
    out = cli_sync(copy)  # its seqs collide with the desk's: it becomes a device of its own
    assert "新的设备身份" in out
    cli_sync(a)
    for pc in (a, copy):
        people = rows(pc, "people")
        assert on_a in people and on_copy in people
    assert replica(a) == replica(copy)
    ids = {Store(d / "station.sqlite3").meta("sync_device_id") for d in (a, copy)}
    assert len(ids) == 2  # never two writers under one device id
    # New edits stamp with the copy's own id from now on.
    row = write(copy, "people", None, {"name": "之后登记"})
    assert rows(copy, "people")[row]["device_id"] in ids
    assert "同步完成" in cli_sync(copy) and "同步完成" in cli_sync(a)
    assert rows(a, "people")[row]["name"] == "之后登记"


def test_seq_below_the_servers_mark_is_never_dropped(tmp_path, sync_server: LiveServer):
    """Situation 7: a backup holding changes that had not reached the server; after the restore
    a new change gets a seq below the server's mark that the server never saw with that stamp.
    It must arrive (the PC re-keys), not be answered 200 and dropped."""
    station = sync_server.create_station("大田镇综合文化站", "仁和区")
    a = enrolled_pc(tmp_path, "desk", sync_server, station)
    cli_sync(a)
    write(a, "activities", None, {"title": "离线时录入一"})
    write(a, "activities", None, {"title": "离线时录入二"})
    backup = tmp_path / "backup.sqlite3"
    assert cli(a, "backup", "-o", str(backup)).returncode == 0
    write(a, "activities", None, {"title": "备份后录入"})
    cli_sync(a)
    assert cli(a, "restore", str(backup)).returncode == 0
    new = write(a, "people", None, {"name": "恢复后登记"})
    cli_sync(a)
    b = enrolled_pc(tmp_path, "laptop", sync_server, station)
    cli_sync(b)
    assert rows(b, "people")[new]["name"] == "恢复后登记"
    assert replica(a) == replica(b)


def test_restored_backup_that_resends_what_the_server_holds_still_re_keys(
    tmp_path, sync_server: LiveServer
):
    """Situation 1 where the backup's only pending change is one the server already holds: the
    resent batch matches the server's record, but the server also holds later seqs this file
    never wrote. The mark may move only over what the request showed the server, so the file
    re-keys in that same sync; a record entered afterwards counts as waiting and arrives without
    a digest repair (before, the file took the server's higher mark, its next writes got seqs
    the mark already covered, and the status said 0 waiting)."""
    station = sync_server.create_station("大田镇综合文化站", "仁和区")
    a = enrolled_pc(tmp_path, "desk", sync_server, station)
    cli_sync(a)
    first = write(a, "activities", None, {"title": "备份前录入，尚未上传"})
    backup = tmp_path / "backup.sqlite3"
    assert cli(a, "backup", "-o", str(backup)).returncode == 0
    cli_sync(a)
    later = write(a, "people", None, {"name": "备份后登记"})
    cli_sync(a)
    assert cli(a, "restore", str(backup)).returncode == 0
    out = cli_sync(a)  # resends ``first`` (the server holds it with the same stamp)
    assert "新的设备身份" in out and "同步完成" in out, out
    assert later in rows(a, "people")  # its own later work came back
    after = write(a, "people", None, {"name": "恢复后登记"})
    status = cli(a, "sync-status").stdout
    assert "待上传的修改：1 条" in status, status
    pc = PC(a.parent, a.name)
    try:
        result = pc.sync()
    finally:
        pc.store.close()
    assert result.pushed == 1 and result.verified, result
    assert [c.requests for c in result.checks] == [0]  # equal at once: no repair was needed
    b = enrolled_pc(tmp_path, "laptop", sync_server, station)
    cli_sync(b)
    assert rows(b, "people")[after]["name"] == "恢复后登记"
    assert first in rows(b, "activities")
    assert replica(a) == replica(b)


def test_cli_sync_leaves_the_file_to_a_running_app(tmp_path):
    """While the desk app runs, its database worker is the file's only writer: the command
    says so instead of syncing beside it."""
    from pzh_station.store.lock import InstanceLock

    data_dir = tmp_path / "desk"
    assert (
        cli(data_dir, "init", "--station", "大田镇综合文化站", "--county", "仁和区").returncode == 0
    )
    app = InstanceLock(data_dir)
    app.acquire()
    try:
        done = cli(data_dir, "sync")
    finally:
        app.release()
    assert done.returncode == 2 and "已经在运行" in done.stderr, done.stderr
    assert "未注册" in cli(data_dir, "sync").stderr + cli(data_dir, "sync").stdout
