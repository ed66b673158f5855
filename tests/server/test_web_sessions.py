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
