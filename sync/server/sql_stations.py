"""Stations, enrollment codes and the audit log in the SQL storage (either engine)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sync.server.db.conn import Conn
from sync.server.sql_base import SqlBase, _code, _station
from sync.server.storage import AuditEntry, Code, Station


class SqlStations(SqlBase):
    """Stations, codes and the audit log of :class:`sync.server.sql_storage.SqlStorage`."""

    def create_station(
        self, name: str, county: str, *, station_id: str | None = None, actor: str = ""
    ) -> Station:
        sid = station_id or str(uuid.uuid4())

        def tx(c: Conn) -> Station:
            now = self.now()
            c.execute(
                "INSERT INTO srv_stations (id, name, county, created_ms) VALUES (?, ?, ?, ?)",
                (sid, name, county, now),
            )
            self._server_write(c, sid, "stations", sid, {"name": name, "county": county})
            if actor:
                self._audit(c, actor, "station.create", sid, f"{county} · {name}", sid)
            return Station(id=sid, name=name, county=county, created_ms=now)

        return self._write(tx)

    def rename_station(self, station_id: str, name: str, *, actor: str, reason: str) -> Station:
        def tx(c: Conn) -> Station:
            row = c.one(
                "SELECT * FROM srv_stations WHERE id = ?" + c.dialect.for_update, (station_id,)
            )
            if row is None:
                raise KeyError(station_id)
            c.execute("UPDATE srv_stations SET name = ? WHERE id = ?", (name, station_id))
            self._server_write(c, station_id, "stations", station_id, {"name": name})
            detail = f"{row['county']} · “{row['name']}”改为“{name}”"
            detail += f"（{reason}）" if reason else ""
            self._audit(c, actor, "station.rename", station_id, detail, station_id)
            return Station(
                id=station_id, name=name, county=row["county"], created_ms=row["created_ms"]
            )

        return self._write(tx)

    def audit(
        self, actor: str, action: str, target: str, detail: str, *, station_id: str = ""
    ) -> None:
        self._write(lambda c: self._audit(c, actor, action, target, detail, station_id))

    def list_audit(
        self,
        *,
        station_ids: Sequence[str] | None = None,
        actions: Sequence[str] | None = None,
        limit: int | None = 50,
    ) -> list[AuditEntry]:
        where: list[str] = []
        params: list[Any] = []
        for column, values in (("station_id", station_ids), ("action", actions)):
            if values is not None:
                vals = list(values)
                where.append(f"{column} IN ({','.join('?' * len(vals)) or 'NULL'})")
                params += vals
        sql = "SELECT id, ms, actor, action, target, station_id, detail FROM srv_audit"
        sql += (" WHERE " + " AND ".join(where)) if where else ""
        sql += " ORDER BY id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [AuditEntry(**dict(r)) for r in self._all(sql, params)]

    def get_station(self, station_id: str) -> Station | None:
        row = self._one("SELECT * FROM srv_stations WHERE id = ?", (station_id,))
        return _station(row) if row else None

    def list_stations(self) -> list[Station]:
        rows = self._all("SELECT * FROM srv_stations ORDER BY county, name")
        return [_station(r) for r in rows]

    def add_code(self, code: str, station_id: str, expires_ms: int) -> Code:
        def tx(c: Conn) -> Code:
            now = self.now()
            c.execute(
                "INSERT INTO srv_codes (code, station_id, created_ms, expires_ms)"
                " VALUES (?, ?, ?, ?)",
                (code, station_id, now, expires_ms),
            )
            return Code(code=code, station_id=station_id, created_ms=now, expires_ms=expires_ms)

        return self._write(tx)

    def list_codes(self, *, station_id: str | None = None) -> list[Code]:
        if station_id:
            rows = self._all(
                "SELECT * FROM srv_codes WHERE station_id = ? ORDER BY created_ms DESC",
                (station_id,),
            )
        else:
            rows = self._all("SELECT * FROM srv_codes ORDER BY created_ms DESC")
        return [_code(r) for r in rows]

    def get_code(self, code: str) -> Code | None:
        row = self._one("SELECT * FROM srv_codes WHERE code = ?", (code,))
        return _code(row) if row else None
