"""The server's SQL of submitted and approved periods (issue 14; the rules are
pzh_core.approval): the guard every pushed batch passes (a change to a locked period is set
aside with code ``locked`` and kept as a late change for the county), and the reads of the
county's and city's period lists.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

from pzh_core import approval, schema, settings_defaults
from pzh_core.schema import det_id
from sync.server.db.conn import Conn


def _decode(table: str, row: Any) -> dict[str, Any]:
    return {n: schema.decode_value(k, row[n]) for n, k in schema.TABLES[table].items()}


def deadline_days(conn: Conn, station: str) -> int:
    """The edit deadline that applies to a station (its copies of the setting)."""
    rows = [
        _decode("city_settings", r)
        for r in conn.all(
            "SELECT * FROM city_settings WHERE station_id = ? AND key = 'edit_deadline_days'"
            " AND deleted = 0 ORDER BY updated_at DESC",
            (station,),
        )
    ]
    st = conn.one("SELECT county FROM srv_stations WHERE id = ?", (station,))
    value = settings_defaults.effective(
        "edit_deadline_days", rows, station_id=station, county=st[0] if st else ""
    )
    return int(value) if isinstance(value, int | float) else 0


class PeriodGuard:
    """The locked periods of one station while one pushed batch merges (the batch's own
    submissions and withdrawals count from the change after them)."""

    def __init__(self, conn: Conn, station: str, today: dt.date) -> None:
        self.conn = conn
        self.station = station
        self.today = today
        self.states = approval.states_of(
            {"period": r["period"], "status": r["status"], "deleted": r["deleted"]}
            for r in conn.all(
                "SELECT period, status, deleted FROM periods WHERE station_id = ?", (station,)
            )
        )
        self.days = deadline_days(conn, station)
        self.session_dates: dict[str, str] = {}

    def _session_date(self, session_id: str) -> str | None:
        if session_id in self.session_dates:
            return self.session_dates[session_id]
        row = self.conn.one("SELECT date FROM sessions WHERE id = ?", (session_id,))
        return row[0] if row else None

    def problem(
        self, table: str, row: Mapping[str, Any] | None, fields: Mapping[str, Any]
    ) -> tuple[str, dict[str, str]] | None:
        if table == approval.TABLE:
            return approval.period_change_problem(row, fields)
        if table not in approval.LOCKED_TABLES or (not self.states and not self.days):
            return None
        errors = approval.change_lock(
            table,
            row,
            fields,
            states=self.states,
            today=self.today,
            deadline_days=self.days,
            session_date=self._session_date,
        )
        return ("locked", errors) if errors else None

    def merged(self, table: str, row_id: str, values: Mapping[str, Any]) -> None:
        """A change of this batch merged: later changes of the batch see it."""
        if table == approval.TABLE and values.get("period"):
            status = "" if values.get("deleted") else str(values.get("status") or "")
            self.states[str(values["period"])] = status
        elif table == "sessions" and "date" in values:
            self.session_dates[row_id] = str(values["date"])


def late_change_id(device: str, seq: int) -> str:
    return det_id("late_change", device, str(seq))


def late_fields(device: str, item: Mapping[str, Any]) -> dict[str, Any]:
    """The ``late_changes`` row of a change set aside as ``locked``."""
    return {
        "device": device,
        "seq": int(item["seq"]),
        "tbl": item["table"],
        "row_id": item["id"],
        "fields": dict(item["fields"]),
        "stamp": item.get("stamp", ""),
        "message": item["message"],
        "decision": "pending",
        "deleted": False,
    }


def _rows(
    conn: Conn, table: str, stations: Sequence[str] | None, order: str
) -> list[dict[str, Any]]:
    """Every live row of ``table`` (of these stations), decoded, with ``id`` and ``station_id``."""
    sql = f"SELECT * FROM {table} WHERE deleted = 0"
    params: list[Any] = []
    if stations is not None:
        if not stations:
            return []
        sql += f" AND station_id IN ({','.join('?' * len(stations))})"
        params = list(stations)
    return [
        {**_decode(table, r), "id": r["id"], "station_id": r["station_id"]}
        for r in conn.all(f"{sql} ORDER BY {order}", params)
    ]


def period_rows(conn: Conn, stations: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Every ``periods`` row (of these stations), with ``station_id``."""
    return _rows(conn, "periods", stations, "station_id, period")


def period_states(conn: Conn, stations: Sequence[str], year: int) -> list[tuple[str, str, str]]:
    """``(station_id, period, status)`` of one year's periods of these stations (the lists)."""
    if not stations:
        return []
    marks = ",".join("?" * len(stations))
    return [
        (r[0], r[1], r[2])
        for r in conn.all(
            "SELECT station_id, period, status FROM periods WHERE deleted = 0"
            f" AND station_id IN ({marks}) AND period >= ? AND period < ?",
            [*stations, str(year), str(year + 1)],
        )
    ]


def late_rows(conn: Conn, stations: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Every late change (of these stations), newest first."""
    return _rows(conn, "late_changes", stations, "updated_at DESC")


def current_row(conn: Conn, table: str, row_id: str) -> dict[str, Any] | None:
    row = conn.one(f"SELECT * FROM {table} WHERE id = ?", (row_id,))
    if row is None:
        return None
    return {**_decode(table, row), "station_id": row["station_id"]}


def dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def county_counts(
    conn: Conn,
    where: str,
    params: list[Any],
    year: int,
    due: Sequence[str],
    done: Sequence[str],
) -> list[dict[str, Any]]:
    """Per county of the stations ``s`` matching ``where``: stations, stations with one of the
    ``due`` months (ended) not in a ``done`` state (``missing``), and how many of ``year``'s
    periods (months and the year) are in each state (``status_<state>`` columns)."""
    marks = ",".join("?" * len(done))
    months = ",".join("?" * len(due)) or "NULL"
    states = approval.STATUS_LABELS
    per_state = ", ".join(
        f"SUM(CASE WHEN p.status = '{k}' THEN 1 ELSE 0 END) AS status_{k}" for k in states if k
    )
    sql = (
        "SELECT s.county, COUNT(DISTINCT s.id) AS stations FROM srv_stations s"
        f" WHERE {where} GROUP BY s.county"
    )
    out = {r["county"]: dict(r) for r in conn.all(sql, params)}
    missing = (
        "SELECT s.county, COUNT(*) AS missing FROM srv_stations s LEFT JOIN"
        " (SELECT station_id, COUNT(*) AS done FROM periods WHERE deleted = 0"
        f" AND period IN ({months}) AND status IN ({marks}) GROUP BY station_id) x"
        f" ON x.station_id = s.id WHERE {where} AND COALESCE(x.done, 0) < ? GROUP BY s.county"
    )
    for r in conn.all(missing, [*due, *done, *params, len(due)]):
        out[r["county"]]["missing"] = r["missing"]
    counted = (
        f"SELECT s.county, {per_state} FROM periods p JOIN srv_stations s ON s.id = p.station_id"
        f" WHERE p.deleted = 0 AND p.period >= ? AND p.period < ? AND {where} GROUP BY s.county"
    )
    for r in conn.all(counted, [str(year), str(year + 1), *params]):
        out[r["county"]].update({k: v or 0 for k, v in dict(r).items() if k != "county"})
    return [
        {"missing": 0, **{f"status_{k}": 0 for k in states if k}, **row}
        for _, row in sorted(out.items())
    ]


def late_page(
    conn: Conn, where: str, params: list[Any], limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """The pending late changes of the stations ``s`` matching ``where``, newest first: one
    page, decoded (with ``station_id`` and ``station_name``), and how many there are."""
    sql = (
        "FROM late_changes l JOIN srv_stations s ON s.id = l.station_id"
        f" WHERE l.deleted = 0 AND l.decision = 'pending' AND {where}"
    )
    rows = conn.all(
        f"SELECT l.*, s.name AS station_name {sql} ORDER BY l.updated_at DESC, l.id"
        " LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    total = conn.scalar(f"SELECT COUNT(*) {sql}", params)
    return [
        {**_decode("late_changes", r), "id": r["id"], "station_id": r["station_id"],
         "station_name": r["station_name"]}
        for r in rows
    ], int(total or 0)  # fmt: skip
