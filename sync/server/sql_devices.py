"""Devices in the SQL storage (either engine): enrollment and re-keying (the rules are
:mod:`sync.server.identity`), tokens, revocation and each device's sync health."""

from __future__ import annotations

from sync.server import identity
from sync.server.db.conn import Conn
from sync.server.sql_base import SqlBase, _device, _station
from sync.server.storage import Device, Station


class SqlDevices(SqlBase):
    """The devices of :class:`sync.server.sql_storage.SqlStorage`."""

    def enroll(
        self,
        code: str,
        *,
        token_hash: str,
        device_name: str,
        app_version: str,
        device_id: str | None,
        request_id: str | None = None,
    ) -> tuple[Device, Station]:
        def tx(c: Conn) -> tuple[Device, Station]:
            did, sid = identity.enroll(
                c,
                self.now(),
                code,
                token_hash=token_hash,
                device_name=device_name,
                app_version=app_version,
                device_id=device_id,
                request_id=request_id,
            )
            return self._device_and_station(c, did, sid)

        return self._write(tx)

    @staticmethod
    def _device_and_station(c: Conn, did: str, sid: str) -> tuple[Device, Station]:
        dev = c.one("SELECT * FROM srv_devices WHERE id = ?", (did,))
        st = c.one("SELECT * FROM srv_stations WHERE id = ?", (sid,))
        return _device(dev), _station(st)

    def rekey(
        self,
        device: Device,
        *,
        token_hash: str,
        request_id: str,
        device_name: str | None = None,
        app_version: str | None = None,
    ) -> tuple[Device, Station]:
        def tx(c: Conn) -> tuple[Device, Station]:
            did, sid = identity.rekey(
                c,
                self.now(),
                device.id,
                token_hash=token_hash,
                request_id=request_id,
                device_name=device_name,
                app_version=app_version,
            )
            return self._device_and_station(c, did, sid)

        return self._write(tx)

    def device_by_token(self, token_hash: str) -> Device | None:
        row = self._one("SELECT * FROM srv_devices WHERE token_hash = ?", (token_hash,))
        return _device(row) if row else None

    def get_device(self, device_id: str) -> Device | None:
        row = self._one("SELECT * FROM srv_devices WHERE id = ?", (device_id,))
        return _device(row) if row else None

    def list_devices(self, *, station_id: str | None = None) -> list[Device]:
        if station_id:
            rows = self._all(
                "SELECT * FROM srv_devices WHERE station_id = ? ORDER BY created_ms", (station_id,)
            )
        else:
            rows = self._all("SELECT * FROM srv_devices ORDER BY station_id, created_ms")
        return [_device(r) for r in rows]

    def revoke_device(self, device_id: str) -> Device | None:
        def tx(c: Conn) -> Device | None:
            c.execute(
                "UPDATE srv_devices SET revoked_ms = ?, revoke_reason = 'admin'"
                " WHERE id = ? AND revoked_ms IS NULL",
                (self.now(), device_id),
            )
            row = c.execute("SELECT * FROM srv_devices WHERE id = ?", (device_id,)).fetchone()
            return _device(row) if row else None

        return self._write(tx)

    def record_check(self, device_id: str, ok: bool, differs: str | None = None) -> None:
        def tx(c: Conn) -> None:
            c.execute(
                "UPDATE srv_devices SET digest_ok = ?, digest_ms = ?,"
                " digest_differs = COALESCE(?, digest_differs) WHERE id = ?",
                (1 if ok else 0, self.now(), differs, device_id),
            )

        self._write(tx)

    def record_error(self, device_id: str, message: str) -> None:
        def tx(c: Conn) -> None:
            now = self.now()
            c.execute(
                "UPDATE srv_devices SET last_error = ?, last_error_ms = ?, last_seen_ms = ?"
                " WHERE id = ?",
                (message[:500], now, now, device_id),
            )

        self._write(tx)
