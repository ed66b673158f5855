"""The sync agent core on real SQLite files, against an in-memory stand-in for the server
(the end-to-end tests with the real server on loopback are in test_sync_e2e.py).

The stand-in keeps the protocol's promises only: it ignores device seqs it holds, answers the
highest one, and feeds the station's changes after a cursor in pages.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
from pathlib import Path

import pytest

from pzh_core import hlc, protocol
from pzh_station.store import Store
from pzh_station.sync_client import RetryPolicy, SyncClient, SyncError, SyncState, Transport
from pzh_station.sync_client.transport import WireStats, _http_error

YEAR_MS = 365 * 24 * 3600 * 1000


class FakeServer:
    def __init__(self) -> None:
        self.codes = {"ABCD2345": "st-1", "WXYZ6789": "st-2"}
        self.stations = {
            "st-1": {"id": "st-1", "name": "大田镇文化站", "county": "仁和区"},
            "st-2": {"id": "st-2", "name": "平地镇文化站", "county": "仁和区"},
        }
        self.tokens: dict[str, tuple[str, str]] = {}  # token -> (device, station)
        self.acked: dict[str, int] = {}
        self.feed: list[dict] = []  # {"c", "st", "t", "id", "s", "f"}
        self.skew_ms = 0  # the fake server's clock runs on with true time (time_ms)
        self.lose_next_answers = 0  # commit, then "lose" the answer
        self.requests = 0

    @property
    def time_ms(self) -> int:
        return hlc.wall_ms() + self.skew_ms

    @time_ms.setter
    def time_ms(self, value: int) -> None:
        self.skew_ms = value - hlc.wall_ms()

    def handle(self, path: str, body: dict, token: str | None) -> dict:
        self.requests += 1
        if path == "/v1/enroll":
            station = self.codes.pop(body["code"], None)
            if station is None:
                raise SyncError("bad_code", "注册码无效")
            n = len(self.tokens) + 1
            self.tokens[f"tok{n}"] = (f"dev{n}", station)
            return {
                "device_id": f"dev{n}",
                "token": f"tok{n}",
                "station": self.stations[station],
                "server_time_ms": self.time_ms,
            }
        device, station = self.tokens[token]
        held = self.acked.get(device, 0)
        for ch in body["push"]:
            protocol.validate_change(ch)
            if ch["seq"] > held:
                self.feed.append(
                    {
                        "c": len(self.feed) + 1,
                        "st": station,
                        **{k: ch[k] for k in ("t", "id", "s", "f")},
                    }
                )
                held = ch["seq"]
        self.acked[device] = held
        mine = [f for f in self.feed if f["st"] == station and f["c"] > body["cursor"]]
        page = mine[: body["limit"]]
        answer = {
            "protocol": 1,
            "server_time_ms": self.time_ms,
            "acked_seq": held,
            "changes": [{k: f[k] for k in ("c", "t", "id", "s", "f")} for f in page],
            "cursor": page[-1]["c"] if page else body["cursor"],
            "more": len(mine) > len(page),
        }
        if self.lose_next_answers:
            self.lose_next_answers -= 1
            raise SyncError("offline", "answer lost")
        return answer


class FakeTransport:
    def __init__(
        self, server: FakeServer, url: str, *, token=None, ca_bundle=None, retry=None
    ) -> None:
        self.server, self.token = server, token
        self.retry = retry or RetryPolicy(sleep=lambda s: None)
        self.stats = WireStats()

    def post(self, path, body, *, auth=True):
        for attempt in range(self.retry.attempts):
            self.stats.requests += 1
            try:
                return json.loads(json.dumps(self.server.handle(path, body, self.token)))
            except SyncError as exc:
                if not exc.transient or attempt == self.retry.attempts - 1:
                    raise
        raise AssertionError

    def close(self):
        pass


@pytest.fixture
def server() -> FakeServer:
    return FakeServer()


def client_for(store: Store, server: FakeServer, **kw) -> SyncClient:
    return SyncClient(
        store, transport_factory=lambda url, **k: FakeTransport(server, url, **k), **kw
    )


def fresh_store(tmp_path: Path, name: str) -> Store:
    return Store(tmp_path / name / "station.sqlite3")


def skew(store: Store, ms: int) -> None:
    """Make the store's PC clock wrong by ``ms`` (as a PC whose clock says 2009 or 2035)."""
    c = store.clock
    store.clock = hlc.HybridClock(
        c.device, last=c.last, offset_ms=c.offset_ms, wall=lambda: hlc.wall_ms() + ms
    )


def test_enroll_fresh_pc_takes_the_station_from_the_server(tmp_path, server):
    store = fresh_store(tmp_path, "pc")
    result = client_for(store, server).enroll("sync.example.cn", "abcd-2345")
    assert result.station_id == "st-1" and result.kept_changes == 0
    assert store.station_id == "st-1"
    assert store.get("stations", "st-1")["name"] == "大田镇文化站"
    st = SyncState.load(store)
    assert st.enrolled and st.server_url == "https://sync.example.cn" and st.pending == 0
    # The code is spent.
    with pytest.raises(SyncError) as err:
        client_for(fresh_store(tmp_path, "pc2"), server).enroll("sync.example.cn", "ABCD2345")
    assert err.value.kind == "bad_code" and "注册码" in err.value.message


def test_enroll_after_offline_work_moves_every_row_and_pushes_it_all(services, server, tmp_path):
    store = services.store
    local_station = store.station_id
    act = store.write("activities", None, {"title": "春节联欢", "date": "2026-01-20"})
    person = store.write("people", None, {"name": "张三"})
    store.delete("activities", act)
    # Every change but the profile's: that waits for the server's (issue 12, situation 8).
    n_changes = store.conn.execute(
        "SELECT count(*) FROM changes WHERE tbl != 'stations'"
    ).fetchone()[0]
    client = client_for(store, server)
    result = client.enroll("http://127.0.0.1:1", "ABCD2345")
    assert result.kept_changes == n_changes
    assert result.adopted == {"name": ("测试镇综合文化站", "大田镇文化站")}
    assert store.station_id == "st-1"
    for table in ("stations", "staff", "activities", "people"):
        stations = {r["station_id"] for r in store.query(f"SELECT station_id FROM {table}")}
        assert stations == {"st-1"}, table
    assert store.get("stations", local_station) is None
    # The station's name is the server's; what was typed here gives way.
    assert store.get("stations", "st-1")["name"] == "大田镇文化站"
    assert not store.query(
        "SELECT 1 FROM changes WHERE tbl='stations' AND row_id=?", (local_station,)
    )
    client.sync()
    pushed = {(f["t"], f["id"]) for f in server.feed}
    assert (
        ("activities", act) in pushed
        and ("people", person) in pushed
        and ("stations", "st-1") in pushed
    )
    assert SyncState.load(store).pending == 0


def test_enroll_into_another_station_is_refused(tmp_path, server):
    store = fresh_store(tmp_path, "pc")
    client_for(store, server).enroll("sync.example.cn", "ABCD2345")
    with pytest.raises(SyncError) as err:
        client_for(store, server).enroll("sync.example.cn", "WXYZ6789")
    assert err.value.kind == "other_station" and "大田镇文化站" in err.value.message
    assert store.station_id == "st-1"


def test_two_pcs_converge_and_idle_sync_is_one_request(tmp_path, server):
    a, b = fresh_store(tmp_path, "a"), fresh_store(tmp_path, "b")
    server.codes["BBBB2222"] = "st-1"
    ca, cb = client_for(a, server), client_for(b, server)
    ca.enroll("s", "ABCD2345")
    cb.enroll("s", "BBBB2222")
    # The stand-in's time stands still, so each PC's offset depends on when it enrolled: give
    # both the same corrected clock, so "later" below is later for the merge too.
    b.clock.offset_ms = a.clock.offset_ms
    rid = a.write("activities", None, {"title": "A写的", "attendance": 10})
    time.sleep(0.01)  # later in true time (an equal millisecond would be decided by device id)
    b.write("activities", rid, {"attendance": 99})  # B edits the same row offline, later
    ca.sync()
    cb.sync()
    ca.sync()
    ra, rb = a.get("activities", rid), b.get("activities", rid)
    assert ra["title"] == rb["title"] == "A写的" and ra["attendance"] == rb["attendance"] == 99
    idle = ca.sync()
    assert idle.requests == 1 and idle.pushed == 0 and idle.pulled == 0


def test_batches_are_capped_and_a_lost_answer_duplicates_nothing(tmp_path, server):
    store = fresh_store(tmp_path, "pc")
    client = client_for(store, server, push_max_bytes=2_000)
    client.enroll("s", "ABCD2345")
    ids = [store.write("people", None, {"name": f"居民{i}", "notes": "x" * 100}) for i in range(60)]
    server.lose_next_answers = 2
    result = client.sync()
    assert result.requests > 60 * 150 // 2_000  # many small batches
    assert result.pushed >= 60
    assert sorted(f["id"] for f in server.feed) == sorted(ids)  # each change once on the server
    assert SyncState.load(store).pending == 0
    assert SyncState.load(store).cursor == len(server.feed)


def test_pages_are_pulled_until_no_more(tmp_path, server, monkeypatch):
    from pzh_station.sync_client import client as client_mod

    monkeypatch.setattr(client_mod, "PULL_LIMIT", 7)
    a, b = fresh_store(tmp_path, "a"), fresh_store(tmp_path, "b")
    server.codes["BBBB2222"] = "st-1"
    client_for(a, server).enroll("s", "ABCD2345")
    client_for(b, server).enroll("s", "BBBB2222")
    for i in range(30):
        a.write("people", None, {"name": f"居民{i}"})
    client_for(a, server).sync()
    result = client_for(b, server).sync()
    assert result.pulled >= 30 and result.requests >= 5
    assert b.query("SELECT count(*) AS n FROM people")[0]["n"] == 30


def test_pc_saying_2009_learns_the_offset_and_its_later_edit_wins(tmp_path, server):
    a, old = fresh_store(tmp_path, "a"), fresh_store(tmp_path, "old")
    server.codes["BBBB2222"] = "st-1"
    skew(old, -17 * YEAR_MS)
    client_for(a, server).enroll("s", "ABCD2345")
    client_for(old, server).enroll("s", "BBBB2222")
    assert abs(int(old.meta("clock_offset_ms")) - 17 * YEAR_MS) < 60_000
    rid = a.write("activities", None, {"title": "原标题"})
    client_for(a, server).sync()
    client_for(old, server).sync()
    server.time_ms += 1000
    old.write("activities", rid, {"title": "旧电脑改的"})
    assert abs(hlc.parse(old.get("activities", rid)["updated_at"]).ms - hlc.wall_ms()) < 60_000
    client_for(old, server).sync()
    client_for(a, server).sync()
    assert a.get("activities", rid)["title"] == "旧电脑改的"


def test_not_enrolled_is_recorded_in_chinese(tmp_path, server):
    store = fresh_store(tmp_path, "pc")
    store.set_meta("station_id", "x")
    with pytest.raises(SyncError) as err:
        client_for(store, server).sync()
    assert err.value.kind == "not_enrolled"
    st = SyncState.load(store)
    assert "注册" in st.last_error and st.last_error_kind == "not_enrolled" and st.last_attempt


@pytest.mark.parametrize(
    ("status", "body", "kind", "words"),
    [
        (426, {"error": "upgrade_required", "message": "请升级"}, "upgrade", "新版本"),
        (426, {"error": "server_too_old"}, "server_too_old", "升级服务器"),
        (410, {"error": "code_spent", "message": "注册码已使用"}, "refused", "注册码已使用"),
        (401, {"error": "unauthorized"}, "unauthorized", "重新注册"),
        (403, {"error": "revoked"}, "unauthorized", "重新注册"),
        (422, {"error": "invalid", "message": "字段错误"}, "refused", "字段错误"),
        (429, {"error": "throttled"}, "throttled", "稍后"),
        (503, None, "server_error", "稍后"),
        # A refusal cut on the way (its headers or JSON body lost): retried, never acted on.
        (409, None, "bad_response", "回答不完整"),
        (403, None, "bad_response", "回答不完整"),
        (404, None, "bad_response", "服务器地址"),
    ],
)
def test_http_errors_become_chinese_messages(status, body, kind, words):
    err = _http_error(status, body, None)
    assert err.kind == kind and words in err.message


class _Handler(http.server.BaseHTTPRequestHandler):
    script: list[tuple[int, bytes]] = []
    seen: list[tuple[str, dict]] = []

    def do_POST(self):  # noqa: N802
        import gzip

        raw = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            raw = gzip.decompress(raw)
        type(self).seen.append((self.headers.get("Authorization", ""), json.loads(raw)))
        status, payload = type(self).script.pop(0)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def canned_http():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    _Handler.script, _Handler.seen = [], []
    yield f"http://127.0.0.1:{srv.server_address[1]}", _Handler
    srv.shutdown()


def test_transport_retries_transient_failures_with_growing_jittered_delays(canned_http):
    url, handler = canned_http
    handler.script = [(503, b"{}"), (502, b"oops"), (200, b'{"ok": 1}')]
    delays: list[float] = []
    t = Transport(url, token="secret", retry=RetryPolicy(attempts=4, base_s=1, sleep=delays.append))
    assert t.post("/v1/sync", {"push": [{"f": "长" * 300}]}) == {"ok": 1}
    assert len(delays) == 2 and 0.5 <= delays[0] <= 1 and 1 <= delays[1] <= 2
    auth, body = handler.seen[0]
    assert auth == "Bearer secret" and body["protocol"] == protocol.PROTOCOL_VERSION  # gzip decoded


def test_transport_gives_up_on_refusal_at_once_and_on_offline_after_retries(canned_http):
    url, handler = canned_http
    handler.script = [(426, json.dumps({"error": "upgrade_required"}).encode())]
    t = Transport(url, retry=RetryPolicy(attempts=3, sleep=lambda s: None))
    with pytest.raises(SyncError) as err:
        t.post("/v1/sync", {})
    assert err.value.kind == "upgrade" and t.stats.requests == 1
    dead = Transport("http://127.0.0.1:9", retry=RetryPolicy(attempts=3, sleep=lambda s: None))
    with pytest.raises(SyncError) as err:
        dead.post("/v1/sync", {})
    assert err.value.kind == "offline" and dead.stats.requests == 3 and "网络" in err.value.message


def test_transport_verifies_tls_and_checks_the_ca_bundle_setting(tmp_path):
    t = Transport("https://sync.example.cn")
    assert t.verify is True and t.session.trust_env
    with pytest.raises(SyncError) as err:
        Transport("https://sync.example.cn", ca_bundle=str(tmp_path / "missing.pem"))
    assert err.value.kind == "ca_missing"
    pem = tmp_path / "city-ca.pem"
    pem.write_text("-----BEGIN CERTIFICATE-----\n")
    assert Transport("https://sync.example.cn", ca_bundle=str(pem)).verify == str(pem)
    with pytest.raises(SyncError) as err:
        Transport("ftp://x")
    assert err.value.kind == "bad_url"


def _make_certs(d: Path) -> tuple[Path, Path, Path]:
    """A city CA and a server certificate for 127.0.0.1 signed by it (openssl CLI)."""
    import subprocess

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

    run(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=Panzhihua Test City CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    )
    run(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "srv.key",
        "-out",
        "srv.csr",
        "-subj",
        "/CN=127.0.0.1",
    )
    (d / "ext.cnf").write_text(
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
        "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
    )
    run(
        "x509",
        "-req",
        "-in",
        "srv.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "srv.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    )
    return d / "ca.pem", d / "srv.pem", d / "srv.key"


@pytest.mark.skipif(
    __import__("shutil").which("openssl") is None, reason="needs the openssl command"
)
def test_tls_is_verified_and_a_city_ca_bundle_is_trusted(tmp_path):
    import ssl

    ca, cert, key = _make_certs(tmp_path)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    srv.socket = context.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = f"https://127.0.0.1:{srv.server_address[1]}"
    _Handler.script, _Handler.seen = [(200, b'{"ok": 1}')], []
    try:
        with pytest.raises(SyncError) as err:
            Transport(url, retry=RetryPolicy(attempts=1)).post("/v1/sync", {})
        assert (
            err.value.kind == "tls"
            and "证书" in err.value.message
            and "ca_bundle" in err.value.message
        )
        assert _Handler.seen == []  # nothing was sent to a server we could not verify
        assert Transport(url, ca_bundle=str(ca)).post("/v1/sync", {}) == {"ok": 1}
    finally:
        srv.shutdown()


def test_the_system_proxy_is_used(canned_http, monkeypatch):
    url, handler = canned_http
    handler.script = [(200, b'{"ok": 1}')]
    paths: list[str] = []
    original = handler.do_POST

    def spy(self):
        paths.append(self.path)
        original(self)

    monkeypatch.setattr(handler, "do_POST", spy)
    monkeypatch.setenv("HTTP_PROXY", url)
    monkeypatch.setenv("http_proxy", url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    t = Transport("http://sync.pzh.example.cn", retry=RetryPolicy(attempts=1))
    assert t.post("/v1/sync", {}) == {"ok": 1}
    assert paths == ["http://sync.pzh.example.cn/v1/sync"]  # the request went through the proxy
