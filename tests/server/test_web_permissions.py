"""Web pages on a real server on loopback: who may see and change what, sign-in, CSRF, bad input."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import httpx
import pytest

from tests.server_fixtures import LiveServer, start_server
from tests.web_support import PASSWORD, csrf_of, make_world, sign_in, web_client

YEAR = dt.date.today().year - 1  # a whole past year: every record dated in it counts


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, module_database):
    where = tmp_path_factory.mktemp("web") / "城市 服务器"
    with start_server(where, database=module_database) as server:
        yield server, make_world(server, YEAR)


def _storage(server: LiveServer):
    return server._storage()


def _is_sign_in(r: httpx.Response) -> bool:
    return r.status_code == 303 and r.headers["location"].startswith("/web/login")


PAGES = [
    "/",
    "/web/",
    "/web/?year=2020",
    "/web/health",
    "/web/admin",
    "/web/export/overview.csv",
    "/web/export/overview.xlsx",
]


def test_anonymous_requests_get_the_sign_in_page(world) -> None:
    server, w = world
    sid = w.stations["大田镇综合文化站"]
    with httpx.Client(base_url=server.url, timeout=30, follow_redirects=True) as anon:
        for path in [*PAGES, f"/web/station/{sid}", "/web/admin/codes/AAAA-BBBB"]:
            r = anon.get(path)  # redirects followed
            assert r.status_code == 200, path
            assert 'action="/web/login"' in r.text and "大田镇" not in r.text, path
        # Forms too: nothing happens, the answer is the sign-in page.
        before = len(_codes(server))
        r = anon.post(
            "/web/admin/codes", data={"station_id": sid, "csrf": "x"}, follow_redirects=False
        )
        assert _is_sign_in(r)
        r = anon.post(
            f"/web/admin/devices/{w.devices['大田镇综合文化站'].id}/revoke",
            data={},
            follow_redirects=False,
        )
        assert _is_sign_in(r)
        assert len(_codes(server)) == before
        assert not _device(server, w.devices["大田镇综合文化站"].id).revoked
        # After signing in, the page asked for first is shown.
        r = anon.get(f"/web/station/{sid}?year={YEAR}", follow_redirects=False)
        assert r.headers["location"] == f"/web/login?next=/web/station/{sid}%3Fyear%3D{YEAR}"
        page = anon.get(r.headers["location"])
        r = anon.post(
            "/web/login",
            data={
                "csrf": csrf_of(page.text),
                "name": "renhe",
                "password": PASSWORD,
                "next": f"/web/station/{sid}?year={YEAR}",
            },
            follow_redirects=False,
        )
        assert r.status_code == 303 and r.headers["location"] == f"/web/station/{sid}?year={YEAR}"


def _codes(server: LiveServer) -> list:
    s = _storage(server)
    try:
        return s.list_codes()
    finally:
        s.close()


def _device(server: LiveServer, device_id: str):
    s = _storage(server)
    try:
        return s.get_device(device_id)
    finally:
        s.close()


def _stations(server: LiveServer) -> list:
    s = _storage(server)
    try:
        return s.list_stations()
    finally:
        s.close()


def test_county_user_sees_only_their_county(world) -> None:
    server, w = world
    with web_client(server.url, "renhe") as c:
        for path in (f"/web/?year={YEAR}", "/web/health", "/web/admin"):
            html = c.get(path).text
            assert "大田镇综合文化站" in html and "同德镇综合文化站" in html, path
            assert "攀莲镇" not in html and "米易县的秘密活动" not in html, path
        rows = list(
            csv.reader(
                io.StringIO(
                    c.get(f"/web/export/overview.csv?year={YEAR}").content.decode("utf-8-sig")
                )
            )
        )
        assert "仁和区文化站概览" in rows[0][0] and rows[1][1] == "文化站"
        assert sorted(r[1] for r in rows[2:4]) == ["同德镇综合文化站", "大田镇综合文化站"]
        assert [r[1] for r in rows[4:]] == ["仁和区（2个站）", "合计（2个站）"]
        assert not any("攀莲镇" in cell or "米易县" in cell for r in rows for cell in r)
        my = w.stations["攀莲镇综合文化站"]
        assert c.get(f"/web/station/{my}").status_code == 404
        assert "攀莲镇" not in c.get(f"/web/station/{my}").text
    with web_client(server.url, "city") as c:
        html = c.get(f"/web/?year={YEAR}").text
        assert "攀莲镇综合文化站" in html and "大田镇综合文化站" in html


def test_county_user_cannot_change_another_countys_stations(world) -> None:
    server, w = world
    my_station = w.stations["攀莲镇综合文化站"]
    my_device = w.devices["攀莲镇综合文化站"].id
    with web_client(server.url, "miyi") as miyi:  # a code of 米易县, to try to read from 仁和区
        token = csrf_of(miyi.get(f"/web/station/{my_station}").text)
        r = miyi.post(
            "/web/admin/codes", data={"csrf": token, "station_id": my_station, "expires_days": "3"}
        )
        assert r.status_code == 303
        my_code = r.headers["location"].rsplit("/", 1)[1]
    with web_client(server.url, "renhe") as c:
        token = csrf_of(c.get("/web/admin").text)
        codes_before = len(_codes(server))
        stations_before = len(_stations(server))
        r = c.post(
            "/web/admin/codes", data={"csrf": token, "station_id": my_station, "expires_days": "7"}
        )
        assert r.status_code == 404
        r = c.post(
            f"/web/admin/devices/{my_device}/revoke", data={"csrf": token, "back": "/web/health"}
        )
        assert r.status_code == 404
        r = c.post(
            "/web/admin/stations", data={"csrf": token, "name": "越权新建站", "county": "米易县"}
        )
        assert r.status_code == 403
        r = c.post(
            "/web/admin/stations", data={"csrf": token, "name": "越权新建站", "county": "miyi"}
        )
        assert r.status_code == 403
        r = c.get(f"/web/admin/codes/{my_code}")
        assert r.status_code == 404 and my_code not in r.text
        assert len(_codes(server)) == codes_before
        assert len(_stations(server)) == stations_before
        assert not _device(server, my_device).revoked
        # Their own county: allowed.
        r = c.post(
            "/web/admin/stations",
            data={"csrf": token, "name": "前进镇综合文化站", "county": "仁和区"},
        )
        assert r.status_code == 303
        assert any(s.name == "前进镇综合文化站" and s.county == "仁和区" for s in _stations(server))


def test_forged_forms_are_refused_and_change_nothing(world) -> None:
    server, w = world
    sid = w.stations["同德镇综合文化站"]
    device = w.devices["同德镇综合文化站"].id
    with web_client(server.url, "city") as c, web_client(server.url, "renhe") as other:
        others_token = csrf_of(other.get("/web/admin").text)
        before = len(_codes(server))
        for data in (
            {"station_id": sid},
            {"station_id": sid, "csrf": ""},
            {"station_id": sid, "csrf": "forged"},
            {"station_id": sid, "csrf": others_token},
        ):  # another session's token is no good either
            r = c.post("/web/admin/codes", data=data)
            assert r.status_code == 403, data
            assert "未做任何改动" in r.text
            r = c.post(f"/web/admin/devices/{device}/revoke", data=data)
            assert r.status_code == 403
            r = c.post("/web/admin/stations", data={**data, "name": "伪造站", "county": "仁和区"})
            assert r.status_code == 403
            r = c.post("/web/logout", data=data)
            assert r.status_code == 403
        assert len(_codes(server)) == before
        assert not _device(server, device).revoked
        assert not any(s.name == "伪造站" for s in _stations(server))
        assert c.get("/web/").status_code == 200  # still signed in
    # The sign-in form too: without the token of its cookie it is refused.
    with httpx.Client(base_url=server.url, timeout=30) as anon:
        r = anon.post(
            "/web/login", data={"name": "city", "password": PASSWORD}, follow_redirects=False
        )
        assert r.status_code == 403
        anon.get("/web/login")
        r = anon.post(
            "/web/login",
            data={"name": "city", "password": PASSWORD, "csrf": "guess"},
            follow_redirects=False,
        )
        assert r.status_code == 403
        assert "pzh_web_session" not in anon.cookies


def test_bad_input_gets_4xx_never_500(world) -> None:
    server, w = world
    with web_client(server.url, "city") as c:
        token = csrf_of(c.get("/web/admin").text)
        for path in (
            "/web/?year=99999",
            "/web/?year=-1",
            "/web/?year=abc",
            "/web/?year=1999",
            "/web/station/%00",
            "/web/station/" + "x" * 5000,
            "/web/admin/codes/%E4%B8%AD",
            "/web/export/overview.pdf",
            f"/web/station/{w.stations['大田镇综合文化站']}?year=%F0%9F%98%80",
        ):
            r = c.get(path)
            assert 400 <= r.status_code < 500, (path, r.status_code)
        for path, data in (
            ("/web/admin/codes", {"csrf": token, "station_id": "nope"}),
            (
                "/web/admin/codes",
                {"csrf": token, "station_id": w.stations["大田镇综合文化站"], "expires_days": "0"},
            ),
            (
                "/web/admin/codes",
                {"csrf": token, "station_id": w.stations["大田镇综合文化站"], "expires_days": "-5"},
            ),
            (
                "/web/admin/codes",
                {
                    "csrf": token,
                    "station_id": w.stations["大田镇综合文化站"],
                    "expires_days": "99999",
                },
            ),
            ("/web/admin/stations", {"csrf": token, "name": "", "county": "仁和区"}),
            ("/web/admin/stations", {"csrf": token, "name": "x" * 300, "county": "仁和区"}),
            ("/web/admin/stations", {"csrf": token, "name": "某站", "county": "火星县"}),
            ("/web/admin/devices/nope/revoke", {"csrf": token}),
        ):
            r = c.post(path, data=data)
            assert 400 <= r.status_code < 500, (path, data, r.status_code)
        r = c.post(
            "/web/admin/codes",
            content=b"csrf=" + b"A" * 100_000,
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert r.status_code == 413
        r = c.get("/web/no-such-page")
        assert (
            r.status_code == 404
            and "没有这个页面" in r.text
            and r.headers["content-type"].startswith("text/html")
        )
        r = c.post("/web/admin/codes", json={"csrf": token})
        assert r.status_code == 415
        r = c.post(
            "/web/admin/codes",
            content=b"\xff\xfe=\xff",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert 400 <= r.status_code < 500


def test_sign_in_failures_are_throttled(world) -> None:
    server, _ = world
    server.admin("create-user", "--name", "zhao", "--role", "city", "--password", PASSWORD)
    with httpx.Client(base_url=server.url, timeout=30) as c:
        r = sign_in(c, "zhao", "wrong-password")
        assert r.status_code == 401 and "用户名或密码不正确" in r.text
        for _ in range(4):
            assert sign_in(c, "zhao", "wrong-password").status_code == 401
        r = sign_in(c, "zhao")  # the right password, but too late
        assert r.status_code == 429 and "分钟后再试" in r.text
        assert "pzh_web_session" not in c.cookies
    with web_client(
        server.url, "city"
    ) as other:  # another account from the same address still works
        assert other.get("/web/").status_code == 200


def test_create_user_command(tmp_path: Path, make_storage) -> None:
    import subprocess
    import sys

    from tests.server_fixtures import ROOT, _env

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "sync.server",
                "admin",
                "create-user",
                *args,
                "--data-dir",
                str(tmp_path),
            ],
            input=stdin,
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=_env(),
            cwd=ROOT,
            timeout=60,
        )

    ok = run("--name", "li", "--role", "county", "--county", "renhe", "--password", "12345678")
    assert ok.returncode == 0 and ok.stdout.splitlines()[-1] == "li" and "仁和区" in ok.stdout
    assert run("--name", "li", "--role", "city", "--password", "12345678").returncode == 2  # exists
    bad = run("--name", "wang", "--role", "county", "--county", "火星县", "--password", "12345678")
    assert bad.returncode == 2 and "县" in bad.stderr
    # No --password: asked twice (from stdin when there is no terminal).
    mismatch = run("--name", "wang", "--role", "city", stdin="abcdefgh1\nabcdefgh2\n")
    assert mismatch.returncode == 2 and "不一致" in mismatch.stderr
    asked = run("--name", "wang", "--role", "city", stdin="abcdefgh1\nabcdefgh1\n")
    assert asked.returncode == 0, asked.stderr
    from sync.server.web.accounts import DB_NAME, AccountStore
    from sync.server.web.throttle import SignInThrottle

    store = AccountStore(tmp_path / DB_NAME, throttle=SignInThrottle(make_storage()))
    assert store.authenticate("wang", "abcdefgh1", "t") is not None
    assert store.authenticate("wang", "abcdefgh2", "t") is None
    assert {u.name: (u.role, u.county) for u in store.list_users()} == {
        "li": ("county", "仁和区"),
        "wang": ("city", ""),
    }
    raw = (tmp_path / DB_NAME).read_bytes()
    assert b"abcdefgh1" not in raw and b"$argon2id$" in raw
    from sync.server.web.accounts import AccountError

    for name, role, county, password in (
        ("wang2", "county", "", "12345678"),
        ("wang2", "city", "", "short"),
        ("has space", "city", "", "12345678"),
        ("wang2", "admin", "", "12345678"),
        ("wang2", "city", "仁和区", "12345678"),
    ):
        with pytest.raises(AccountError):
            store.create_user(name, role, password, county=county)
    assert [u.name for u in store.list_users()] == ["li", "wang"]
