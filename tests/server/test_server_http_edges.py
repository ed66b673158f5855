"""HTTP edges of the server (real server on loopback): 405 names the allowed methods, and a
client that disconnects mid-request is not logged as an unexpected error."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from tests.server_fixtures import start_server


def test_405_says_which_methods_are_allowed(tmp_path: Path) -> None:
    with start_server(tmp_path / "server") as server:
        r = httpx.get(f"{server.url}/v1/sync", timeout=10)
        assert r.status_code == 405 and r.headers["allow"] == "POST"
        r = httpx.post(f"{server.url}/v1/health", timeout=10)
        assert r.status_code == 405 and "GET" in r.headers["allow"]


def test_a_client_disconnect_is_not_an_unexpected_error(tmp_path: Path) -> None:
    with start_server(tmp_path / "server", args=("--log-level", "info")) as server:
        u = urlsplit(server.url)
        for path in ("/v1/enroll", "/web/login"):
            with socket.create_connection((u.hostname, u.port), timeout=10) as sock:
                sock.sendall(
                    f"POST {path} HTTP/1.1\r\nHost: {u.netloc}\r\n"
                    'Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"pro'.encode()
                )
                time.sleep(0.5)
            time.sleep(1.0)
        assert httpx.get(f"{server.url}/v1/health", timeout=10).status_code == 200
        log = "".join(server.log)
        assert "unexpected error" not in log and "Traceback" not in log, log
