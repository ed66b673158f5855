"""The server as it runs: a real uvicorn on loopback and the admin command line as subprocesses."""

from __future__ import annotations

import gzip
import json
import re

import httpx

from pzh_core import hlc
from tests import server_fixtures
from tests.server_fixtures import LiveServer

sync_server = server_fixtures.sync_server  # the fixture, for this module


def test_admin_cli_and_a_device_syncing_through_a_real_server(sync_server: LiveServer):
    out = sync_server.admin(
        "create-station", "--name", "大河中路街道综合文化站", "--county", "东区"
    ).stdout
    station_id = out.strip().splitlines()[-1]
    assert re.fullmatch(r"[0-9a-f-]{36}", station_id)
    code = (
        sync_server.admin("issue-code", "--station", station_id, "--expires-days", "3")
        .stdout.strip()
        .splitlines()[-1]
    )
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}", code)
    listed = sync_server.admin("list-stations").stdout
    assert station_id in listed and "大河中路街道综合文化站" in listed

    r = httpx.post(
        f"{sync_server.url}/v1/enroll",
        json={"protocol": 1, "code": code, "device_name": "文化站前台", "app_version": "1.0"},
    )
    assert r.status_code == 200, r.text
    dev = r.json()
    assert dev["station"]["county"] == "东区"
    headers = {
        "Authorization": f"Bearer {dev['token']}",
        "Content-Type": "application/json",
        "Content-Encoding": "gzip",
        "Accept-Encoding": "gzip",
    }
    now = hlc.wall_ms()
    push = [
        {
            "seq": i,
            "t": "activities",
            "id": f"act-{i}",
            "s": hlc.encode(now, i, dev["device_id"]),
            "f": {
                "title": f"广场舞展演{i}",
                "date": "2026-11-28",
                "attendance": 80 + i,
                "target_groups": ["elderly"],
            },
        }
        for i in range(1, 41)
    ]
    body = gzip.compress(
        json.dumps({"protocol": 1, "client_time_ms": now, "push": push, "cursor": 0}).encode()
    )
    r = httpx.post(f"{sync_server.url}/v1/sync", content=body, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["acked_seq"] == 40
    assert r.headers.get("content-encoding") in (None, "gzip")

    # A second device of the station pulls all 40 (plus the station row) in pages.
    code2 = sync_server.issue_code(station_id)
    dev2 = httpx.post(f"{sync_server.url}/v1/enroll", json={"protocol": 1, "code": code2}).json()
    cursor, got = 0, []
    while True:
        r = httpx.post(
            f"{sync_server.url}/v1/sync",
            json={"protocol": 1, "cursor": cursor, "limit": 15},
            headers={"Authorization": f"Bearer {dev2['token']}"},
        )
        page = r.json()
        got += page["changes"]
        cursor = page["cursor"]
        if not page["more"]:
            break
    assert sorted(c["id"] for c in got if c["t"] == "activities") == sorted(
        f"act-{i}" for i in range(1, 41)
    )
    assert next(c for c in got if c["id"] == "act-7")["f"]["target_groups"] == ["elderly"]

    codes = sync_server.admin("list-codes").stdout
    assert code in codes and "已用" in codes and dev["device_id"] in codes
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


def test_a_body_dribbled_too_slowly_gets_408_and_changes_nothing(tmp_path):
    import socket
    import time

    from sync.server import admin
    from sync.server.app import ServerSettings, create_app
    from tests.server_fixtures import serve_app

    app = create_app(tmp_path / "srv", settings=ServerSettings(body_timeout_s=0.5))
    storage = app.state.storage
    sid = admin.create_station(storage, "慢站", "米易县").id
    with serve_app(app) as url:
        dev = httpx.post(
            f"{url}/v1/enroll", json={"protocol": 1, "code": admin.issue_code(storage, sid).code}
        ).json()
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            conn.sendall(
                b"POST /v1/sync HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Authorization: Bearer "
                + dev["token"].encode()
                + b"\r\nContent-Length: 5000\r\n\r\n"
                b'{"protocol": 1, "push": ['
            )
            time.sleep(1.0)
            answer = conn.recv(4096).decode("utf-8", "replace")
        assert answer.startswith("HTTP/1.1 408"), answer
        assert storage.get_device(dev["device_id"]).last_error.startswith("timeout")
        assert storage.query("SELECT count(*) AS n FROM activities")[0]["n"] == 0


def test_many_devices_syncing_at_once_lose_nothing(tmp_path):
    """Pushes from 24 devices of 4 stations at the same time: every row held once, in its
    station, every device's acked_seq right, and each device pulls exactly its station's rows."""

    from tests.server_fixtures import start_server

    with start_server(tmp_path / "srv", env={"PZH_SYNC_ENROLL_BURST": "100"}) as server:
        _many_devices(server)


def test_enrollment_attempts_are_throttled_per_address(sync_server: LiveServer):
    answers = [
        httpx.post(
            f"{sync_server.url}/v1/enroll", json={"protocol": 1, "code": "ABCD-EFGH"}
        ).status_code
        for _ in range(12)
    ]
    assert answers[:10] == [404] * 10 and answers[10:] == [429, 429]


def _many_devices(sync_server: LiveServer) -> None:
    from concurrent.futures import ThreadPoolExecutor

    stations = [sync_server.create_station(f"并发{i}号站", "西区") for i in range(4)]
    devices = [(s, sync_server.enroll(s)) for s in stations for _ in range(6)]

    def run(item):
        station, dev = item
        headers = {"Authorization": f"Bearer {dev['token']}"}
        now = hlc.wall_ms()
        with httpx.Client(timeout=60) as client:
            for round_ in range(3):
                push = [
                    {
                        "seq": round_ * 20 + i + 1,
                        "t": "activities",
                        "id": f"{dev['device_id']}-{round_}-{i}",
                        "s": hlc.encode(now, round_ * 20 + i, dev["device_id"]),
                        "f": {"title": "并发"},
                    }
                    for i in range(20)
                ]
                r = client.post(
                    f"{sync_server.url}/v1/sync",
                    headers=headers,
                    json={"protocol": 1, "push": push, "cursor": 0, "limit": 1},
                )
                assert r.status_code == 200, r.text
                assert r.json()["acked_seq"] == round_ * 20 + 20
        return dev["device_id"]

    with ThreadPoolExecutor(12) as pool:
        assert len(list(pool.map(run, devices))) == 24

    from sync.server.app import DB_NAME
    from sync.server.sql_storage import SQLiteStorage

    storage = SQLiteStorage(sync_server.data_dir / DB_NAME)
    try:
        rows = storage.query("SELECT id, station_id FROM activities")
        assert len(rows) == 24 * 60 == len({r["id"] for r in rows})
        owner = {dev["device_id"]: s for s, dev in devices}
        assert all(owner[r["id"].split("-")[0]] == r["station_id"] for r in rows)
        assert (
            storage.query("SELECT count(*) AS n FROM srv_feed WHERE tbl = 'activities'")[0]["n"]
            == 24 * 60
        )
    finally:
        storage.close()
    station, dev = devices[0]
    cursor, got, more = 0, set(), True
    while more:
        page = httpx.post(
            f"{sync_server.url}/v1/sync",
            headers={"Authorization": f"Bearer {dev['token']}"},
            json={"protocol": 1, "cursor": cursor},
        ).json()
        got |= {c["id"] for c in page["changes"] if c["t"] == "activities"}
        cursor, more = page["cursor"], page["more"]
    assert len(got) == 5 * 60 and all(owner[i.split("-")[0]] == station for i in got)


def test_the_server_clock_survives_a_restart(tmp_path):
    """A stamp clamped after a restart still sorts after one clamped before it."""
    from tests.server_fixtures import start_server

    far = hlc.wall_ms() + 10 * 365 * 24 * 3600 * 1000
    stamps = []
    for round_ in range(2):
        with start_server(tmp_path / "srv") as server:
            if round_ == 0:
                sid = server.create_station()
                dev = server.enroll(sid)
            change = {
                "seq": round_ + 1,
                "t": "activities",
                "id": "a",
                "s": hlc.encode(far, round_, dev["device_id"]),
                "f": {"title": f"第{round_}次"},
            }
            r = httpx.post(
                f"{server.url}/v1/sync",
                headers={"Authorization": f"Bearer {dev['token']}"},
                json={"protocol": 1, "push": [change], "cursor": 0},
            )
            assert r.status_code == 200, r.text
            stamps += [c["s"] for c in r.json()["changes"] if c.get("r") == change["s"]]
    assert len(stamps) == 2 and stamps[0] < stamps[1]
