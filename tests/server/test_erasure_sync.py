"""Erasure on request against offline edits (issue 13, §5): a PC that edits an erased person's
personal fields without having seen the erasure must not bring them back. The server refuses such
a change and sets it aside (docs/architecture.md decision 1: the PC lists it with what, why and
what to do; the row shows the server's value again; everything else keeps syncing), and an
erasure that arrives after an edit it predates still wins. Real server on loopback (both
engines), two ``pzh-station`` processes on real files; the offline edit is made with the same
service the volunteer form uses, on the PC's file while the app is closed."""

from __future__ import annotations

import json
from pathlib import Path

from pzh_core.domain.person import Person
from pzh_core.domain.volunteer import Volunteer
from pzh_station.services.context import Services
from pzh_station.services.volunteers import VolunteerService
from pzh_station.store import Store, set_aside
from tests import server_fixtures
from tests.e2e.test_sync_epoch import cli, cli_sync, enrolled_pc, replica, rows, write
from tests.server_fixtures import LiveServer
from tests.sync_helpers import logged_values

sync_server = server_fixtures.sync_server

ID = "11010519491231002X"
PHONE = "13912345678"
NEW_PHONE = "13900002222"
NEW_ID = "510402198001010018"
PERSONAL = ("刘晓梅", PHONE, ID, "刘小梅", NEW_PHONE, NEW_ID, "1949", "1950")


def volunteer_service(data_dir: Path, store: Store) -> VolunteerService:
    return VolunteerService(Services(data_dir, store, "李明"))


def add_volunteer(data_dir: Path) -> tuple[str, str]:
    store = Store(data_dir / "station.sqlite3")
    try:
        vid = volunteer_service(data_dir, store).save(
            Volunteer(join_date="2022-01-01", id_type="resident_id", id_number=ID),
            Person(name="刘晓梅", gender="女", phone=PHONE, birth_year=1949),
        )
        return vid, store.get("volunteers", vid)["person_id"]
    finally:
        store.close()


def edit_offline(data_dir: Path, vid: str) -> None:
    """The volunteer form on a PC that has not seen the erasure: name, phone, birth year and
    the ID number typed again."""
    store = Store(data_dir / "station.sqlite3")
    try:
        svc = volunteer_service(data_dir, store)
        vol, person = svc.get_with_person(vid)
        person.name, person.phone, person.birth_year = "刘小梅", NEW_PHONE, 1950
        vol.id_number = NEW_ID
        svc.save(vol, person)
    finally:
        store.close()


def two_pcs(tmp_path: Path, server: LiveServer) -> tuple[Path, Path, str, str, str]:
    station = server.create_station("大田镇综合文化站", "仁和区")
    a = enrolled_pc(tmp_path, "desk", server, station)
    b = enrolled_pc(tmp_path, "laptop", server, station)
    vid, pid = add_volunteer(a)
    cli_sync(a)
    cli_sync(b)
    assert rows(b, "people")[pid]["phone"] == PHONE
    return a, b, station, vid, pid


def erase_on(data_dir: Path) -> None:
    done = cli(data_dir, "erase-person", PHONE, "--yes")
    assert done.returncode == 0 and "已注销" in done.stdout, done.stdout + done.stderr


def assert_erased_everywhere(server: LiveServer, station: str, vid: str, pid: str, *pcs: Path):
    for pc in pcs:
        person, vol = rows(pc, "people")[pid], rows(pc, "volunteers")[vid]
        got = (person["name"], person["phone"], person["birth_year"], vol["id_number"])
        assert got == ("已注销", "", 0, ""), (pc.name, got)
        assert person["erased_on"], pc.name
        store = Store(pc / "station.sqlite3")
        try:
            logs = json.dumps(
                logged_values(store),
                ensure_ascii=False,
            )
        finally:
            store.close()
        for personal in PERSONAL:
            assert personal not in logs, (pc.name, personal)
    person = server.query("SELECT * FROM people WHERE id = ?", (pid,))[0]
    vol = server.query("SELECT * FROM volunteers WHERE id = ?", (vid,))[0]
    got = (person["name"], person["phone"], person["birth_year"], vol["id_number"])
    assert got == ("已注销", "", 0, ""), got
    kept = json.dumps(
        server.query("SELECT fields FROM srv_feed WHERE station_id = ?", (station,))
        + server.query("SELECT fields FROM srv_set_aside WHERE station_id = ?", (station,)),
        ensure_ascii=False,
    )
    for personal in PERSONAL:
        assert personal not in kept, personal
    assert replica(pcs[0]) == replica(pcs[1])


def test_an_offline_edit_arriving_after_the_erasure_is_set_aside(tmp_path, sync_server: LiveServer):
    a, b, station, vid, pid = two_pcs(tmp_path, sync_server)
    erase_on(b)
    cli_sync(b)
    # The desk has not synced since: it still shows her and takes the edit.
    edit_offline(a, vid)
    assert rows(a, "people")[pid]["phone"] == NEW_PHONE
    other = write(a, "activities", None, {"title": "离线时录入的讲座", "attendance": 30})
    out = cli_sync(a)
    assert "有 2 条修改未被市服务器接受" in out and "同步完成" in out, out
    store = Store(a / "station.sqlite3")
    try:
        items = set_aside.open_items(store)
    finally:
        store.close()
    assert sorted(i["tbl"] for i in items) == ["people", "volunteers"]
    for item in items:
        assert item["code"] == "erased", item
        assert "按本人申请注销" in item["message"] and "新登记" in item["message"], item
    status = cli(a, "sync-status").stdout
    assert "有 2 条修改未被市服务器接受" in status and "注销" in status, status
    # Everything else keeps syncing, both ways.
    cli_sync(b)
    assert rows(b, "activities")[other]["title"] == "离线时录入的讲座"
    assert_erased_everywhere(sync_server, station, vid, pid, a, b)


def test_an_erasure_arriving_after_a_later_edit_still_wins(tmp_path, sync_server: LiveServer):
    a, b, station, vid, pid = two_pcs(tmp_path, sync_server)
    erase_on(b)  # offline: the erasure waits on the laptop
    edit_offline(a, vid)  # later, on the desk, which syncs first
    cli_sync(a)
    assert sync_server.query("SELECT phone FROM people WHERE id = ?", (pid,))[0]["phone"] == (
        NEW_PHONE
    )
    cli_sync(b)
    cli_sync(a)
    assert_erased_everywhere(sync_server, station, vid, pid, a, b)
