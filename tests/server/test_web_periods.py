"""报送审核 web pages on a real server (issue 14): who sees and decides what, bad input answered
with a Chinese page (never 500), the city's accept, late changes decided only in one's county."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from pzh_core.schema import det_id
from tests.server_fixtures import start_server
from tests.web_support import csrf_of, make_world, web_client

YEAR = dt.date.today().year - 1
MONTH = f"{YEAR}-03"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, module_database):
    where = tmp_path_factory.mktemp("periods") / "服务器"
    with start_server(where, database=module_database) as server:
        w = make_world(server, YEAR)
        dt_dev = w.devices["大田镇综合文化站"]
        sid = dt_dev.station_id
        act = str(uuid.uuid4())
        dt_dev.push(
            server.url,
            [
                ("activities", act, {"title": "讲座", "date": f"{MONTH}-04", "kind": "lecture"}),
                ("periods", det_id("period", sid, MONTH), {"period": MONTH, "status": "submitted"}),
            ],
        )
        yield server, w, sid, act


def _post(client, path: str, page: str, **data):
    return client.post(path, data={"csrf": csrf_of(client.get(page).text), **data})


def test_the_county_sees_its_stations_and_the_city_every_county(world):
    server, w, sid, _ = world
    with web_client(server.url, "renhe") as client:
        page = client.get(f"/web/periods?year={YEAR}").text
        assert "大田镇综合文化站" in page and "攀莲镇" not in page and "已报送待审核" in page
        assert "未报送的文化站" in page
    with web_client(server.url, "city") as client:
        page = client.get(f"/web/periods?year={YEAR}").text
        assert "大田镇综合文化站" in page and "攀莲镇综合文化站" in page
    with web_client(server.url, "miyi") as client:
        assert client.get(f"/web/periods/{sid}/{MONTH}").status_code == 404
        r = _post(client, f"/web/periods/{sid}/{MONTH}/approve", "/web/periods")
        assert r.status_code == 404


def test_bad_input_gets_a_chinese_page_never_500(world):
    server, _, sid, _ = world
    with web_client(server.url, "renhe") as client:
        assert client.get(f"/web/periods/{sid}/2026-13").status_code == 400
        r = _post(client, f"/web/periods/{sid}/{MONTH}/destroy", "/web/periods")
        assert r.status_code == 404
        r = _post(client, f"/web/periods/{sid}/{MONTH}/return", "/web/periods", reason="  ")
        assert r.status_code == 400 and "须填写原因" in r.text
        r = _post(client, f"/web/late/{uuid.uuid4()}/accept", "/web/periods")
        assert r.status_code == 404
        assert client.get("/web/periods?year=abc").status_code == 400


def test_approve_then_only_the_city_accepts_and_a_late_change_is_decided(world):
    server, w, sid, act = world
    with web_client(server.url, "renhe") as client:
        r = _post(client, f"/web/periods/{sid}/{MONTH}/approve", "/web/periods")
        assert r.status_code == 303 and "ok=approve" in r.headers["location"]
        page = client.get(f"/web/periods/{sid}/{MONTH}").text
        assert "已审核" in page and "市级确认</button>" not in page
        r = _post(client, f"/web/periods/{sid}/{MONTH}/accept", "/web/periods")
        assert r.status_code == 400 and "只有市文化馆" in r.text
    answer = w.devices["大田镇综合文化站"].push(
        server.url, [("activities", act, {"attendance": 7})]
    )
    assert answer["set_aside"][0]["code"] == "locked"
    [late] = server.query("SELECT id FROM late_changes WHERE station_id = ?", (sid,))
    with web_client(server.url, "miyi") as client:
        assert _post(client, f"/web/late/{late['id']}/accept", "/web/periods").status_code == 404
    with web_client(server.url, "renhe") as client:
        r = _post(client, f"/web/late/{late['id']}/accept", "/web/periods")
        assert r.status_code == 303
    assert (
        server.query("SELECT attendance FROM activities WHERE id = ?", (act,))[0]["attendance"] == 7
    )
    with web_client(server.url, "city") as client:
        r = _post(client, f"/web/periods/{sid}/{MONTH}/accept", "/web/periods")
        assert r.status_code == 303
        assert "市级确认" in client.get(f"/web/periods/{sid}/{MONTH}").text
    storage = server._storage()
    try:
        actions = [(e.action, e.actor) for e in storage.list_audit(station_ids=[sid])]
    finally:
        storage.close()
    assert actions[:3] == [
        ("period.accept", "web:city"),
        ("late.accept", "web:renhe"),
        ("period.approve", "web:renhe"),
    ]
