"""Keys of USB bundles on the server (issue 15, decision 4): the server's own Ed25519 key (a file
in the data dir, readable by the server's user only) and each device's public key, registered by
the device over the network (``POST /v1/keys``) or by its enrollment bundle, in the database
(``srv_device_keys``, either engine)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path

from pzh_core import bundle
from sync.server.db.conn import Conn
from sync.server.db.engine import Engine

KEY_FILE = "bundle_server_key"


def server_key(data_dir: Path) -> str:
    """The server's private key, made once. Several server processes starting at once agree on
    one key: each writes its own temporary file and links it into place; whoever comes second
    reads the one that won."""
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{KEY_FILE}.{uuid.uuid4().hex}.part")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(bundle.new_private_key())
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text(encoding="ascii").strip()


class BundleKeys:
    def __init__(self, engine: Engine, data_dir: str | Path, *, now_ms: Callable[[], int]) -> None:
        self.engine = engine
        self.now_ms = now_ms
        self._private = server_key(Path(data_dir))

    @property
    def server_private(self) -> str:
        return self._private

    @property
    def server_public(self) -> str:
        return bundle.public_key_of(self._private)

    def register(self, device_id: str, station_id: str, public_key: str) -> None:
        def tx(c: Conn) -> None:
            c.execute(
                "INSERT INTO srv_device_keys (device_id, station_id, public_key, created_ms)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (device_id) DO UPDATE SET"
                " public_key = excluded.public_key, created_ms = excluded.created_ms",
                (device_id, station_id, public_key, self.now_ms()),
            )

        self.engine.write(tx)

    def key_of(self, device_id: str) -> str | None:
        return self.engine.scalar(
            "SELECT public_key FROM srv_device_keys WHERE device_id = ?", (device_id,)
        )

    def device_with_key(self, public_key: str) -> str | None:
        return self.engine.scalar(
            "SELECT device_id FROM srv_device_keys WHERE public_key = ?", (public_key,)
        )

    def close(self) -> None:
        """Nothing of its own to close (the storage owns the engine)."""
