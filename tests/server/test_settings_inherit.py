"""City settings reach every desk (decision 3), also a station's created after they were set:
a new station inherits the city's and its own county's settings as its own copies, never
another county's or another station's."""

from __future__ import annotations

import json

from sync.server import admin, approvals, definitions
from sync.server.photo_cli import set_day_budget


def _settings(storage, station_id: str) -> dict[tuple[str, str], object]:
    rows = storage.query(
        "SELECT key, scope, value FROM city_settings WHERE station_id = ? AND deleted = 0",
        (station_id,),
    )
    return {(r["key"], r["scope"]): json.loads(r["value"])["v"] for r in rows}


def test_a_station_created_later_inherits_the_city_and_county_settings(make_storage) -> None:
    storage = make_storage(now=lambda: 1_795_000_000_000)
    first = admin.create_station(storage, "大田镇综合文化站", "仁和区").id
    alone = admin.create_station(storage, "银江镇综合文化站", "东区").id
    set_day_budget(storage, 50, county=None, station_id=None)  # the whole city
    set_day_budget(storage, 80, county=None, station_id=alone)  # one station only
    approvals.set_deadline(storage, "仁和区", 30)
    definitions.set_form_number(storage, "仁和区", "文旅统基1表")
    assert _settings(storage, first) == {
        ("photo_day_mb", "city"): 50,
        ("edit_deadline_days", "仁和区"): 30,
        ("return_form_number", "仁和区"): "文旅统基1表",
    }
    # Later, a city-wide change of the budget: the newest value is inherited.
    set_day_budget(storage, 60, county=None, station_id=None)

    same_county = admin.create_station(storage, "平地镇综合文化站", "仁和区").id
    other_county = admin.create_station(storage, "炳草岗街道综合文化站", "东区").id

    assert _settings(storage, same_county) == {
        ("photo_day_mb", "city"): 60,
        ("edit_deadline_days", "仁和区"): 30,
        ("return_form_number", "仁和区"): "文旅统基1表",
    }
    # Not 仁和区's deadline or 表号, not the other 东区 station's own budget.
    assert _settings(storage, other_county) == {("photo_day_mb", "city"): 60}
    # Inherited copies travel like every server write: in the new station's feed.
    feed = storage.query(
        "SELECT tbl FROM srv_feed WHERE station_id = ? AND tbl = 'city_settings'", (same_county,)
    )
    assert len(feed) == 3
