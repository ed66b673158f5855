"""A real city server on loopback, for tests (server and client engineers both use it).

Use the fixtures by importing them into a test module (or conftest)::

    from tests import server_fixtures
    from tests.server_fixtures import LiveServer

    sync_server = server_fixtures.sync_server  # makes the fixture visible in this module

    def test_something(sync_server: LiveServer):
        station = sync_server.create_station("测试镇综合文化站", "仁和区")
        code = sync_server.issue_code(station)
        ... POST f"{sync_server.url}/v1/enroll" ...

``sync_server`` runs ``python -m sync.server serve --port 0`` in a subprocess (a real uvicorn on
127.0.0.1, its own data dir); the address is read from the line the server prints. Admin
commands run as real subprocesses (``admin(...)``) or, faster, in-process on the same SQLite
file (``create_station``, ``issue_code``, ``revoke``). ``start_server(data_dir)`` is the context
manager behind it, for a server that a test stops and starts again on the same data.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_LISTEN = re.compile(r"listening on (http://\S+)")


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONUTF8": "1", "PYTHONPATH": str(ROOT)}


@dataclass
class LiveServer:
    url: str  # e.g. http://127.0.0.1:54321 (no trailing slash)
    data_dir: Path
    process: subprocess.Popen
    log: list[str] = field(default_factory=list)
    database: str | None = None  # a postgresql:// URL, else $PZH_SYNC_DATABASE or the SQLite file

    def admin(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``pzh-sync-server admin <args> --data-dir <data_dir>`` as a subprocess."""
        proc = subprocess.run(
            [sys.executable, "-m", "sync.server", "admin", *args, "--data-dir", str(self.data_dir)],
            capture_output=True,
            text=True,
            encoding="utf-8",
            env={**_env(), **({"PZH_SYNC_DATABASE": self.database} if self.database else {})},
            cwd=ROOT,
            timeout=60,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"admin {args} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
            )
        return proc

    def _storage(self):
        """The server's storage, opened in this process (same file or database)."""
        from sync.server.app import database_of
        from sync.server.sql_storage import open_storage

        return open_storage(database_of(self.data_dir, self.database))

    def query(self, sql: str, params: tuple = ()) -> list[dict]:
        """Rows of a SELECT on the server's database (either engine), as dicts."""
        s = self._storage()
        try:
            return s.query(sql, params)
        finally:
            s.close()

    def create_station(self, name: str = "测试镇综合文化站", county: str = "仁和区") -> str:
        """Register a station (in-process, same file); returns its id."""
        from sync.server import admin

        s = self._storage()
        try:
            return admin.create_station(s, name, county).id
        finally:
            s.close()

    def issue_code(self, station_id: str, *, expires_days: int = 7) -> str:
        from sync.server import admin

        s = self._storage()
        try:
            return admin.issue_code(s, station_id, expires_days=expires_days).code
        finally:
            s.close()

    def revoke(self, device_id: str) -> None:
        from sync.server import admin

        s = self._storage()
        try:
            admin.revoke_device(s, device_id)
        finally:
            s.close()

    def enroll(
        self, station_id: str, *, device_name: str = "测试电脑", device_id: str | None = None
    ) -> dict:
        """Enroll a device over HTTP with a fresh code; returns the enroll response."""
        import httpx

        body = {
            "protocol": 1,
            "code": self.issue_code(station_id),
            "device_name": device_name,
            "app_version": "test",
        }
        if device_id:
            body["device_id"] = device_id
        r = httpx.post(f"{self.url}/v1/enroll", json=body, timeout=10)
        r.raise_for_status()
        return r.json()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@contextmanager
def start_server(
    data_dir: Path,
    *,
    timeout: float = 30,
    env: dict[str, str] | None = None,
    args: tuple[str, ...] = (),
    database: str | None = None,
) -> Iterator[LiveServer]:
    """Run a real server on 127.0.0.1 on a free port over ``data_dir`` until the block ends.

    :param env: extra environment, e.g. ``{"PZH_SYNC_ENROLL_BURST": "100"}`` (``ServerSettings``).
    :param args: extra ``serve`` options, e.g. ``("--trusted-proxy", "127.0.0.1")``.
    :param database: a ``postgresql://`` URL (default: ``$PZH_SYNC_DATABASE``, else SQLite).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    if database:
        env = {**(env or {}), "PZH_SYNC_DATABASE": database}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sync.server",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--data-dir",
            str(data_dir),
            "--log-level",
            "warning",
            *args,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        env={**_env(), **(env or {})},
        cwd=ROOT,
    )
    log: list[str] = []
    found: list[str] = []
    ready = threading.Event()

    def pump() -> None:  # keep reading, so a chatty server never blocks on a full pipe
        assert proc.stdout is not None
        for line in proc.stdout:
            log.append(line)
            m = _LISTEN.search(line)
            if m and not found:
                found.append(m.group(1))
                ready.set()
        ready.set()

    threading.Thread(target=pump, daemon=True).start()
    if not ready.wait(timeout) or not found:
        proc.kill()
        raise RuntimeError("sync server did not start:\n" + "".join(log))
    server = LiveServer(url=found[0], data_dir=data_dir, process=proc, log=log, database=database)
    # The socket is bound before the app starts; wait until it answers.
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{server.url}/v1/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            server.stop()
            raise RuntimeError("sync server did not answer:\n" + "".join(log))
        time.sleep(0.05)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sync_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A real city server on loopback with its own empty data dir."""
    with start_server(tmp_path / "城市 服务器") as server:
        yield server


@contextmanager
def serve_app(app, *, timeout: float = 30) -> Iterator[str]:
    """Serve an app made in the test (e.g. ``create_app(dir, settings=ServerSettings(...))``)
    with a real uvicorn on 127.0.0.1 in a thread; yields its base URL."""
    import socket

    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("app server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout)
        sock.close()
