"""Keys of USB bundles on the server (issue 15, decision 4): the server's own Ed25519 key (a file
in the data dir, readable by the server's user only) and each device's public key, registered by
the device over the network (``POST /v1/keys``) or by its enrollment bundle. Own SQLite file
(``bundles.sqlite3``), apart from the replica database."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

from pzh_core import bundle

KEY_FILE = "bundle_server_key"
DB_FILE = "bundles.sqlite3"


class BundleKeys:
    def __init__(self, data_dir: str | Path, *, now_ms) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.now_ms = now_ms
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(
            str(self.data_dir / DB_FILE), check_same_thread=False, isolation_level=None
        )
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS device_keys (device_id TEXT PRIMARY KEY,"
            " station_id TEXT NOT NULL, public_key TEXT NOT NULL, created_ms INTEGER NOT NULL)"
        )
        self._conn.execute("CREATE INDEX IF NOT EXISTS device_keys_key ON device_keys(public_key)")
        self._private = self._server_key()

    def _server_key(self) -> str:
        path = self.data_dir / KEY_FILE
        if path.exists():
            return path.read_text(encoding="ascii").strip()
        key = bundle.new_private_key()
        tmp = path.with_name(KEY_FILE + ".part")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(key)
        tmp.replace(path)
        return key

    @property
    def server_private(self) -> str:
        return self._private

    @property
    def server_public(self) -> str:
        return bundle.public_key_of(self._private)

    def register(self, device_id: str, station_id: str, public_key: str) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT INTO device_keys (device_id, station_id, public_key, created_ms)"
                " VALUES (?, ?, ?, ?) ON CONFLICT(device_id) DO UPDATE SET"
                " public_key = excluded.public_key, created_ms = excluded.created_ms",
                (device_id, station_id, public_key, self.now_ms()),
            )

    def key_of(self, device_id: str) -> str | None:
        row = self._conn.execute(
            "SELECT public_key FROM device_keys WHERE device_id = ?", (device_id,)
        ).fetchone()
        return row[0] if row else None

    def device_with_key(self, public_key: str) -> str | None:
        row = self._conn.execute(
            "SELECT device_id FROM device_keys WHERE public_key = ?", (public_key,)
        ).fetchone()
        return row[0] if row else None

    def close(self) -> None:
        with self._lock:
            self._conn.close()
