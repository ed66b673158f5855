"""People registry: pinyin and phone search, duplicates, merging two people."""

from __future__ import annotations

import datetime as dt

import pytest

from pzh_core.domain.errors import ValidationError
from pzh_core.domain.person import Person, pinyin_keys
from pzh_core.domain.training import TrainingClass
from pzh_core.schema import det_id
from pzh_station.services.people import DuplicatePersonError, PeopleService
from pzh_station.services.training import TrainingService


def names(rows):
    return [r["name"] for r in rows]


def test_pinyin_keys_keep_every_reading_of_the_surname():
    assert pinyin_keys("张三") == ("|zs", "|zhangsan")
    initials, full = pinyin_keys("曾小明")
    assert "|zxm" in initials + "|" and "|cxm" in initials + "|"
    assert "zengxiaoming" in full


def test_search_by_initials_full_pinyin_characters_and_phone(services):
    people = PeopleService(services)
    for name, phone in [
        ("张三", "13800001111"),
        ("赵四", "13900002222"),
        ("张珊珊", ""),
        ("李四", "0812-3334444"),
    ]:
        people.save(Person(name=name, phone=phone))
    assert names(people.search("zs"))[0] == "张三"  # exact initials first
    assert set(names(people.search("zs"))) == {"张三", "赵四", "张珊珊"}  # zs… prefix of zss too
    assert names(people.search("zhangs")) == ["张三", "张珊珊"]
    assert names(people.search("ZS"))[0] == "张三"
    assert set(names(people.search("四"))) == {"赵四", "李四"}
    assert names(people.search("0000 1111")) == [
        "张三"
    ]  # spaces typed between digit groups are ignored
    assert names(people.search("00001111")) == ["张三"]
    assert names(people.search("１３９")) == ["赵四"]  # full-width digits from a Chinese IME
    assert names(people.search("3334444")) == ["李四"]
    assert names(people.search("wang")) == []


def test_renamed_person_is_found_by_new_pinyin(services):
    people = PeopleService(services)
    pid = people.save(Person(name="王五"))
    assert names(people.search("ww")) == ["王五"]
    p = people.get(pid)
    p.name = "刘六"
    people.save(p)
    assert names(people.search("ww")) == []
    assert names(people.search("ll")) == ["刘六"]


def test_duplicate_is_offered_instead_of_made(services):
    people = PeopleService(services)
    first = people.save(Person(name="张三", phone="13800001111", village="大田村", birth_year=1960))
    with pytest.raises(DuplicatePersonError) as exc:
        people.save(Person(name="张 三", phone="138 0000 1111"), check_duplicates=True)
    assert [r["id"] for r in exc.value.existing] == [first]
    assert "张三" in exc.value.errors["name"]
    with pytest.raises(DuplicatePersonError):
        people.save(Person(name="张三", birth_year=1960, village="大田村"), check_duplicates=True)
    # Same name only, or same name and year in another village: a different person.
    people.save(Person(name="张三", birth_year=1960, village="金江村"), check_duplicates=True)
    people.save(Person(name="张三"), check_duplicates=True)
    assert people.count() == 3


def test_bad_person_is_refused_with_a_field_message(services):
    with pytest.raises(ValidationError) as exc:
        PeopleService(services).save(Person(name="", phone="123"))
    assert set(exc.value.errors) == {"name", "phone"}
    assert PeopleService(services).count() == 0


def _class(services, name="声乐班"):
    t = TrainingService(services)
    cid = t.save_class(
        TrainingClass(name=name, art_form="vocal", start_date="2026-03-01", end_date="2026-04-30")
    )
    return t, cid


def test_merge_keeps_enrollments_attendance_and_volunteer_records(services):
    people = PeopleService(services)
    keep = people.save(Person(name="张三", phone="13800001111"))
    drop = people.save(Person(name="张三", birth_year=1958, village="大田村", notes="腿脚不便"))
    t, cid = _class(services)
    _, other = _class(services, "书法班")
    s1, s2 = t.add_sessions(cid, ["2026-03-03", "2026-03-05"], "19:30", "21:00")
    t.enroll(cid, keep)
    t.enroll(cid, drop)
    t.enroll(other, drop)
    t.mark(s1, keep, "absent")
    t.mark(s1, drop, "present")  # the better mark wins
    t.mark(s2, drop, "late")
    store = services.store
    vol_id = det_id("volunteer", drop)
    store.write(
        "volunteers", vol_id, {"person_id": drop, "number": "V001", "skills": ["performance"]}
    )
    rec = store.write(
        "service_records",
        None,
        {"volunteer_id": vol_id, "person_id": drop, "date": "2026-03-01", "hours": 2.0},
    )

    people.merge(keep, drop)

    merged = people.get(keep)
    assert (merged.birth_year, merged.village, merged.phone) == (1958, "大田村", "13800001111")
    assert "腿脚不便" in merged.notes
    assert store.get("people", drop)["merged_into"] == keep
    assert [r["id"] for r in people.search("张三")] == [keep]
    assert [r["id"] for r in t.roster(cid)] == [keep]
    assert [r["id"] for r in t.roster(other)] == [keep]
    g = t.grid(cid, today=dt.date(2026, 6, 1))
    assert g.mark(keep, s1) == "present" and g.mark(keep, s2) == "late"
    assert g.attended(keep) == 2
    assert store.get("enrollments", det_id("enrollment", cid, drop))["deleted"] is True
    new_vol = store.get("volunteers", det_id("volunteer", keep))
    assert new_vol["number"] == "V001" and new_vol["person_id"] == keep
    assert store.get("volunteers", vol_id)["deleted"] is True
    rec_row = store.get("service_records", rec)
    assert (rec_row["person_id"], rec_row["volunteer_id"]) == (keep, det_id("volunteer", keep))
    with pytest.raises(ValidationError):
        people.merge(keep, drop)  # already merged


def test_person_arriving_by_sync_is_found_by_pinyin(services):
    people = PeopleService(services)
    people.save(Person(name="张三"))
    assert names(people.search("zs")) == ["张三"]
    store = services.store
    stamp = "9999999999999.0000.otherdevice"
    with store.transaction():
        store.apply_remote(
            "people", "remote-1", store.station_id, {"name": "周杉", "merged_into": ""}, stamp
        )
    assert set(names(people.search("zs"))) == {"张三", "周杉"}
    with store.transaction():  # renamed on the other PC
        store.apply_remote(
            "people",
            "remote-1",
            store.station_id,
            {"name": "吴六"},
            "9999999999999.0001.otherdevice",
        )
    assert names(people.search("zs")) == ["张三"]
    assert names(people.search("wl")) == ["吴六"]


def test_marks_for_a_merged_person_arriving_later_move_to_the_kept_one(services):
    people = PeopleService(services)
    keep = people.save(Person(name="张三", phone="13800001111"))
    drop = people.save(Person(name="张三"))
    t, cid = _class(services)
    s1 = t.add_session(cid, "2026-03-03")
    t.enroll(cid, keep)
    people.merge(keep, drop)
    assert people.settle_merged() == 0
    # Another laptop, not yet aware of the merge, marked the old entry; the row arrives by sync.
    store = services.store
    late_id = det_id("attendance", s1, drop)
    with store.transaction():
        store.apply_remote(
            "attendance",
            late_id,
            store.station_id,
            {"session_id": s1, "class_id": cid, "person_id": drop, "mark": "late"},
            "9999999999999.0000.otherdevice",
        )
    assert people.settle_merged() == 1
    assert store.get("attendance", late_id)["deleted"] is True
    assert t.grid(cid, today=dt.date(2026, 6, 1)).mark(keep, s1) == "late"
    assert people.settle_merged() == 0  # idempotent
