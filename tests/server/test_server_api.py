"""The city server's API against the real app and a real SQLite file (in-process HTTP)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pzh_core import hlc, protocol
from pzh_core.stored_clocks import decode
from sync.server import admin, auth
from sync.server.app import ServerSettings, create_app
from sync.server.storage import BatchRejected

T0 = 1_790_000_000_000  # 2026-09-21, the server's clock in these tests


class Clock:
    def __init__(self) -> None:
        self.ms = T0

    def __call__(self) -> int:
        return self.ms


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def server(tmp_path: Path, clock: Clock):
    app = create_app(tmp_path / "srv", now=clock)
    with TestClient(app) as client:
        client.storage = app.state.storage  # type: ignore[attr-defined]
        client.db = app.state.storage  # type: ignore[attr-defined]
        yield client


def station(server, name: str = "测试镇综合文化站", county: str = "仁和区") -> str:
    return admin.create_station(server.storage, name, county).id


def enroll(server, station_id: str, **extra) -> dict:
    code = admin.issue_code(server.storage, station_id).code
    r = server.post(
        "/v1/enroll",
        json={
            "protocol": 1,
            "code": code,
            "device_name": "站里电脑",
            "app_version": "1.0",
            **extra,
        },
    )
    assert r.status_code == 200, r.text
    return r.json()


def sync(server, dev: dict, push=(), cursor: int = 0, **extra):
    body = {"protocol": 1, "client_time_ms": T0, "push": list(push), "cursor": cursor, **extra}
    # json.dumps escapes lone surrogates and writes NaN, as a hostile client may.
    return server.post(
        "/v1/sync",
        content=json.dumps(body),
        headers={"Authorization": f"Bearer {dev['token']}", "Content-Type": "application/json"},
    )


def stamp(ms: int, dev: dict, counter: int = 0) -> str:
    return hlc.encode(ms, counter, dev["device_id"])


def change(
    seq: int, dev: dict, row_id: str, fields: dict, *, table: str = "activities", ms: int = T0
) -> dict:
    return {"seq": seq, "t": table, "id": row_id, "s": stamp(ms, dev, seq), "f": fields}


def dump(storage) -> dict:
    """Everything the server holds, to compare before and after a refused request."""

    def read(c) -> dict:
        out = {}
        for name in c.tables():
            if name == "srv_throttle":  # counts requests, refused ones too
                continue
            cols = (
                "*" if name != "srv_devices" else ("id, station_id, revoked_ms, applied_seq")
            )  # health columns change on errors
            out[name] = [tuple(r) for r in c.all(f"SELECT {cols} FROM {name} ORDER BY 1")]
        return out

    return storage.engine.read(read, snapshot=True)


# -- enrollment --------------------------------------------------------------------------------
def test_enroll_gives_token_and_station_and_spends_the_code(server):
    sid = station(server)
    code = admin.issue_code(server.storage, sid).code
    assert len(code) == 9 and code[4] == "-"
    body = {
        "protocol": 1,
        "code": code.lower().replace("-", " "),
        "device_name": "站里电脑",
        "app_version": "1.0",
    }
    r = server.post("/v1/enroll", json=body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["station"] == {"id": sid, "name": "测试镇综合文化站", "county": "仁和区"}
    assert out["server_time_ms"] == T0 and len(out["token"]) >= 40
    # The token is stored only hashed.
    held = json.dumps(dump(server.storage), ensure_ascii=False, default=str)
    hashes = [r["token_hash"] for r in server.storage.query("SELECT * FROM srv_devices")]
    assert out["token"] not in held and hashes == [auth.hash_token(out["token"])]
    again = server.post("/v1/enroll", json=body)
    assert again.status_code == 410 and again.json()["error"] == "code_spent"
    assert "邀请码" in again.json()["message"]
    assert [d.id for d in server.storage.list_devices()] == [out["device_id"]]


def test_enroll_refuses_expired_unknown_and_malformed_codes(server, clock):
    sid = station(server)
    code = admin.issue_code(server.storage, sid, expires_days=1).code
    clock.ms += 24 * 3600 * 1000 + 1
    r = server.post("/v1/enroll", json={"protocol": 1, "code": code})
    assert r.status_code == 410 and r.json()["error"] == "code_expired"
    r = server.post("/v1/enroll", json={"protocol": 1, "code": "ABCD-EFGH"})
    assert r.status_code == 404 and r.json()["error"] == "code_unknown"
    r = server.post(
        "/v1/enroll", content=json.dumps({"protocol": 1, "code": code, "device_name": "\ud800"})
    )
    assert r.status_code == 400
    for bad in ("0000-1111", "", "x" * 500, 12345, None):
        r = server.post("/v1/enroll", json={"protocol": 1, "code": bad})
        assert r.status_code == 400, (bad, r.text)
    assert server.storage.list_devices() == []


def test_enroll_keeps_the_device_id_the_pc_asks_for_unless_taken(server):
    sid = station(server)
    first = enroll(server, sid, device_id="a1b2c3d4e5f6a7b8")
    assert first["device_id"] == "a1b2c3d4e5f6a7b8"
    second = enroll(server, sid, device_id="a1b2c3d4e5f6a7b8")
    assert second["device_id"] != "a1b2c3d4e5f6a7b8"
    r = server.post(
        "/v1/enroll",
        json={
            "protocol": 1,
            "code": admin.issue_code(server.storage, sid).code,
            "device_id": "bad id; DROP",
        },
    )
    assert r.status_code == 400


# -- push and pull -----------------------------------------------------------------------------
def test_two_devices_of_a_station_exchange_changes_and_merge_per_field(server):
    sid = station(server)
    a, b = enroll(server, sid), enroll(server, sid)
    r = sync(server, a, [change(1, a, "act-1", {"title": "春节联欢", "attendance": 120})])
    assert r.status_code == 200, r.text
    assert r.json()["acked_seq"] == 1
    # B later edits one field; A's older edit of the other field stays.
    r = sync(server, b, [change(1, b, "act-1", {"attendance": 150}, ms=T0 + 1000)])
    got = r.json()["changes"]
    assert [(c["t"], c["id"], c["f"]) for c in got] == [
        ("stations", sid, {"name": "测试镇综合文化站", "county": "仁和区"}),
        ("activities", "act-1", {"title": "春节联欢", "attendance": 120}),
    ]
    row = server.storage.query("SELECT * FROM activities WHERE id = 'act-1'")[0]
    assert (row["title"], row["attendance"], row["station_id"]) == ("春节联欢", 150, sid)
    assert row["device_id"] == b["device_id"] and row["updated_at"] == stamp(T0 + 1000, b, 1)
    # A pulls from its cursor: only B's change, not its own.
    r = sync(server, a, cursor=r.json()["cursor"] - 10 if False else 0)
    feed = [(c["id"], c["f"]) for c in r.json()["changes"] if c["t"] == "activities"]
    assert feed == [("act-1", {"attendance": 150})]
    # An older write loses on the server and is not fed to anyone.
    end = r.json()["cursor"]
    r = sync(server, a, [change(2, a, "act-1", {"attendance": 99}, ms=T0 + 500)], cursor=end)
    assert r.json()["acked_seq"] == 2
    assert server.storage.query("SELECT attendance FROM activities")[0]["attendance"] == 150
    assert sync(server, b, cursor=end).json()["changes"] == []


def test_resent_batch_changes_nothing(server):
    sid = station(server)
    a = enroll(server, sid)
    batch = [
        change(1, a, "act-1", {"title": "讲座"}),
        change(2, a, "act-2", {"title": "展览"}),
        change(3, a, "act-1", {"deleted": True}, ms=T0 + 5),
    ]
    assert sync(server, a, batch).json()["acked_seq"] == 3
    before = dump(server.db)
    r = sync(server, a, batch)  # the response was lost; the client sends it again
    assert r.status_code == 200 and r.json()["acked_seq"] == 3
    assert dump(server.db) == before
    # Overlap: the first two again with one new change: only the new one applies.
    r = sync(server, a, [*batch[1:], change(4, a, "act-3", {"title": "培训"})])
    assert r.json()["acked_seq"] == 4
    assert (
        server.storage.query("SELECT count(*) AS n FROM srv_feed")[0]["n"]
        == len(before["srv_feed"]) + 1
    )


def test_pull_pages_with_cursor_and_more(server):
    sid = station(server)
    a, b = enroll(server, sid), enroll(server, sid)
    sync(server, a, [change(i, a, f"act-{i}", {"title": f"活动{i}"}) for i in range(1, 8)])
    seen, cursor, pages = [], 0, 0
    while True:
        out = sync(server, b, cursor=cursor, limit=3).json()
        seen += [c["id"] for c in out["changes"]]
        cursor, pages = out["cursor"], pages + 1
        if not out["more"]:
            break
    assert seen == [sid] + [f"act-{i}" for i in range(1, 8)] and pages == 3
    assert sync(server, b, cursor=cursor).json()["changes"] == []


# -- station isolation -------------------------------------------------------------------------
def test_a_device_never_reads_or_writes_another_stations_rows(server):
    s1, s2 = station(server), station(server, "另一个文化站", "米易县")
    a, x = enroll(server, s1), enroll(server, s2)
    sync(
        server,
        a,
        [
            change(1, a, "act-secret", {"title": "一号站的活动"}),
            change(2, a, "p-1", {"name": "张三", "phone": "13800000000"}, table="people"),
        ],
    )
    out = sync(server, x, cursor=0).json()
    assert [c["id"] for c in out["changes"]] == [s2]  # only its own station row
    before = dump(server.db)
    for bad in (
        [
            change(1, x, "act-own", {"title": "自己的"}),
            change(2, x, "act-secret", {"title": "篡改"}),
        ],
        [change(1, x, "p-1", {"deleted": True}, table="people")],
        [change(1, x, s1, {"name": "改名"}, table="stations")],
        [change(1, x, "nonexistent-station-row", {"name": "假站"}, table="stations")],
    ):
        r = sync(server, x, bad)
        assert r.status_code == 403 and r.json()["error"] == "foreign_row", r.text
        assert "其他文化站" in r.json()["message"]
        assert dump(server.db) == before
    assert server.storage.get_device(x["device_id"]).last_error.startswith("foreign_row")
    # Whatever cursor it sends, it sees nothing of station 1.
    for cursor in (0, 1, 2, -1):
        r = sync(server, x, cursor=cursor)
        if r.status_code == 200:
            assert all(c["id"] in (s2,) for c in r.json()["changes"])
        else:
            assert r.status_code == 400


# -- bad input ---------------------------------------------------------------------------------
HOSTILE_CHANGES = [
    {
        "seq": 1,
        "t": "activities; DROP TABLE activities",
        "id": "x",
        "s": "1790000000000.0000.d",
        "f": {"title": "x"},
    },
    {
        "seq": 1,
        "t": "srv_devices",
        "id": "x",
        "s": "1790000000000.0000.d",
        "f": {"revoked_ms": None},
    },
    {
        "seq": 1,
        "t": "activities",
        "id": "x",
        "s": "1790000000000.0000.d",
        "f": {"title = 'x' --": "y"},
    },
    {
        "seq": 1,
        "t": "activities",
        "id": "x",
        "s": "1790000000000.0000.d",
        "f": {"station_id": "other"},
    },
    {"seq": 1, "t": "activities", "id": "x", "s": "1790000000000.0000.d", "f": {"clocks": "{}"}},
    {"seq": 1, "t": "activities", "id": "x", "s": "not a stamp", "f": {"title": "x"}},
    {"seq": 0, "t": "activities", "id": "x", "s": "1790000000000.0000.d", "f": {"title": "x"}},
    {"seq": 2**64, "t": "activities", "id": "x", "s": "1790000000000.0000.d", "f": {"title": "x"}},
    {"seq": 2**53, "t": "activities", "id": "x", "s": "1790000000000.0000.d", "f": {"title": "x"}},
    {"seq": True, "t": "activities", "id": "x", "s": "1790000000000.0000.d", "f": {"title": "x"}},
    {"seq": 1, "t": "activities", "id": "", "s": "1790000000000.0000.d", "f": {"title": "x"}},
    {"seq": 1, "t": "activities", "id": "x" * 65, "s": "1790000000000.0000.d", "f": {"title": "x"}},
    {"seq": 1, "t": "activities", "id": "x", "s": "1790000000000.0000.d", "f": {}},
    {
        "seq": 1,
        "t": "activities",
        "id": "x",
        "s": "1790000000000.0000.d",
        "f": {"attendance": "many"},
    },
    {
        "seq": 1,
        "t": "activities",
        "id": "x",
        "s": "1790000000000.0000.d",
        "f": {"attendance": 2**60},
    },
    # A text over 10,000 characters or a list of 51 items is well-formed but over a limit: it is
    # set aside, not a malformed batch (tests/server/test_set_aside.py).
    {
        "seq": 1,
        "t": "activities",
        "id": "x",
        "s": "1790000000000.0000.d",
        "f": {"target_groups": [1]},
    },
    {"seq": 1, "t": "activities", "id": ["x"], "s": "1790000000000.0000.d", "f": {"title": "x"}},
    {"seq": 1, "t": "activities", "id": "x", "s": "1790000000000.0000.d", "f": {"title": "\ud800"}},
    {"seq": 1, "t": "activities", "id": "\udfff", "s": "1790000000000.0000.d", "f": {"title": "x"}},
    {"seq": 1, "t": "activities", "id": "x", "s": "1790000000000.0000.\ud800", "f": {"title": "x"}},
    # Full-width digits (issue 12, situation 6): "now" in them sorts above every ASCII stamp.
    {
        "seq": 1,
        "t": "activities",
        "id": "x",
        "s": "１７９００００００００００.0000.d",
        "f": {"title": "x"},
    },
    {
        "seq": 1,
        "t": "service_corrections",
        "id": "x",
        "s": "1790000000000.0000.d",
        "f": {"before": {"a": "\ud800"}},
    },
    {
        "seq": 1,
        "t": "activities",
        "id": "x",
        "s": "1790000000000.0000.d",
        "f": {"attendance": float("nan")},
    },
    # A table that is not a name (a list cannot be looked up: it was a 500 before session 6).
    {"seq": 1, "t": ["activities"], "id": "x", "s": "1790000000000.0000.d", "f": {"title": "x"}},
    "not an object",
]


@pytest.mark.parametrize("bad", HOSTILE_CHANGES, ids=range(len(HOSTILE_CHANGES)))
def test_hostile_change_refuses_the_whole_batch(server, bad):
    sid = station(server)
    a = enroll(server, sid)
    good = change(1, a, "act-1", {"title": "好的"})
    if isinstance(bad, dict):
        bad = {**bad, "seq": 2} if type(bad["seq"]) is int and bad["seq"] == 1 else bad
    before = dump(server.db)
    r = sync(server, a, [good, bad])
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "bad_change" and r.json()["index"] == 1
    assert dump(server.db) == before


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2, 3]",
        b'"string"',
        b"[" * 100_000 + b"]" * 100_000,
        json.dumps({"protocol": 1, "push": "nope"}).encode(),
        json.dumps({"protocol": 1, "cursor": "0"}).encode(),
        json.dumps({"protocol": 1, "cursor": -1}).encode(),
        json.dumps({"protocol": 1, "limit": 0}).encode(),
        json.dumps({"protocol": 1, "limit": 10_000}).encode(),
        json.dumps({"protocol": 1, "client_time_ms": "now"}).encode(),
        json.dumps({"protocol": 1, "acked_seq": -1}).encode(),
        json.dumps({"protocol": 1, "app_version": ["1.0"]}).encode(),
        json.dumps({"protocol": 1, "verified": "yes"}).encode(),
        json.dumps({"protocol": 1, "verify": {"activities": "XYZ"}}).encode(),
        json.dumps({"protocol": 1, "verify": {"srv_devices": "0" * 16}}).encode(),
        json.dumps({"protocol": 1, "verify": ["activities"]}).encode(),
        json.dumps({"protocol": 1, "verify_values": {"activities": "XYZ"}}).encode(),
        json.dumps({"protocol": 1, "verify_values": {"city_settings": "0" * 16}}).encode(),
        json.dumps({"protocol": 1, "fetch": {"activities": [256]}}).encode(),
        json.dumps({"protocol": 1, "fetch": {"activities": list(range(17))}}).encode(),
        json.dumps({"protocol": 1, "fetch": {"city_settings": [1]}}).encode(),
        json.dumps({"protocol": "1"}).encode(),
        json.dumps({"push": []}).encode(),
        '{"protocol": 1, "push": [\udcff]}'.encode("utf-8", "surrogatepass"),
        b"\xff\xfe garbage",
    ],
)
def test_malformed_bodies_get_400_and_change_nothing(server, body):
    a = enroll(server, station(server))
    before = dump(server.db)
    r = server.post(
        "/v1/sync",
        content=body,
        headers={"Authorization": f"Bearer {a['token']}", "Content-Type": "application/json"},
    )
    assert r.status_code == 400, r.text
    assert r.json()["error"] in ("bad_request", "bad_change") and r.json()["message"]
    assert dump(server.db) == before


def test_seq_must_increase_within_a_batch(server):
    a = enroll(server, station(server))
    r = sync(server, a, [change(2, a, "a", {"title": "x"}), change(2, a, "b", {"title": "y"})])
    assert r.status_code == 400 and r.json()["index"] == 1


def test_oversized_bodies_and_gzip_bombs_get_413(server):
    a = enroll(server, station(server))
    auth = {"Authorization": f"Bearer {a['token']}", "Content-Type": "application/json"}
    before = dump(server.db)
    # Too many changes in one batch.
    too_many = [change(i, a, f"r{i}", {"title": "x"}) for i in range(1, protocol.MAX_PUSH + 2)]
    assert sync(server, a, too_many).status_code == 413
    # Over the wire limit, uncompressed.
    big = json.dumps(
        {"protocol": 1, "push": [], "pad": "x" * protocol.MAX_COMPRESSED_BYTES}
    ).encode()
    assert server.post("/v1/sync", content=big, headers=auth).status_code == 413
    # A gzip bomb: 1 KB on the wire, gigabytes when inflated; refused after MAX_BODY_BYTES.
    bomb = gzip.compress(
        b'{"protocol": 1, "push": [], "pad": "' + b"0" * (50 * 1024 * 1024) + b'"}'
    )
    assert len(bomb) < protocol.MAX_COMPRESSED_BYTES
    r = server.post("/v1/sync", content=bomb, headers={**auth, "Content-Encoding": "gzip"})
    assert r.status_code == 413 and r.json()["error"] == "too_large"
    # Broken gzip and an unknown encoding.
    r = server.post(
        "/v1/sync", content=b"\x1f\x8b garbage", headers={**auth, "Content-Encoding": "gzip"}
    )
    assert r.status_code == 400
    r = server.post("/v1/sync", content=b"{}", headers={**auth, "Content-Encoding": "br"})
    assert r.status_code == 415
    assert dump(server.db) == before
    # A real gzipped request works.
    body = gzip.compress(
        json.dumps({"protocol": 1, "push": [change(1, a, "r1", {"title": "压缩"})]}).encode()
    )
    r = server.post("/v1/sync", content=body, headers={**auth, "Content-Encoding": "gzip"})
    assert r.status_code == 200 and r.json()["acked_seq"] == 1


# -- auth, throttling, versions ----------------------------------------------------------------
def test_unknown_and_revoked_tokens_are_refused(server):
    a = enroll(server, station(server))
    assert sync(server, {"token": "made-up"}).status_code == 401
    r = server.post("/v1/sync", json={"protocol": 1})
    assert r.status_code == 401 and "邀请码" in r.json()["message"]
    admin.revoke_device(server.storage, a["device_id"])
    before = dump(server.db)
    r = sync(server, a, [change(1, a, "act-1", {"title": "停用后"})])
    assert r.status_code == 403 and r.json()["error"] == "device_revoked"
    assert "停用" in r.json()["message"]
    assert dump(server.db) == before


def test_a_flooding_device_is_throttled(tmp_path, clock):
    settings = ServerSettings(sync_rate=0.001, sync_burst=3, enroll_rate=0.001, enroll_burst=2)
    app = create_app(tmp_path / "srv", settings=settings, now=clock)
    with TestClient(app) as server:
        server.storage = app.state.storage
        sid = station(server)
        a, b = enroll(server, sid), enroll(server, sid)
        assert [sync(server, a).status_code for _ in range(3)] == [200, 200, 200]
        r = sync(server, a)
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
        assert "频繁" in r.json()["message"]
        assert sync(server, b).status_code == 200  # another device is not held back
        # Guessing enrollment codes from one address is throttled too.
        r = server.post("/v1/enroll", json={"protocol": 1, "code": "ABCD-EFGH"})
        assert r.status_code == 429


@pytest.mark.parametrize("version,code", [(0, "upgrade_required"), (2, "server_too_old")])
def test_other_protocol_versions_get_426_with_a_chinese_message(server, version, code):
    a = enroll(server, station(server))
    r = server.post(
        "/v1/sync",
        json={"protocol": version, "whatever": [1]},
        headers={"Authorization": f"Bearer {a['token']}"},
    )
    assert r.status_code == 426
    assert r.json()["error"] == code and r.json()["protocol"] == protocol.PROTOCOL_VERSION
    assert "升级" in r.json()["message"]
    r = server.post("/v1/enroll", json={"protocol": version, "code": "ABCD-EFGH"})
    assert r.status_code == 426


def test_health_time_and_openapi(server, clock):
    assert server.get("/v1/health").json()["status"] == "ok"
    assert server.get("/v1/time").json() == {"server_time_ms": T0}
    doc = server.get("/openapi.json").json()
    assert {"/v1/enroll", "/v1/sync", "/v1/health", "/v1/time"} <= set(doc["paths"])
    body = doc["paths"]["/v1/sync"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert "push" in body["properties"]
    r = server.get("/v1/nothing")
    assert r.status_code == 404 and r.json()["error"] == "not_found"


# -- clocks ------------------------------------------------------------------------------------
def test_future_stamp_is_clamped_and_echoed_so_replicas_converge(server, clock):
    sid = station(server)
    a, b = enroll(server, sid), enroll(server, sid)
    cursor_b = sync(server, b).json()["cursor"]
    year_2035 = T0 + 9 * 365 * 24 * 3600 * 1000
    wrong = change(1, a, "act-1", {"title": "时钟错了"}, ms=year_2035)
    r = sync(server, a, [wrong], client_time_ms=year_2035).json()
    echo = [c for c in r["changes"] if c["id"] == "act-1"]
    assert len(echo) == 1 and echo[0]["r"] == wrong["s"]
    new = hlc.parse(echo[0]["s"])
    assert T0 <= new.ms <= T0 + 5 * 60 * 1000 and new.device == a["device_id"]
    row = server.storage.query("SELECT updated_at, clocks FROM activities")[0]
    assert row["updated_at"] == echo[0]["s"] and decode("activities", row["clocks"]) == {
        "title": echo[0]["s"]
    }
    dev = server.storage.get_device(a["device_id"])
    assert dev.skew_ms == year_2035 - T0 and dev.clamped_total == 1
    # B sees the server's stamp, not 2035 (and which stamp it replaced: a copy of A's file may
    # hold it); a later edit of B wins (2035 does not win forever).
    got = sync(server, b, cursor=cursor_b).json()["changes"]
    assert [(c["s"], c.get("r")) for c in got] == [(echo[0]["s"], wrong["s"])]
    clock.ms += 60_000
    sync(server, b, [change(1, b, "act-1", {"title": "更正"}, ms=clock.ms)])
    assert server.storage.query("SELECT title FROM activities")[0]["title"] == "更正"
    # Within the window a stamp is kept as it is.
    ok = change(2, a, "act-2", {"title": "稍快"}, ms=clock.ms + 4 * 60 * 1000)
    out = sync(server, a, [ok], cursor=r["cursor"]).json()
    assert (
        server.storage.query("SELECT updated_at FROM activities WHERE id = 'act-2'")[0][
            "updated_at"
        ]
        == ok["s"]
    )
    assert all(c["id"] != "act-2" for c in out["changes"])  # not echoed: nothing to learn


def test_a_clamped_stamp_pushed_again_keeps_the_stamp_it_got_first(server, clock):
    """A restored backup re-keys and pushes the same future write again (issue 12, situations 1
    and 3): it merges under the first clamped stamp, so B's edit made in between still wins; a
    stamp never clamped before and a repeat within one batch get one fresh stamp."""
    sid = station(server)
    a, b = enroll(server, sid), enroll(server, sid)
    year_2035 = T0 + 9 * 365 * 24 * 3600 * 1000
    wrong = change(1, a, "act-1", {"title": "时钟错了"}, ms=year_2035)
    first = next(c["s"] for c in sync(server, a, [wrong]).json()["changes"] if c["id"] == "act-1")
    clock.ms += 60_000
    sync(server, b, [change(1, b, "act-1", {"title": "乙后来改的"}, ms=clock.ms)])
    clock.ms += 60_000
    r = server.post(
        "/v1/rekey",
        json={"protocol": 1, "request_id": "restored-backup-1"},
        headers={"Authorization": f"Bearer {a['token']}"},
    )
    assert r.status_code == 200, r.text
    copy = r.json()
    other = {**change(2, copy, "act-2", {"title": "新的"}, ms=year_2035), "seq": 2}
    again = sync(server, copy, [{**wrong, "f": {"title": "时钟错了"}}, other]).json()
    row = server.storage.query("SELECT title, clocks FROM activities WHERE id = 'act-1'")[0]
    assert row["title"] == "乙后来改的"
    feed = server.storage.query("SELECT replaced, stamp FROM srv_feed WHERE replaced IS NOT NULL")
    assert {(f["replaced"], f["stamp"]) for f in feed if f["replaced"] == wrong["s"]} == {
        (wrong["s"], first)
    }
    # The copy learns the first stamp from the entry its pull from 0 brings (with "r").
    echoed = {(c["id"], c["s"], c.get("r")) for c in again["changes"]}
    assert ("act-1", first, wrong["s"]) in echoed
    fresh = [c for c in again["changes"] if c["id"] == "act-2"]
    assert len(fresh) == 1 and fresh[0]["s"] > first and fresh[0]["r"] == other["s"]


def test_clamped_stamps_stay_ordered_and_after_everything_seen(server, clock):
    sid = station(server)
    a = enroll(server, sid)
    fast = change(1, a, "x", {"title": "近未来"}, ms=T0 + 4 * 60 * 1000)
    far1 = change(2, a, "x", {"title": "远未来1"}, ms=T0 + 10**10)
    far2 = change(3, a, "x", {"title": "远未来2"}, ms=T0 + 10**10 + 1)
    out = sync(server, a, [fast, far1, far2]).json()
    echoes = [c["s"] for c in out["changes"] if c["id"] == "x"]
    assert len(echoes) == 2 and fast["s"] < echoes[0] < echoes[1]
    assert server.storage.query("SELECT title FROM activities")[0]["title"] == "远未来2"


def test_sync_health_is_recorded(server, clock):
    sid = station(server)
    a = enroll(server, sid)
    sync(
        server,
        a,
        [change(1, a, "r1", {"title": "一"}), change(2, a, "r2", {"title": "二"})],
        client_time_ms=T0 - 3_600_000,
    )
    sync(server, a, [{"seq": 3, "t": "nope", "id": "r", "s": stamp(T0, a), "f": {"a": 1}}])
    health = {d["id"]: d for d in admin.sync_health(server.storage)}[a["device_id"]]
    assert health["last_sync_ms"] == T0 and health["changes_today"] == 2
    assert health["skew_ms"] == -3_600_000 and health["station_name"] == "测试镇综合文化站"
    assert health["last_error"].startswith("bad_change")
    clock.ms += 24 * 3600 * 1000
    assert {d["id"]: d for d in admin.sync_health(server.storage)}[a["device_id"]][
        "changes_today"
    ] == 0


def test_idle_sync_is_one_small_request(server):
    a = enroll(server, station(server))
    cursor = sync(server, a).json()["cursor"]
    body = json.dumps(
        {"protocol": 1, "client_time_ms": T0, "push": [], "cursor": cursor}, separators=(",", ":")
    ).encode()
    r = server.post(
        "/v1/sync",
        content=body,
        headers={
            "Authorization": f"Bearer {a['token']}",
            "Content-Type": "application/json",
            "Accept-Encoding": "gzip",
        },
    )
    assert r.status_code == 200 and r.json()["changes"] == []
    assert len(r.json()["digest"]) == len(r.json()["values"]) == 16  # both roots, every idle sync
    request_bytes = len(body) + len(a["token"]) + 200  # body, token, a few plain headers
    response_bytes = len(r.content) + sum(len(k) + len(v) + 4 for k, v in r.headers.items())
    assert request_bytes + response_bytes < 1024, (request_bytes, response_bytes)


def test_a_pc_restored_from_a_backup_is_told_instead_of_losing_changes(server):
    """After a restore the PC numbers new changes with seqs the server holds: the server must not
    skip them as resent; it refuses with 409 and applies nothing."""
    a = enroll(server, station(server))
    assert (
        sync(
            server, a, [change(1, a, "r1", {"title": "一"}), change(2, a, "r2", {"title": "二"})]
        ).status_code
        == 200
    )
    # Resending the same changes is fine (and changes nothing).
    assert sync(server, a, [change(2, a, "r2", {"title": "二"})]).json()["acked_seq"] == 2
    before = dump(server.db)
    # The restored PC's seq 2 is another change, with another stamp.
    reused = change(2, a, "r3", {"title": "恢复后新录入"}, ms=T0 + 60_000)
    r = sync(server, a, [reused, change(3, a, "r4", {"title": "再一条"}, ms=T0 + 60_000)])
    assert (
        r.status_code == 409
        and r.json()["error"] == "rekey_required"
        and "备份" in r.json()["message"]
    )
    assert r.json()["index"] == 0
    # Also when every seq of the batch is one the server holds (an older backup, resent from 0).
    r = sync(server, a, [change(1, a, "r1", {"title": "一"}), reused])
    assert r.status_code == 409 and r.json()["index"] == 1
    assert dump(server.db) == before


def test_a_device_revoked_while_its_request_waits_applies_nothing(server):
    """The token was checked before the revocation; the write itself checks again."""
    a = enroll(server, station(server))
    device = server.storage.device_by_token(auth.hash_token(a["token"]))
    admin.revoke_device(server.storage, a["device_id"])

    with pytest.raises(BatchRejected) as err:
        server.storage.push(device, [change(1, a, "r1", {"title": "迟到的"})], client_time_ms=T0)
    assert err.value.status == 403
    assert server.storage.query("SELECT count(*) AS n FROM activities")[0]["n"] == 0
