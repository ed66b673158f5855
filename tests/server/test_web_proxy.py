"""Throttling per address believes X-Forwarded-For only from the proxies named with
``serve --trusted-proxy`` (real servers on loopback)."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.server_fixtures import start_server
from tests.web_support import csrf_of


def _enroll_statuses(url: str, n: int) -> list[int]:
    out = []
    for i in range(n):
        r = httpx.post(
            f"{url}/v1/enroll",
            json={"protocol": 1, "code": "AAAA-BBBB", "device_name": "x", "app_version": "t"},
            headers={"X-Forwarded-For": f"10.9.{i // 250}.{i % 250 + 1}"},
            timeout=10,
        )
        out.append(r.status_code)
    return out


def _wrong_sign_ins(url: str, n: int) -> list[int]:
    out = []
    with httpx.Client(base_url=url, timeout=30) as c:
        for i in range(n):
            page = c.get("/web/login")
            r = c.post(
                "/web/login",
                data={"csrf": csrf_of(page.text), "name": f"nobody{i}", "password": "wrong-pass"},
                headers={"X-Forwarded-For": f"10.8.0.{i + 1}"},
            )
            out.append(r.status_code)
    return out


def test_forwarded_for_is_not_believed_by_default(tmp_path: Path) -> None:
    with start_server(tmp_path / "server") as server:
        # A new X-Forwarded-For on every request does not escape the enrollment limit …
        assert 429 in _enroll_statuses(server.url, 15)
        # … nor the sign-in limit per address (30 failures in 15 minutes).
        statuses = _wrong_sign_ins(server.url, 32)
        assert statuses[:30] == [401] * 30 and statuses[30:] == [429, 429]


def test_forwarded_for_is_believed_from_a_named_proxy(tmp_path: Path) -> None:
    with start_server(tmp_path / "server", args=("--trusted-proxy", "127.0.0.1")) as server:
        # Behind the proxy, each forwarded address is its own client.
        assert 429 not in _enroll_statuses(server.url, 15)
