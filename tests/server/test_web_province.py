"""A province's overview by county (issue 16): above ``PZH_SYNC_STATIONS_ON_PAGE`` stations
the city's overview and exports show one row per county, added up in the database; each county's
row equals that county's own sums of its stations (its drill-down page, ``?county=``)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid

import pytest

from tests.server_fixtures import start_server
from tests.web_support import Device, activity, make_world, web_client

YEAR = dt.date.today().year - 1


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, module_database):
    where = tmp_path_factory.mktemp("province") / "server"
    env = {"PZH_SYNC_STATIONS_ON_PAGE": "2"}  # the 4 stations below count as a province
    with start_server(where, database=module_database, env=env) as server:
        w = make_world(server, YEAR)
        # A station with visits but no population: its visits are not in the per-resident rate.
        sid = server.create_station("新山镇综合文化站", "米易县")
        enrolled = server.enroll(sid, device_name="新山镇电脑")
        dev = Device(enrolled["device_id"], enrolled["token"], sid)
        dev.push(
            server.url,
            [("activities", str(uuid.uuid4()), activity(f"{YEAR}-03-01", attendance=70))],
        )
        yield server, w


def _csv(client, query: str) -> tuple[list[str], dict[str, list[str]]]:
    r = client.get(f"/web/export/overview.csv?year={YEAR}{query}")
    assert r.status_code == 200, r.text
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    return rows[1], {row[1]: row for row in rows[2:]}


def test_city_overview_by_county_equals_each_countys_own_sums(world) -> None:
    server, _ = world
    with web_client(server.url, "city") as c:
        head, city = _csv(c, "")
        assert list(city) == ["仁和区（2个站）", "米易县（2个站）", "全市合计（4个站）"]
        for county in ("仁和区", "米易县"):
            _, one = _csv(c, f"&county={county}")
            # the drill-down: its 2 stations, its row and the total, by the per-station path
            assert len(one) == 4 and f"{county}（2个站）" in one and "合计（2个站）" in one
            assert one[f"{county}（2个站）"] == city[f"{county}（2个站）"], county
        miyi = dict(zip(head, city["米易县（2个站）"], strict=True))
        assert miyi["活动场次"] == "2" and miyi["参与人次"] == "110"
        # 新山镇 has no population: only 攀莲镇's 40 visits over its 5,000 residents count.
        assert float(miyi["人均参与次数"]) == pytest.approx(40 / 5000, abs=1e-3)
        total = dict(zip(head, city["全市合计（4个站）"], strict=True))
        assert total["活动场次"] == "5" and total["参与人次"] == "365"
        assert total["常住人口"] == "15000"
        assert float(total["人均参与次数"]) == pytest.approx(295 / 15000, abs=1e-3)
        assert float(total["活动场次目标（按时间折算）"]) == pytest.approx(4 * 14.6)

        html = c.get(f"/web/?year={YEAR}").text
        assert 'id="by-county-note"' in html and 'id="station-table"' not in html
        assert f'href="/web/?year={YEAR}&amp;county=%E7%B1%B3%E6%98%93%E5%8E%BF"' in html
        # The attention lists still name stations: 同德镇 never synced.
        silent = html.split('id="attention-silent"')[1].split("</ul>")[0]
        assert "同德镇综合文化站" in silent and "从未同步" in silent
        behind = html.split('id="attention-behind"')[1].split("</ul>")[0]
        assert behind.count("<li>") == 4  # all four are below 14.6 activities

        drill = c.get(f"/web/?year={YEAR}&county=米易县").text
        assert 'id="station-table"' in drill and 'id="back-to-city"' in drill
        assert "新山镇综合文化站" in drill and "大田镇综合文化站" not in drill
        assert 'name="county" value="米易县"' in drill  # the year picker keeps the county
        assert c.get(f"/web/?year={YEAR}&county=西区").status_code == 404
        xlsx = c.get(f"/web/export/overview.xlsx?year={YEAR}&county=米易县")
        assert xlsx.status_code == 200
        assert "pzh-overview-" in xlsx.headers["content-disposition"]


def test_a_county_user_sees_only_its_own_stations(world) -> None:
    server, _ = world
    with web_client(server.url, "renhe") as c:
        page = c.get(f"/web/?year={YEAR}").text
        assert 'id="station-table"' in page and "大田镇综合文化站" in page
        assert c.get(f"/web/?year={YEAR}&county=米易县").status_code == 404
        assert c.get(f"/web/export/overview.csv?year={YEAR}&county=米易县").status_code == 404
