"""Certificates and erasure across PCs (issue 13, §5): two PCs of one station issue certificates
offline and their numbers stay unique once synced; a person erased on one PC becomes 已注销 on the
other and on the server — in the replica and in the change logs — while the hours stay. Real
server on loopback, real SQLite files."""

from __future__ import annotations

import datetime as dt
import json

from pzh_core.domain.person import Person
from pzh_core.domain.volunteer import ServiceRecord, Volunteer
from pzh_station.services.context import Services
from pzh_station.services.volunteers import CertificateRequest, VolunteerService
from tests import server_fixtures
from tests.server_fixtures import LiveServer
from tests.sync_helpers import PC, logged_values

sync_server = server_fixtures.sync_server

ID = "11010519491231002X"
TODAY = dt.date.today()


def svc(pc: PC) -> VolunteerService:
    return VolunteerService(Services(pc.data_dir, pc.store, "李明"))


def two_pcs_with_a_volunteer(tmp_path, server: LiveServer) -> tuple[PC, PC, str, str]:
    station = server.create_station("大田镇综合文化站", "仁和区")
    a, b = PC(tmp_path, "desk"), PC(tmp_path, "laptop")
    for pc in (a, b):
        pc.enroll(server.url, server.issue_code(station))
    vid = svc(a).save(
        Volunteer(join_date="2022-01-01", id_type="resident_id", id_number=ID),
        Person(name="刘晓梅", gender="女", phone="13912345678", birth_year=1949),
    )
    for days, hours in ((30, 3), (10, 2.5)):
        day = (TODAY - dt.timedelta(days=days)).isoformat()
        rec = svc(a).save_record(
            ServiceRecord(volunteer_id=vid, date=day, hours=hours, description="展览讲解")
        )
        svc(a).verify(rec.id, verifier="王芳")
    a.sync()
    b.sync()
    return a, b, station, vid


def test_certificate_numbers_stay_unique_across_pcs_issuing_offline(
    tmp_path, sync_server: LiveServer
):
    a, b, station, vid = two_pcs_with_a_volunteer(tmp_path, sync_server)
    issued = []
    for pc in (a, b, a, b):  # both offline: nothing syncs in between
        req = CertificateRequest(volunteer_id=vid, head="张建国", phone="08122880123")
        number, _ = svc(pc).write_certificate(req, tmp_path / f"{pc.name}-{len(issued)}.pdf")
        issued.append(number)
    assert len(set(issued)) == 4, issued
    for pc in (a, b, a):
        pc.sync()
    for pc in (a, b):
        assert sorted(r["number"] for r in svc(pc).register()) == sorted(issued), pc.name
    on_server = sync_server.query(
        "SELECT number FROM volunteer_certificates WHERE station_id = ? AND deleted = 0",
        (station,),
    )
    assert sorted(r["number"] for r in on_server) == sorted(issued)
    # The next one each PC issues follows its own register, still unique.
    number, _ = svc(b).write_certificate(
        CertificateRequest(volunteer_id=vid, head="张建国", phone="08122880123"),
        tmp_path / "next.pdf",
    )
    assert number not in issued and number.endswith("-0003")


def test_erasure_reaches_the_other_pc_and_the_server_and_hours_stay(
    tmp_path, sync_server: LiveServer
):
    a, b, station, vid = two_pcs_with_a_volunteer(tmp_path, sync_server)
    vol, person = svc(b).get_with_person(vid)
    # B has personal data of her in its own change log too (a phone corrected there).
    person.phone = "13900001111"
    svc(b).save(vol, person)
    b.sync()
    a.sync()
    before_b = (svc(b).totals(vid).all_time, svc(b).hours_summary(TODAY.year)[0]["months"])
    hours_sql = (
        "SELECT sum(hours) AS h FROM service_records"
        " WHERE station_id = ? AND status = 'verified' AND deleted = 0"
    )
    before_server = sync_server.query(hours_sql, (station,))[0]["h"]
    svc(a).erase_person(person.id)
    a.sync()
    b.sync()
    for pc in (a, b):
        vol, who = svc(pc).get_with_person(vid)
        assert (who.name, who.phone, who.birth_year, vol.id_number) == ("已注销", "", 0, ""), pc
        # the change log and the changes received (the records' history) alike
        log = json.dumps(
            logged_values(pc.store),
            ensure_ascii=False,
        )
        for personal in ("刘晓梅", "13912345678", "13900001111", ID):
            assert personal not in log, (pc.name, personal)
    assert (svc(b).totals(vid).all_time, svc(b).hours_summary(TODAY.year)[0]["months"]) == before_b
    assert before_b[0] == 5.5
    srv_person = sync_server.query("SELECT * FROM people WHERE id = ?", (person.id,))[0]
    srv_vol = sync_server.query("SELECT * FROM volunteers WHERE id = ?", (vid,))[0]
    assert (srv_person["name"], srv_person["phone"], srv_person["birth_year"]) == ("已注销", "", 0)
    assert srv_person["erased_on"] == TODAY.isoformat() and srv_vol["id_number"] == ""
    feed = json.dumps(
        sync_server.query("SELECT fields FROM srv_feed WHERE station_id = ?", (station,)),
        ensure_ascii=False,
    )
    for personal in ("刘晓梅", "13912345678", "13900001111", ID):
        assert personal not in feed, personal
    assert sync_server.query(hours_sql, (station,))[0]["h"] == before_server == 5.5
