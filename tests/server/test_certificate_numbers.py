"""Certificate numbers unique across a station's PCs even when issued offline (issue 13, §5;
docs/volunteers.md, "The register"), against a real server on loopback, on both engines:

- the city server gives each device its number in the station (J01, J02 …): two PCs whose
  device ids share the first six hex digits — the old prefix — issue different numbers;
- a PC that has not synced yet uses a provisional prefix; if two such PCs drew the same number,
  the server keeps the first to arrive and sets the later aside (code ``duplicate_number``) with
  a clear message, and that PC's next certificate takes a number of its own;
- a file restored from a backup made before some of its certificates continues after the last
  number this PC issued (kept outside the data folder), not from what the backup holds;
- server migration 15 numbers the devices a server already holds, station by station."""

from __future__ import annotations

import datetime as dt
import shutil
import uuid

from pzh_core.domain import certificate
from pzh_core.domain.person import Person
from pzh_core.domain.volunteer import ServiceRecord, Volunteer
from pzh_station.services.context import Services
from pzh_station.services.volunteers import CertificateRequest, VolunteerService
from pzh_station.store import Store
from pzh_station.store import certificates as cq
from sync.server import admin, auth
from sync.server.sql_storage import open_storage
from tests import server_fixtures
from tests.sync_helpers import PC

sync_server = server_fixtures.sync_server
TODAY = dt.date.today()
YEAR = TODAY.year
ID = "11010519491231002X"


def svc(pc: PC) -> VolunteerService:
    return VolunteerService(Services(pc.data_dir, pc.store, "李明"))


def _issue(pc: PC, vid: str, path) -> str:
    req = CertificateRequest(volunteer_id=vid, head="张建国", phone="08122880123")
    number, _ = svc(pc).write_certificate(req, path)
    return number


def _station(tmp_path, server, *, same_prefix: bool):
    """Two PCs of one station, enrolled, a verified volunteer on both; with ``same_prefix``
    their device ids share the first six hex digits (the old per-PC prefix)."""
    station = server.create_station("大田镇综合文化站", "仁和区")
    pcs = [PC(tmp_path, "desk"), PC(tmp_path, "laptop")]
    if same_prefix:
        for pc in pcs:
            pc.store.set_meta("device_id", "abcdef" + uuid.uuid4().hex[6:])
    for pc in pcs:
        pc.enroll(server.url, server.issue_code(station))
    a = pcs[0]
    vid = svc(a).save(
        Volunteer(join_date="2022-01-01", id_type="resident_id", id_number=ID),
        Person(name="刘晓梅", gender="女", phone="13912345678", birth_year=1949),
    )
    rec = svc(a).save_record(
        ServiceRecord(
            volunteer_id=vid,
            date=(TODAY - dt.timedelta(days=3)).isoformat(),
            hours=2,
            description="展览讲解",
        )
    )
    svc(a).verify(rec.id, verifier="王芳")
    return station, pcs, vid


def test_server_given_pc_numbers_keep_numbers_apart_when_device_ids_share_a_prefix(
    tmp_path, sync_server
):
    _station_id, (a, b), vid = _station(tmp_path, sync_server, same_prefix=True)
    assert a.store.device_id[:6] == b.store.device_id[:6] == "abcdef"
    a.sync()
    b.sync()
    assert (cq.pc_number(a.store), cq.pc_number(b.store)) == (1, 2)  # in enrollment order
    issued = [_issue(pc, vid, tmp_path / f"{i}.pdf") for i, pc in enumerate((a, b, a, b))]
    assert issued == [
        f"ZYZM{YEAR}-J01-0001",
        f"ZYZM{YEAR}-J02-0001",
        f"ZYZM{YEAR}-J01-0002",
        f"ZYZM{YEAR}-J02-0002",
    ]
    for pc in (a, b, a):
        pc.sync()
    assert sorted(r["number"] for r in svc(b).register()) == sorted(issued)
    assert not b.store.query("SELECT * FROM set_aside")
    a.store.close()
    b.store.close()


def test_a_number_already_held_is_set_aside_and_the_next_one_is_new(tmp_path, sync_server):
    station, (a, b), vid = _station(tmp_path, sync_server, same_prefix=True)
    a.sync()
    b.sync()
    # Neither knows its PC number yet (as a desk of the previous version, or one enrolled and
    # offline since): both take the provisional prefix, the same here, and issue offline.
    for pc in (a, b):
        pc.store.conn.execute("DELETE FROM meta WHERE key = ?", (cq.PC_NUMBER_KEY,))
    first = _issue(a, vid, tmp_path / "a.pdf")
    second = _issue(b, vid, tmp_path / "b.pdf")
    assert first == second == f"ZYZM{YEAR}-ABCDEF-0001"
    a.sync()
    b.sync()
    held = sync_server.query(
        "SELECT id, number FROM volunteer_certificates WHERE station_id = ?", (station,)
    )
    assert [r["number"] for r in held] == [first]  # the first to arrive keeps it
    aside = b.store.query("SELECT code, message FROM set_aside")
    assert [r["code"] for r in aside] == [certificate.DUPLICATE]
    assert f"证明编号 {first} 已由本站另一台电脑登记" in aside[0]["message"]
    assert "已打印的请作废，重新出具" in aside[0]["message"]
    # b's register holds the station's certificate only, and its next number is its own
    assert [r["number"] for r in svc(b).register()] == [first]
    assert _issue(b, vid, tmp_path / "b2.pdf") == f"ZYZM{YEAR}-J02-0001"
    a.store.close()
    b.store.close()


def test_a_restored_backup_continues_after_the_last_number_issued_here(tmp_path, sync_server):
    _station_id, (a, b), vid = _station(tmp_path, sync_server, same_prefix=False)
    a.sync()
    assert _issue(a, vid, tmp_path / "1.pdf") == f"ZYZM{YEAR}-J01-0001"
    backup = tmp_path / "backup.sqlite3"
    a.store.close()
    shutil.copy(a.data_dir / "station.sqlite3", backup)
    a.store = Store(a.data_dir / "station.sqlite3")
    assert _issue(a, vid, tmp_path / "2.pdf") == f"ZYZM{YEAR}-J01-0002"
    a.sync()  # the server has it; the backup does not
    a.store.close()
    shutil.copy(backup, a.data_dir / "station.sqlite3")  # the disk failed; the backup is back
    a.store = Store(a.data_dir / "station.sqlite3")
    assert [r["number"] for r in svc(a).register()] == [f"ZYZM{YEAR}-J01-0001"]
    # offline, before its first sync: not 0002 again
    assert _issue(a, vid, tmp_path / "3.pdf") == f"ZYZM{YEAR}-J01-0003"
    a.sync()
    numbers = sorted(r["number"] for r in svc(a).register())
    assert numbers == [f"ZYZM{YEAR}-J01-000{i}" for i in (1, 2, 3)]
    assert not a.store.query("SELECT * FROM set_aside")
    # the file re-keyed (a restored backup): a new device, a new PC number
    assert cq.pc_number(a.store) == 3
    a.store.close()
    b.store.close()


def test_migration_15_numbers_the_devices_held(empty_database) -> None:
    storage = open_storage(empty_database)
    try:
        stations = [admin.create_station(storage, f"站{i}", "仁和区").id for i in (1, 2)]
        made = []
        for station in (stations[0], stations[1], stations[0]):
            code = admin.issue_code(storage, station).code
            dev, _ = storage.enroll(
                code, token_hash=auth.hash_token(code), device_name="PC", app_version="1",
                device_id=None,
            )  # fmt: skip
            made.append(dev.id)
        storage.engine.write(
            lambda c: (
                c.ddl("DROP INDEX srv_devices_pc"),
                c.execute("UPDATE srv_devices SET pc_number = NULL"),
                c.execute("DELETE FROM srv_migrations WHERE number = 15"),
            )
        )
    finally:
        storage.close()
    storage = open_storage(empty_database)
    try:
        got = {r["id"]: r["pc_number"] for r in storage.query("SELECT * FROM srv_devices")}
        assert [got[d] for d in made] == [1, 1, 2]
        code = admin.issue_code(storage, stations[0]).code
        dev, _ = storage.enroll(
            code, token_hash=auth.hash_token("new"), device_name="PC", app_version="1",
            device_id=None,
        )  # fmt: skip
        assert dev.pc_number == 3
    finally:
        storage.close()
