"""The server as it runs: a real uvicorn on loopback and the admin command line as subprocesses."""

from __future__ import annotations

import gzip
import json
import re

import httpx

from sync import hlc
from tests import server_fixtures
from tests.server_fixtures import LiveServer

sync_server = server_fixtures.sync_server  # the fixture, for this module


def test_admin_cli_and_a_device_syncing_through_a_real_server(sync_server: LiveServer):
    out = sync_server.admin("create-station", "--name", "大河中路街道综合文化站", "--county", "东区").stdout
    station_id = out.strip().splitlines()[-1]
    assert re.fullmatch(r"[0-9a-f-]{36}", station_id)
    code = sync_server.admin("issue-code", "--station", station_id, "--expires-days", "3").stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}", code)
    listed = sync_server.admin("list-stations").stdout
    assert station_id in listed and "大河中路街道综合文化站" in listed

    r = httpx.post(f"{sync_server.url}/v1/enroll",
                   json={"protocol": 1, "code": code, "device_name": "文化站前台", "app_version": "1.0"})
    assert r.status_code == 200, r.text
    dev = r.json()
    assert dev["station"]["county"] == "东区"
    headers = {"Authorization": f"Bearer {dev['token']}", "Content-Type": "application/json",
               "Content-Encoding": "gzip", "Accept-Encoding": "gzip"}
    now = hlc.wall_ms()
    push = [{"seq": i, "t": "activities", "id": f"act-{i}", "s": hlc.encode(now, i, dev["device_id"]),
             "f": {"title": f"广场舞展演{i}", "date": "2026-11-28", "attendance": 80 + i,
                   "target_groups": ["elderly"]}} for i in range(1, 41)]
    body = gzip.compress(json.dumps({"protocol": 1, "client_time_ms": now, "push": push, "cursor": 0}).encode())
    r = httpx.post(f"{sync_server.url}/v1/sync", content=body, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["acked_seq"] == 40
    assert r.headers.get("content-encoding") in (None, "gzip")

    # A second device of the station pulls all 40 (plus the station row) in pages.
    code2 = sync_server.issue_code(station_id)
    dev2 = httpx.post(f"{sync_server.url}/v1/enroll", json={"protocol": 1, "code": code2}).json()
    cursor, got = 0, []
    while True:
        r = httpx.post(f"{sync_server.url}/v1/sync", json={"protocol": 1, "cursor": cursor, "limit": 15},
                       headers={"Authorization": f"Bearer {dev2['token']}"})
        page = r.json()
        got += page["changes"]
        cursor = page["cursor"]
        if not page["more"]:
            break
    assert sorted(c["id"] for c in got if c["t"] == "activities") == sorted(f"act-{i}" for i in range(1, 41))
    assert next(c for c in got if c["id"] == "act-7")["f"]["target_groups"] == ["elderly"]

    devices = sync_server.admin("list-devices").stdout
    assert dev["device_id"] in devices and "文化站前台" in devices and "正常" in devices
    revoked = sync_server.admin("revoke-device", dev["device_id"]).stdout.strip().splitlines()[-1]
    assert revoked == dev["device_id"]
    r = httpx.post(f"{sync_server.url}/v1/sync", content=body, headers=headers)
    assert r.status_code == 403 and r.json()["error"] == "device_revoked"
    assert "已停用" in sync_server.admin("list-devices").stdout


def test_admin_cli_reports_mistakes_in_chinese(sync_server: LiveServer):
    bad = sync_server.admin("create-station", "--name", "某站", "--county", "火星", check=False)
    assert bad.returncode == 2 and "县（区）" in bad.stderr
    bad = sync_server.admin("issue-code", "--station", "no-such-station", check=False)
    assert bad.returncode == 2 and "没有这个文化站" in bad.stderr
    bad = sync_server.admin("revoke-device", "nobody", check=False)
    assert bad.returncode == 2 and "没有这个设备" in bad.stderr
