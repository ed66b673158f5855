"""A change the server refuses is set aside, never a stuck queue (issue 12, situation 4;
decision 1) — against a real server on loopback."""

from __future__ import annotations

import uuid

import httpx
import pytest

from pzh_core import hlc
from tests import server_fixtures
from tests.server_fixtures import LiveServer, start_server
from tests.web_support import PASSWORD, web_client

sync_server = server_fixtures.sync_server


def _stamp(seq: int, device: str) -> str:
    return hlc.encode(hlc.wall_ms() - 60_000 + seq, 0, device)


def _sync(server: LiveServer, dev: dict, changes: list, **extra) -> httpx.Response:
    body = {"protocol": 1, "push": changes, "cursor": 0, **extra}
    return httpx.post(
        f"{server.url}/v1/sync",
        json=body,
        headers={"Authorization": f"Bearer {dev['token']}"},
        timeout=30,
    )


def _change(seq: int, dev: dict, table: str, row: str, fields: dict) -> dict:
    return {"seq": seq, "t": table, "id": row, "s": _stamp(seq, dev["device_id"]), "f": fields}


def _rows(server: LiveServer, table: str) -> dict[str, dict]:
    return {r["id"]: r for r in server.query(f"SELECT * FROM {table}")}


def test_an_over_long_staff_name_is_set_aside_and_everything_else_syncs(sync_server):
    station = sync_server.create_station()
    dev = sync_server.enroll(station)
    staff, person = str(uuid.uuid4()), str(uuid.uuid4())
    batch = [
        _change(1, dev, "people", person, {"name": "张三"}),
        _change(2, dev, "staff", staff, {"name": "长" * 10_001, "active": True}),
        _change(3, dev, "stations", station, {"population": 12_000}),
    ]
    r = _sync(sync_server, dev, batch, acked_seq=0)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["acked_seq"] == 3  # the set-aside seq counts as received: the queue moves on
    [item] = body["set_aside"]
    assert (item["seq"], item["table"], item["id"], item["code"]) == (2, "staff", staff, "too_long")
    assert item["fields"] == ["active", "name"]
    assert "市服务器未接受" in item["message"] and "10000" in item["message"]
    assert "10001" in item["errors"]["name"]
    assert item["current"] == {"f": {}, "c": {}}  # the server holds nothing of that row
    assert person in _rows(sync_server, "people") and staff not in _rows(sync_server, "staff")
    assert _rows(sync_server, "stations")[station]["population"] == 12_000

    # The answer was lost: the resent batch lists it again (and applies nothing twice).
    again = _sync(sync_server, dev, batch, acked_seq=0).json()
    assert [i["seq"] for i in again["set_aside"]] == [2]
    # Later syncs go on both ways: never a 400 for ever.
    r = _sync(sync_server, dev, [_change(4, dev, "staff", staff, {"name": "王芳"})], acked_seq=3)
    assert r.status_code == 200 and "set_aside" not in r.json()
    assert _rows(sync_server, "staff")[staff]["name"] == "王芳"


def test_a_resent_set_aside_change_comes_with_the_servers_current_value(sync_server):
    """The answer that listed a set-aside change was lost: the resent batch lists it again with
    the server's value and stamp of its fields (without them the desk emptied the field the
    server holds, and the copies differed until a digest repair)."""
    station = sync_server.create_station()
    dev, other = sync_server.enroll(station), sync_server.enroll(station)
    row = str(uuid.uuid4())
    held = _change(1, other, "activities", row, {"title": "丙", "attendance": 3})
    assert _sync(sync_server, other, [held], acked_seq=0).status_code == 200
    batch = [_change(1, dev, "activities", row, {"title": "长" * 10_001})]
    first = _sync(sync_server, dev, batch, acked_seq=0).json()["set_aside"]
    again = _sync(sync_server, dev, batch, acked_seq=0).json()["set_aside"]
    current = {"f": {"title": "丙"}, "c": {"title": held["s"]}}
    assert [i["current"] for i in first] == [current]
    assert [(i["seq"], i["current"]) for i in again] == [(1, current)]


def test_a_domain_rule_sets_a_change_aside_with_the_servers_current_value(sync_server):
    station = sync_server.create_station()
    dev = sync_server.enroll(station)
    act = str(uuid.uuid4())
    first = _change(1, dev, "activities", act, {"title": "广场舞", "attendance": 80})
    assert _sync(sync_server, dev, [first]).status_code == 200
    typo = _change(2, dev, "activities", act, {"attendance": 800_000})
    future = _change(3, dev, "activities", str(uuid.uuid4()), {"title": "x", "date": "2099-01-01"})
    fine = _change(4, dev, "activities", act, {"title": "广场舞展演"})
    body = _sync(sync_server, dev, [typo, future, fine], acked_seq=1).json()
    assert body["acked_seq"] == 4
    got = {i["seq"]: i for i in body["set_aside"]}
    assert set(got) == {2, 3} and {i["code"] for i in got.values()} == {"invalid"}
    assert "10万" in got[2]["message"] and "晚于今天" in got[3]["message"]
    assert got[2]["current"] == {"f": {"attendance": 80}, "c": {"attendance": first["s"]}}
    row = _rows(sync_server, "activities")[act]
    assert (row["title"], row["attendance"]) == ("广场舞展演", 80)


def test_the_sync_health_page_lists_set_aside_changes(sync_server):
    station = sync_server.create_station("大田镇综合文化站", "仁和区")
    dev = sync_server.enroll(station, device_name="办公室电脑")
    bad = _change(1, dev, "staff", str(uuid.uuid4()), {"name": "长" * 10_001})
    assert _sync(sync_server, dev, [bad]).status_code == 200
    sync_server.admin("create-user", "--name", "city", "--role", "city", "--password", PASSWORD)
    with web_client(sync_server.url, "city") as c:
        html = c.get("/web/health").text
    table = html.split('id="health-set-aside"')[1].split("</table>")[0]
    assert 'data-code="too_long"' in table and "大田镇综合文化站" in table
    assert "办公室电脑" in table and "内容过长" in table


@pytest.fixture
def strict_server(tmp_path):
    with start_server(tmp_path / "srv", env={"PZH_SYNC_MIN_DESK_VERSION": "2.0"}) as server:
        yield server


def test_changes_of_a_desk_older_than_the_server_accepts_are_set_aside(strict_server):
    health = httpx.get(f"{strict_server.url}/v1/health", timeout=10).json()
    assert health["min_desk_version"] == "2.0"
    station = strict_server.create_station()
    dev = strict_server.enroll(station)
    row = str(uuid.uuid4())
    old = _sync(strict_server, dev, [_change(1, dev, "people", row, {"name": "张三"})],
                app_version="1.9.3").json()  # fmt: skip
    [item] = old["set_aside"]
    assert item["code"] == "desk_too_old" and "升级" in item["message"] and "2.0" in item["message"]
    assert row not in _rows(strict_server, "people")
    new = _sync(strict_server, dev, [_change(2, dev, "people", row, {"name": "张三"})],
                app_version="2.0.1", acked_seq=1).json()  # fmt: skip
    assert "set_aside" not in new and row in _rows(strict_server, "people")
