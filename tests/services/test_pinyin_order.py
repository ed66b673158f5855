"""Names are listed in pinyin order (丁 冯 何 刘 余), not in code-point order (丁 何 余 冯 刘)."""

from __future__ import annotations

from pzh_core import text
from pzh_core.domain.person import Person
from pzh_core.domain.volunteer import Volunteer
from pzh_station.services.people import PeopleService
from pzh_station.services.station import StationProfile, StationService
from pzh_station.services.volunteers import VolunteerService

NAMES = ["余静", "刘洋", "何芳", "丁伟", "冯军"]
PINYIN_ORDER = ["丁伟", "冯军", "何芳", "刘洋", "余静"]


def test_pinyin_key_orders_names_by_reading():
    assert sorted(NAMES) != PINYIN_ORDER  # code-point order is not what people expect
    assert sorted(NAMES, key=text.pinyin_key) == PINYIN_ORDER
    assert sorted(["张三", "Anna", "章敏"], key=text.pinyin_key) == [
        "Anna",
        "章敏",
        "张三",
    ]  # zhang min < zhang san


def test_people_volunteers_and_staff_are_listed_in_pinyin_order(services):
    people = PeopleService(services)
    vols = VolunteerService(services)
    for i, name in enumerate(NAMES):
        pid = people.save(Person(name=name, phone=f"1380000000{i}"))
        vols.save(Volunteer(person_id=pid, join_date="2024-01-01"))
    assert [r["name"] for r in people.search("", limit=50)] == PINYIN_ORDER
    assert [r["name"] for r in vols.rows()] == PINYIN_ORDER
    station = StationService(services)
    profile = station.profile() or StationProfile()
    profile.staff = NAMES
    station.save_profile(profile)
    assert station.profile().staff == PINYIN_ORDER
