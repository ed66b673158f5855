"""The device token is not in the station file nor in its backups (issue 18): a stolen backup
cannot push as the PC. A restore on the same PC keeps syncing; on a replacement PC (another
credential store) the backup's data come back but sync needs a new enrollment code. Real
server on loopback, ``pzh-station`` processes on real files."""

from __future__ import annotations

import os

from pzh_station import credentials
from pzh_station.store import Store, sync_state
from tests import server_fixtures
from tests.e2e.test_sync_epoch import cli, cli_sync, enrolled_pc, rows, write
from tests.server_fixtures import LiveServer

sync_server = server_fixtures.sync_server


def test_backups_hold_no_token_and_a_restore_on_the_same_pc_keeps_syncing(
    tmp_path, sync_server: LiveServer
):
    station = sync_server.create_station("大田镇综合文化站", "仁和区")
    a = enrolled_pc(tmp_path, "desk", sync_server, station)
    write(a, "activities", None, {"title": "备份前的活动"})
    cli_sync(a)
    store = Store(a / "station.sqlite3")
    device = store.meta("sync_device_id") or ""
    store.close()
    token = credentials.default().get(sync_state.token_name(device))
    assert token and len(token) > 20
    backup = tmp_path / "backup.sqlite3"
    assert cli(a, "backup", "-o", str(backup)).returncode == 0
    auto = list((a / "backups").glob("*")) if (a / "backups").exists() else []
    for path in [backup, a / "station.sqlite3", *auto]:
        assert token.encode() not in path.read_bytes(), path  # grep the backup for the token
    # Restore on the same PC: its credential store still has the token; sync goes on.
    later = write(a, "people", None, {"name": "备份后登记"})
    cli_sync(a)
    assert cli(a, "restore", str(backup)).returncode == 0
    out = cli_sync(a)
    assert "同步完成" in out, out
    assert later in rows(a, "people")


def test_a_backup_restored_on_a_replacement_pc_needs_a_new_code(
    tmp_path, sync_server: LiveServer, monkeypatch
):
    station = sync_server.create_station("大田镇综合文化站", "仁和区")
    a = enrolled_pc(tmp_path, "desk", sync_server, station)
    kept = write(a, "activities", None, {"title": "旧电脑上的活动"})
    cli_sync(a)
    backup = tmp_path / "backup.sqlite3"
    assert cli(a, "backup", "-o", str(backup)).returncode == 0
    # The replacement PC: another user's credential store, the backup copied over.
    monkeypatch.setenv(credentials.ENV_DIR, str(tmp_path / "new-pc-credentials"))
    new = tmp_path / "new-pc"
    assert cli(new, "restore", str(backup)).returncode == 0
    assert kept in rows(new, "activities")  # the data came back
    done = cli(new, "sync")
    assert done.returncode != 0 and "注册" in done.stdout + done.stderr
    code = sync_server.issue_code(station)
    assert cli(new, "enroll", "--server", sync_server.url, "--code", code).returncode == 0
    assert "同步完成" in cli_sync(new)
    assert os.listdir(tmp_path / "new-pc-credentials")  # its own token, in its own store
