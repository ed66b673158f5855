"""What a PC sends is checked at the server's door (issue 18), against a real server on loopback:
the protocol version must be the integer 1, control characters never get in (a synced text
holding one is set aside, an enrolling PC's name is refused), and synced values follow the
shared domain rules (dates are dates, attendance in range, population not negative): a change
that breaks one is set aside, the rest of its batch applies."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx

from pzh_core import hlc
from pzh_core.schema import det_id
from tests import server_fixtures
from tests.server_fixtures import LiveServer

sync_server = server_fixtures.sync_server
YEAR = dt.date.today().year - 1


def _sync(server: LiveServer, dev: dict, changes: list) -> httpx.Response:
    return httpx.post(
        f"{server.url}/v1/sync",
        json={"protocol": 1, "push": changes, "cursor": 0},
        headers={"Authorization": f"Bearer {dev['token']}"},
        timeout=30,
    )


def _change(seq: int, dev: dict, table: str, row: str, fields: dict) -> dict:
    stamp = hlc.encode(hlc.wall_ms() - 60_000 + seq, 0, dev["device_id"])
    return {"seq": seq, "t": table, "id": row, "s": stamp, "f": fields}


def test_protocol_must_be_the_integer_one(sync_server) -> None:
    for version in (True, 1.0, "1", None):
        r = httpx.post(f"{sync_server.url}/v1/enroll", json={"protocol": version}, timeout=10)
        assert r.status_code == 400 and r.json()["error"] == "bad_request", (version, r.text)
        assert "protocol" in r.json()["detail"]
    r = httpx.post(f"{sync_server.url}/v1/enroll", json={"protocol": 0}, timeout=10)
    assert r.status_code == 426 and r.json()["error"] == "upgrade_required"
    # The real version goes on to the code check.
    r = httpx.post(f"{sync_server.url}/v1/enroll", json={"protocol": 1, "code": "x"}, timeout=10)
    assert r.status_code == 400 and r.json()["error"] == "code_unknown"


def test_a_pc_name_with_control_characters_is_refused_at_enrollment(sync_server) -> None:
    station = sync_server.create_station()
    body = {
        "protocol": 1,
        "code": sync_server.issue_code(station),
        "device_name": "办公室\x01电脑",
        "app_version": "test",
    }
    r = httpx.post(f"{sync_server.url}/v1/enroll", json=body, timeout=10)
    assert r.status_code == 400 and r.json()["error"] == "bad_request"
    assert sync_server.enroll(station, device_name="办公室电脑")["device_id"]


def test_control_characters_and_broken_rules_are_set_aside(sync_server) -> None:
    station = sync_server.create_station()
    dev = sync_server.enroll(station)
    good, ctrl, bad_date, crowd = (str(uuid.uuid4()) for _ in range(4))
    facts = det_id("annual_facts", station, str(YEAR))
    batch = [
        _change(1, dev, "activities", good, {"title": "广场舞", "date": f"{YEAR}-05-01"}),
        _change(2, dev, "activities", ctrl, {"title": "坏\x01标题", "date": f"{YEAR}-05-02"}),
        _change(3, dev, "activities", bad_date, {"title": "讲座", "date": f"{YEAR}-13-45"}),
        _change(4, dev, "activities", crowd, {"title": "展演", "attendance": -5}),
        _change(5, dev, "annual_facts", facts, {"year": YEAR, "population": -100}),
        _change(6, dev, "people", str(uuid.uuid4()), {"name": "张\x1b三"}),
        _change(7, dev, "activities", good, {"notes": "第一行\n第二行\t备注"}),
    ]
    r = _sync(sync_server, dev, batch)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["acked_seq"] == 7  # the queue moves on
    aside = {i["seq"]: i for i in body["set_aside"]}
    assert set(aside) == {2, 3, 4, 5, 6}
    assert {i["code"] for i in aside.values()} == {"invalid"}
    assert "控制字符" in aside[2]["errors"]["title"] and "控制字符" in aside[6]["errors"]["name"]
    assert "日期" in aside[3]["errors"]["date"]
    assert "attendance" in aside[4]["errors"] and "population" in aside[5]["errors"]
    rows = {r["id"]: r for r in sync_server.query("SELECT * FROM activities")}
    assert set(rows) == {good}  # nothing of the refused rows got in
    assert rows[good]["notes"] == "第一行\n第二行\t备注"  # line breaks and tabs are text
    assert sync_server.query("SELECT id FROM annual_facts") == []
    assert sync_server.query("SELECT id FROM people") == []
