"""USB bundles carry set-aside changes back to the desk (issue 12, situation 4, by USB): a change
the city server refuses while it imports a PC's bundle comes back in the answer bundle, is kept
in the desk's set-aside list with the server's value put back — the same code as an online
answer's ``set_aside`` (``sync_client.answers.take``) — and the copies agree (digest equal).
Real server on loopback (``admin import-bundle`` as a process); the desk's export, import and
status run as ``pzh-station`` processes on real files."""

from __future__ import annotations

from pathlib import Path

from pzh_station.store import Store, digest_rows, set_aside, sync_state
from pzh_station.sync_client import bundle as usb
from pzh_station.sync_client.transport import Transport
from tests import server_fixtures
from tests.e2e.test_sync_epoch import cli, cli_sync, enrolled_pc, rows, write
from tests.server_fixtures import LiveServer

sync_server = server_fixtures.sync_server


def desk_root(data_dir: Path) -> tuple[str, str]:
    """The desk's digest roots (stamps, values), computed over its rows."""
    store = Store(data_dir / "station.sqlite3")
    try:
        return digest_rows.table_digests(store).roots()
    finally:
        store.close()


def server_root(server: LiveServer, station: str) -> tuple[str, str]:
    """The server's digest roots (stamps, values) of the station, as it keeps them."""
    from sync.server import replica_digest

    storage = server._storage()  # noqa: SLF001 - the server's own storage, same database
    try:
        return storage.engine.read(lambda c: replica_digest.roots(c, station))
    finally:
        storage.close()


def usb_ready(data_dir: Path, server: LiveServer) -> None:
    """Register the PC's bundle key with the server (what the app does after a network sync)."""
    store = Store(data_dir / "station.sqlite3")
    t = Transport(server.url, token=sync_state.token(store))
    try:
        usb.register_key(store, t)
    finally:
        t.close()
        store.close()


def open_items(data_dir: Path) -> list[dict]:
    store = Store(data_dir / "station.sqlite3")
    try:
        return set_aside.open_items(store)
    finally:
        store.close()


def by_usb(server: LiveServer, data_dir: Path, name: str) -> str:
    """Export the PC's bundle, import it at the server, import the answer on the PC; returns
    what the desk's import printed."""
    bundle = data_dir.parent / f"{name}.pzhbundle"
    answer = data_dir.parent / f"{name}-回执.pzhbundle"
    done = cli(data_dir, "bundle", "export", "-o", str(bundle))
    assert done.returncode == 0, done.stdout + done.stderr
    server.admin("import-bundle", str(bundle), "-o", str(answer))
    done = cli(data_dir, "bundle", "import", str(answer))
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_a_change_refused_in_a_bundle_comes_back_set_aside_with_the_servers_value(
    tmp_path, sync_server: LiveServer
):
    station = sync_server.create_station("大田镇综合文化站", "仁和区")
    a = enrolled_pc(tmp_path, "desk", sync_server, station)
    shared = write(a, "activities", None, {"title": "广场舞展演", "attendance": 80})
    cli_sync(a)
    usb_ready(a, sync_server)  # online once: the bundle key reaches the server
    # The network is gone. An older desk had no limit: a 10,001-character title goes into the
    # outbox (today's forms refuse it at the field), with a good change after it.
    write(a, "activities", shared, {"title": "长" * 10_001})
    good = write(a, "people", None, {"name": "正常登记"})
    out = by_usb(sync_server, a, "desk-1")
    assert "有 1 条修改未被市服务器接受" in out, out
    # The row shows the server's value again; the refused value is listed with the reason.
    assert rows(a, "activities")[shared]["title"] == "广场舞展演"
    (item,) = open_items(a)
    assert item["tbl"] == "activities" and item["row_id"] == shared
    assert item["fields"]["title"] == "长" * 10_001 and item["code"] == "too_long"
    status = cli(a, "sync-status").stdout
    assert "有 1 条修改未被市服务器接受" in status and "待上传的修改：0 条" in status, status
    held = sync_server.query("SELECT title FROM activities WHERE id = ?", (shared,))
    assert [r["title"] for r in held] == ["广场舞展演"]
    assert good in {r["id"] for r in sync_server.query("SELECT id FROM people")}
    # The copies agree, by the digest both sides compute.
    assert desk_root(a) == server_root(sync_server, station)
    # The same bundle imported again (the answer lost): the set-aside item comes back once,
    # with the server's value, and nothing changes on the desk.
    by_usb(sync_server, a, "desk-1")
    assert len(open_items(a)) == 1
    assert desk_root(a) == server_root(sync_server, station)
    # Entered again correctly, it goes through by USB too.
    write(a, "activities", shared, {"title": "广场舞展演（改）"})
    assert "未被市服务器接受" not in by_usb(sync_server, a, "desk-2")
    held = sync_server.query("SELECT title FROM activities WHERE id = ?", (shared,))
    assert [r["title"] for r in held] == ["广场舞展演（改）"]
    assert desk_root(a) == server_root(sync_server, station)
    assert "同步完成" in cli_sync(a)  # and the network agrees when it comes back


def test_a_bundle_from_a_restored_backup_is_refused_with_what_to_do(
    tmp_path, sync_server: LiveServer
):
    """Issue 12, situation 1 by USB: a restored file cannot re-key through a bundle (a new device
    id needs the network), so the import refuses it, changes nothing, and says what to do; the
    next network sync then re-keys and the copies agree."""
    station = sync_server.create_station("大田镇综合文化站", "仁和区")
    a = enrolled_pc(tmp_path, "desk", sync_server, station)
    shared = write(a, "activities", None, {"title": "原标题"})
    cli_sync(a)
    usb_ready(a, sync_server)
    backup = tmp_path / "backup.sqlite3"
    assert cli(a, "backup", "-o", str(backup)).returncode == 0
    write(a, "activities", shared, {"title": "备份后改的标题"})
    cli_sync(a)
    assert cli(a, "restore", str(backup)).returncode == 0
    after = write(a, "people", None, {"name": "恢复后登记"})
    bundle = tmp_path / "restored.pzhbundle"
    done = cli(a, "bundle", "export", "-o", str(bundle))
    assert done.returncode == 0, done.stdout + done.stderr
    before = server_root(sync_server, station)
    refused = sync_server.admin(
        "import-bundle", str(bundle), "-o", str(tmp_path / "answer.pzhbundle"), check=False
    )
    said = refused.stdout + refused.stderr
    assert refused.returncode != 0 and "连网同步一次" in said and "重新登记" in said, said
    assert "rekey_required" not in said  # words for staff, not the protocol's code
    assert server_root(sync_server, station) == before  # nothing applied
    assert not sync_server.query("SELECT id FROM people WHERE id = ?", (after,))
    # Online again: the file re-keys, gets its later work back and pushes what came after.
    out = cli_sync(a)
    assert "新的设备身份" in out and "同步完成" in out, out
    assert rows(a, "activities")[shared]["title"] == "备份后改的标题"
    assert [r["id"] for r in sync_server.query("SELECT id FROM people WHERE id = ?", (after,))]
    assert desk_root(a) == server_root(sync_server, station)
