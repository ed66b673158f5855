"""Web sessions expire (idle and absolute), sign-out ends them (the app in-process, its clock
moved)."""

from __future__ import annotations

import warnings
from pathlib import Path

from sync.server.web.accounts import IDLE_MS, MAX_AGE_MS, AccountStore
from tests.web_support import PASSWORD, csrf_of, sign_in

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

HOUR = 3600 * 1000


class Clock:
    def __init__(self) -> None:
        self.ms = 1_780_000_000_000

    def __call__(self) -> int:
        return self.ms


def _client(tmp_path: Path, clock: Clock) -> TestClient:
    from sync.server.app import create_app

    AccountStore(tmp_path / "web.sqlite3").create_user("chen", "city", PASSWORD)
    return TestClient(create_app(tmp_path, now=clock), follow_redirects=False)


def test_sessions_expire_when_idle_and_after_max_age(tmp_path: Path) -> None:
    clock = Clock()
    with _client(tmp_path, clock) as c:
        assert sign_in(c, "chen").status_code == 303
        assert c.get("/web/").status_code == 200
        clock.ms += IDLE_MS - 60_000  # used again just in time
        assert c.get("/web/").status_code == 200
        clock.ms += IDLE_MS + 1  # then left alone too long
        r = c.get("/web/")
        assert r.status_code == 303 and r.headers["location"].startswith("/web/login")

        assert sign_in(c, "chen").status_code == 303
        for _ in range(MAX_AGE_MS // HOUR):  # in use every hour …
            clock.ms += HOUR
            assert c.get("/web/health").status_code == 200
        clock.ms += HOUR  # … but never longer than the maximum age
        assert c.get("/web/health").status_code == 303


def test_sign_out_ends_the_session(tmp_path: Path) -> None:
    with _client(tmp_path, Clock()) as c:
        assert sign_in(c, "chen").status_code == 303
        cookie = c.cookies.get("pzh_web_session")
        r = c.post("/web/logout", data={"csrf": csrf_of(c.get("/web/").text)})
        assert r.status_code == 303
        c.cookies.set("pzh_web_session", cookie)  # the old cookie, replayed
        assert c.get("/web/").status_code == 303


def test_a_form_posted_after_the_session_expired_returns_to_its_page_with_a_notice(
    tmp_path: Path,
) -> None:
    clock = Clock()
    with _client(tmp_path, clock) as c:
        assert sign_in(c, "chen").status_code == 303
        page = c.get("/web/admin")
        token = csrf_of(page.text)
        clock.ms += IDLE_MS + 1  # the form stayed open over lunch
        r = c.post(
            "/web/admin/stations",
            data={"csrf": token, "name": "格里坪镇综合文化站", "county": "西区"},
            headers={"Referer": "http://testserver/web/admin"},
        )
        assert r.status_code == 303
        assert r.headers["location"] == "/web/login?next=/web/admin&expired=1"
        login = c.get(r.headers["location"])
        assert "会话已过期" in login.text
        r = c.post(
            "/web/login",
            data={
                "csrf": csrf_of(login.text),
                "name": "chen",
                "password": PASSWORD,
                "next": "/web/admin",
                "expired": "1",
            },
        )
        assert r.status_code == 303 and r.headers["location"] == "/web/admin?expired=1"
        back = c.get(r.headers["location"])
        assert back.status_code == 200 and "会话已过期，请重新操作" in back.text
        assert "格里坪镇" not in back.text  # nothing was done by the expired form


def test_an_action_address_as_next_page_never_ends_in_404(tmp_path: Path) -> None:
    clock = Clock()
    with _client(tmp_path, clock) as c:
        # No Referer (some browsers and proxies drop it): the form's own page is used.
        r = c.post("/web/admin/codes", data={"csrf": "x", "station_id": "s"})
        assert r.headers["location"] == "/web/login?next=/web/admin&expired=1"
        r = c.post("/web/admin/devices/abc/revoke", data={"csrf": "x", "back": "/web/health"})
        assert r.headers["location"] == "/web/login?next=/web/health&expired=1"
        # An old link to a form's address signs in and lands on a page, not on 404.
        assert sign_in(c, "chen").status_code == 303
        for path in ("/web/admin/codes", "/web/admin/stations", "/web/admin/users/1/password"):
            r = c.get(path)
            assert r.status_code == 303 and r.headers["location"].startswith("/web/admin"), path


def test_a_sign_in_page_left_open_works_on_the_first_try(tmp_path: Path) -> None:
    with _client(tmp_path, Clock()) as c:
        page = c.get("/web/login")
        cookie = page.headers["set-cookie"]
        # The form's token cookie lives as long as the browser, not one hour.
        assert "Max-Age" not in cookie and "expires" not in cookie.lower()
        # A second sign-in tab does not spoil the first one's token.
        second = c.get("/web/login?next=/web/health")
        assert csrf_of(second.text) == csrf_of(page.text)
        form = {"csrf": csrf_of(page.text), "name": "chen", "password": PASSWORD, "next": "/web/"}
        # The cookie is gone (cleared by the browser): the same origin's form still signs in.
        c.cookies.clear()
        r = c.post("/web/login", data=form, headers={"Origin": "http://testserver"})
        assert r.status_code == 303 and r.headers["location"] == "/web/"
        # From another site, or with no way to tell: the sign-in page again with a message,
        # the name kept, never a bare error page.
        c.cookies.clear()
        r = c.post("/web/login", data=form, headers={"Origin": "http://evil.example"})
        assert r.status_code == 403 and 'action="/web/login"' in r.text
        assert "登录页已过期" in r.text and 'value="chen"' in r.text
        assert c.get("/web/").status_code == 303  # not signed in
        r = c.post("/web/login", data=form)
        assert r.status_code == 403 and 'action="/web/login"' in r.text
        # … and then the next try works.
        r = c.post("/web/login", data={**form, "csrf": csrf_of(r.text)})
        assert r.status_code == 303
