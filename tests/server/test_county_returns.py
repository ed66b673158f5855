"""The county's summary of its stations' returns on the city web pages, after a real sync: the
hand-computed year of station 甲 (tests/annual_year.py) figure by figure, a station without
population adding nothing to the county's per-resident figure, each station's return status,
and the city's column per county."""

from __future__ import annotations

import io

import openpyxl
import pytest

from pzh_core.annual_return import ITEM
from pzh_station.services.annual_facts import AnnualFactsService
from pzh_station.services.context import Services
from tests import annual_year as ay
from tests import server_fixtures
from tests.sync_helpers import PC
from tests.web_support import PASSWORD, web_client

sync_server = server_fixtures.sync_server


def _station_pc(tmp_path, server, name, county):
    from pzh_station.services.station import StationProfile, StationService

    sid = server.create_station(name, county)
    pc = PC(tmp_path, name)
    services = Services(pc.data_dir, pc.store, "李明")
    StationService(services).save_profile(StationProfile(name=name, county=county, staff=["李明"]))
    pc.enroll(server.url, server.issue_code(sid))
    return pc, services, sid


@pytest.fixture
def county(sync_server, tmp_path):
    a, a_services, _ = _station_pc(tmp_path, sync_server, "甲镇综合文化站", "东区")
    ay.build(a.store)
    AnnualFactsService(a_services).save(ay.YEAR, ay.FACTS, confirm=True, today=ay.AS_OF)
    b, b_services, _ = _station_pc(tmp_path, sync_server, "乙镇综合文化站", "东区")
    b.store.write(
        "activities",
        None,
        {"title": "乙站演出", "date": "2025-05-01", "kind": "performance", "attendance": 200},
    )
    # 乙 files its facts without a population: its 200 visits must not enter the county's
    # per-resident figure (330 / 1000, not 530 / 1000)
    # and knows its 群众活动用房面积 where 甲 does not: the county's total is 乙's alone
    facts = {**ay.FACTS, "population": "", "population_source": "", "floor_area_activity": "500"}
    AnnualFactsService(b_services).save(ay.YEAR, facts, today=ay.AS_OF)  # not confirmed
    c, _c_services, _ = _station_pc(tmp_path, sync_server, "丙镇综合文化站", "东区")  # never synced
    m, _m_services, _ = _station_pc(tmp_path, sync_server, "米易某站", "米易县")
    for pc in (a, b, m):
        pc.sync()
    for user, role, cty in (("dongqu", "county", "东区"), ("city", "city", "")):
        args = ["create-user", "--name", user, "--role", role, "--password", PASSWORD]
        sync_server.admin(*args, *(["--county", cty] if cty else []))
    sync_server.desks = {"甲": (a, a_services)}  # for tests that sync a desk again
    yield sync_server
    for pc in (a, b, c, m):
        pc.store.close()


def _sheet(client, query):
    r = client.get(f"/web/export/returns.xlsx?{query}")
    assert r.status_code == 200, r.text
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    head = next(i for i, row in enumerate(rows) if row[0] == "序号")
    columns = list(rows[head][3:])
    table = {"报送状态": dict(zip(columns, rows[head + 1][3:], strict=True))}
    for row in rows[head + 2 :]:
        if isinstance(row[0], int):
            table[row[1]] = dict(zip(columns, row[3:], strict=True))
    return table


def test_county_summary_figure_by_figure(county):
    with web_client(county.url, "dongqu") as c:
        html = c.get(f"/web/returns?year={ay.YEAR}")
        assert html.status_code == 200 and "米易某站" not in html.text
        table = _sheet(c, f"year={ay.YEAR}")
    a = {key: table[ITEM[key].label]["甲镇综合文化站"] for key in ay.EXPECTED}
    assert a == pytest.approx(ay.SHEET)
    assert set(table["报送状态"]) == {
        "甲镇综合文化站",
        "乙镇综合文化站",
        "丙镇综合文化站",
        "东区合计",
    }
    assert table["报送状态"]["甲镇综合文化站"] == "完整"
    assert table["报送状态"]["乙镇综合文化站"] == "年度基本情况未确认"
    assert table["报送状态"]["丙镇综合文化站"] == "从未同步"
    per = table["人均公共文化服务次数"]
    assert per["乙镇综合文化站"] == "—"
    assert per["东区合计"] == pytest.approx(0.33)  # 乙's 200 visits add nothing
    assert table["服务总人次"]["东区合计"] == 330 + 200
    assert table["乡镇（街道）常住人口"]["东区合计"] == 1_000
    assert table["年末从业人员"]["东区合计"] == 8  # 甲 4 + 乙 4; 丙 has no facts ("—")
    assert table["年末从业人员"]["丙镇综合文化站"] == "—"
    # a part not known shows "—" and adds nothing; a typed 0 is a 0
    activity, office = table["#群众活动用房面积"], table["#办公用房面积"]
    assert (activity["甲镇综合文化站"], activity["乙镇综合文化站"]) == ("—", 500)
    assert activity["东区合计"] == 500
    assert (office["甲镇综合文化站"], office["东区合计"]) == (0, 0)


def test_city_sees_a_column_per_county(county):
    with web_client(county.url, "city") as c:
        table = _sheet(c, f"year={ay.YEAR}")
        assert list(table["报送状态"]) == ["东区", "米易县", "全市合计"]
        assert table["报送状态"]["东区"] == "完整 1/3 站"
        assert table["人均公共文化服务次数"]["全市合计"] == pytest.approx(0.33)
        assert table["活动总场次"]["东区"] == ay.EXPECTED["total_activities"] + 1
        page = c.get(f"/web/returns?year={ay.YEAR}&county=东区").text
        assert "乙镇综合文化站" in page
    with web_client(county.url, "dongqu") as c:
        assert c.get(f"/web/returns?year={ay.YEAR}&county=米易县").status_code == 404


def test_the_city_definition_file_reaches_the_desk_and_the_web(sync_server, tmp_path):
    """``admin set-definitions`` switches 培训人次 to sign-ins: the web's figures at once, and
    the desk's after its next sync (the setting arrives as a server-written row)."""
    import json

    from pzh_station.services.annual_return import ReturnService

    a, services, _ = _station_pc(tmp_path, sync_server, "甲镇综合文化站", "东区")
    ay.build(a.store)
    AnnualFactsService(services).save(ay.YEAR, ay.FACTS, confirm=True, today=ay.AS_OF)
    a.sync()
    assert ReturnService(services).figures(ay.YEAR).definitions.trainee_visits == "participants"
    bad = tmp_path / "bad.json"
    bad.write_text(
        '{"name": "x", "version": "1", "trainee_visits": "每次",'
        ' "art_activity_kinds": ["performance"]}',
        encoding="utf-8",
    )
    refused = sync_server.admin("set-definitions", str(bad), check=False)
    assert refused.returncode == 2 and "trainee_visits" in refused.stderr
    data = json.loads((ay.ROOT / "resources/refdata/indicator_definitions.json").read_text("utf-8"))
    data.update(trainee_visits="sign_ins", version="2027-1")
    good = tmp_path / "口径.json"
    good.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = sync_server.admin("set-definitions", str(good))
    assert "已写入 1 个文化站" in out.stdout
    sync_server.admin(
        "create-user",
        "--name",
        "dongqu",
        "--role",
        "county",
        "--county",
        "东区",
        "--password",
        PASSWORD,
    )
    with web_client(sync_server.url, "dongqu") as c:
        table = _sheet(c, f"year={ay.YEAR}")
    assert table["培训人次"]["甲镇综合文化站"] == 28
    assert table["培训人次（另一口径，仅供对照）"]["甲镇综合文化站"] == 25
    a.sync()
    fig = ReturnService(services).figures(ay.YEAR)
    assert (fig.definitions.version, fig.total["trainee_visits"]) == ("2027-1", 28)
    a.store.close()


def test_annual_facts_of_a_pc_that_worked_offline_join_the_station(sync_server, tmp_path, engine):
    """A PC that typed its facts before it was enrolled: after joining, its facts are the
    station's one row of that year (the id made from the server's station), on the server and
    on the station's other PC, confirmed as they were."""
    from pzh_station.services.station import StationProfile, StationService
    from tests.sync_helpers import server_rows

    sid = sync_server.create_station("丁镇综合文化站", "东区")
    a = PC(tmp_path, "offline")
    a_services = Services(a.data_dir, a.store, "李明")
    StationService(a_services).save_profile(
        StationProfile(name="丁镇综合文化站", county="东区", staff=["李明"])
    )
    AnnualFactsService(a_services).save(ay.YEAR, ay.FACTS, confirm=True, today=ay.AS_OF)
    a.enroll(sync_server.url, sync_server.issue_code(sid))
    a.sync()
    assert AnnualFactsService(a_services).view(ay.YEAR).fileable
    if engine == "sqlite":  # server_rows reads the server's SQLite file; on PostgreSQL the
        # second PC's view below is what shows the station's one row arrived
        rows = server_rows(sync_server, "annual_facts", sid)
        assert len(rows) == 1 and next(iter(rows.values()))["population"] == 1_000
    b, b_services, _ = _station_pc_joining(tmp_path, sync_server, sid)
    b.sync()
    view = AnnualFactsService(b_services).view(ay.YEAR)
    assert view.stored and view.fileable and view.facts.staff_total == 4
    for pc in (a, b):
        pc.store.close()


def _station_pc_joining(tmp_path, server, sid):
    pc = PC(tmp_path, "second")
    pc.enroll(server.url, server.issue_code(sid))
    return pc, Services(pc.data_dir, pc.store, "王芳"), sid


def test_county_sets_the_form_number_that_desks_print(county):
    """The 表号 is free text a county fills in: it shows on the county summary at once and on a
    station's return sheet after the station's next sync."""
    from tests.web_support import csrf_of

    with web_client(county.url, "dongqu") as c:
        page = c.get(f"/web/returns?year={ay.YEAR}").text
        too_long = {"csrf": csrf_of(page), "county": "东区", "form_number": "号" * 51}
        assert c.post("/web/returns/form-number", data=too_long).status_code == 400
        other = {"csrf": csrf_of(page), "county": "米易县", "form_number": "文旅统1表"}
        assert c.post("/web/returns/form-number", data=other).status_code == 404
        ok = {"csrf": csrf_of(page), "county": "东区", "form_number": "文旅统 1 表", "year": "2025"}
        assert c.post("/web/returns/form-number", data=ok).status_code == 303
        r = c.get(f"/web/export/returns.xlsx?year={ay.YEAR}")
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    block = {row[0]: row[1] for row in ws.iter_rows(max_row=8, values_only=True) if row[0]}
    assert block["表号"] == "文旅统 1 表"
    from pzh_station.services.annual_return import ReturnService

    a, a_services = county.desks["甲"]
    a.sync()
    sheet = ReturnService(a_services).sheet(ay.YEAR, as_of=ay.AS_OF)
    assert dict(sheet.unit_block)["表号"] == "文旅统 1 表"


def test_the_server_sets_aside_bad_annual_facts_and_teams_by_the_same_rules(sync_server):
    """The server checks pushed annual facts and teams with the desk's rules (pzh_core): a
    negative amount or 专职 > 从业人员, a team without a name, are set aside with the message the
    desk shows at the field; a valid change in the same batch applies; a desk cannot write the
    city's settings."""
    import uuid

    import httpx

    from pzh_core import hlc
    from pzh_core.schema import det_id

    station = sync_server.create_station("戊镇综合文化站", "东区")
    dev = sync_server.enroll(station)

    def change(seq, table, row, fields):
        stamp = hlc.encode(hlc.wall_ms() - 60_000 + seq, 0, dev["device_id"])
        return {"seq": seq, "t": table, "id": row, "s": stamp, "f": fields}

    def sync(changes):
        return httpx.post(
            f"{sync_server.url}/v1/sync",
            json={"protocol": 1, "push": changes, "cursor": 0},
            headers={"Authorization": f"Bearer {dev['token']}"},
            timeout=30,
        )

    facts = det_id("annual_facts", station, "2025")
    batch = [
        change(1, "annual_facts", facts, {"year": 2025, "staff_total": 2, "staff_full_time": 3}),
        change(2, "annual_facts", facts, {"income_total": -5.0}),
        change(3, "art_teams", str(uuid.uuid4()), {"name": "", "art_form": "dance"}),
        change(4, "annual_facts", facts, {"books": 6200}),
    ]
    r = sync(batch)
    assert r.status_code == 200, r.text
    aside = {a["seq"]: a for a in r.json()["set_aside"]}
    assert set(aside) == {1, 2, 3} and r.json()["acked_seq"] == 4  # the queue moves on
    assert "专职人员不能多于年末从业人员" in aside[1]["message"]
    assert "金额不能为负数" in aside[2]["message"]
    assert "请填写团队名称" in aside[3]["message"]
    refused = sync([change(5, "city_settings", "x", {"key": "indicator_definitions"})])
    assert refused.status_code == 400


def test_a_station_silent_for_over_a_week_says_since_when():
    """The status line of a column: a station whose last sync is over a week old says since
    which day (China time), then its facts' state; a fresh one only its facts' state."""
    import datetime as dt

    from sync.server.web.returns import station_status

    now = int(dt.datetime(2026, 3, 20, 12, tzinfo=dt.UTC).timestamp() * 1000)
    day = 24 * 3600 * 1000
    last = int(dt.datetime(2026, 3, 9, 20, tzinfo=dt.UTC).timestamp() * 1000)  # 3-10 in China
    assert station_status({"confirmed": True}, last, now) == "2026-03-10以来未同步；完整"
    assert station_status({"confirmed": False}, now - day, now) == "年度基本情况未确认"
    assert station_status(None, now - day, now) == "缺年度基本情况"
    assert station_status({"confirmed": True}, None, now) == "从未同步"
