"""The sync health of stations and devices for the web pages, counted and paged in SQL (either
engine): what needs attention first, per county or per station, narrowed to a county or a
station (issue 16: a province's 8,000 devices are never loaded to be filtered in Python).

A device *in use* is one not revoked. It *needs attention* when it is silent (no successful sync
for more than :data:`SILENT_DAYS`, or never), when its last request met an error, when its
clock was more than :data:`SKEW_LIMIT_MS` off at its last sync, or when its data differed from
the server's at its last check. A station is silent when none of its devices in use synced
within :data:`SILENT_DAYS` (or it has none); it needs attention when it is silent or one of its
devices has an error, a clock far off or data that differ. The same definitions as
``sync.server.web.figures`` (``silent``, ``clock_far_off``), which import them from here.
"""

from __future__ import annotations

from typing import Any

from pzh_core.china_tz import china_day
from sync.server import period_store, set_aside
from sync.server.sql_base import SqlBase, _code, _device, _station
from sync.server.storage import Device, Page, Scope

DAY_MS = 24 * 3600 * 1000
SILENT_DAYS = 7
SKEW_LIMIT_MS = 3600 * 1000  # a PC clock off by more than an hour is flagged


# What can be wrong with a device in use, each once (``d``: srv_devices): its condition and
# the parameters it takes, for the flags' columns and the devices' order alike.
def _problems(now_ms: int) -> list[tuple[str, str, list[Any]]]:
    return [
        ("silent", "d.last_sync_ms IS NULL OR d.last_sync_ms < ?", [now_ms - SILENT_DAYS * DAY_MS]),
        ("error", "d.last_error <> ''", []),
        ("clock_off", "d.skew_ms > ? OR d.skew_ms < ?", [SKEW_LIMIT_MS, -SKEW_LIMIT_MS]),
        ("differs", "d.digest_ok = 0", []),
    ]


def _flags(now_ms: int, today: str) -> tuple[str, list[Any]]:
    """One row per device in use with its station and what is wrong with it (0/1 columns)."""
    problems = _problems(now_ms)
    sql = (
        "SELECT d.id, d.station_id, s.county, s.name AS station_name, d.name, d.last_sync_ms,"
        + "".join(f" CASE WHEN {cond} THEN 1 ELSE 0 END AS {name}," for name, cond, _ in problems)
        + " CASE WHEN d.changes_day = ? THEN d.changes_today ELSE 0 END AS today"
        " FROM srv_devices d JOIN srv_stations s ON s.id = d.station_id"
        " WHERE d.revoked_ms IS NULL"
    )
    return sql, [*(p for *_, params in problems for p in params), today]


def _station_sql(scope: Scope, now_ms: int, today: str) -> tuple[str, list[Any]]:
    """One row per station of ``scope``: its devices in use, latest sync, changes today, devices
    with a problem (error, clock, digest), and whether it is silent / needs attention."""
    flags, params = _flags(now_ms, today)
    where, wparams = scope.where()
    sql = (
        f"WITH f AS ({flags}) SELECT s.id, s.name, s.county, s.created_ms,"
        " COUNT(f.id) AS devices, MAX(f.last_sync_ms) AS last_sync_ms,"
        " COALESCE(SUM(f.today), 0) AS changes_today,"
        " COALESCE(SUM(CASE WHEN f.error + f.clock_off + f.differs > 0 THEN 1 ELSE 0 END), 0)"
        " AS problems,"
        " COALESCE(SUM(f.silent), 0) AS silent_devices"
        " FROM srv_stations s LEFT JOIN f ON f.station_id = s.id"
        f" WHERE {where} GROUP BY s.id, s.name, s.county, s.created_ms"
    )
    outer = (
        "SELECT x.*, CASE WHEN x.last_sync_ms IS NULL OR x.last_sync_ms < ? THEN 1 ELSE 0 END"
        f" AS silent FROM ({sql}) x"
    )
    return outer, [now_ms - SILENT_DAYS * DAY_MS, *params, *wparams]


class SqlHealth(SqlBase):
    """The health lists of :class:`sync.server.sql_storage.SqlStorage`."""

    def _today(self) -> str:
        return china_day(self.now())

    def health_by_county(self, scope: Scope) -> list[dict[str, Any]]:
        """Per county of ``scope``: stations, silent stations, stations needing attention,
        devices in use, devices silent / with an error / clock off / data differing / needing
        attention, changes received today; by county."""
        now = self.now()
        stations, params = _station_sql(scope, now, self._today())
        flags, fparams = _flags(now, self._today())
        where, wparams = scope.where()
        sql = (
            f"WITH st AS ({stations}), f AS ({flags} AND {where}),"
            " sc AS (SELECT county, COUNT(*) AS stations, SUM(silent) AS silent_stations,"
            " SUM(CASE WHEN silent = 1 OR problems > 0 THEN 1 ELSE 0 END) AS attention_stations,"
            " SUM(changes_today) AS changes_today FROM st GROUP BY county),"
            " dc AS (SELECT county, COUNT(*) AS devices, SUM(silent) AS silent_devices,"
            " SUM(error) AS errors, SUM(clock_off) AS clocks_off, SUM(differs) AS differing,"
            " SUM(CASE WHEN silent + error + clock_off + differs > 0 THEN 1 ELSE 0 END)"
            " AS attention_devices FROM f GROUP BY county)"
            " SELECT sc.*, COALESCE(dc.devices, 0) AS devices,"
            " COALESCE(dc.silent_devices, 0) AS silent_devices, COALESCE(dc.errors, 0) AS errors,"
            " COALESCE(dc.clocks_off, 0) AS clocks_off, COALESCE(dc.differing, 0) AS differing,"
            " COALESCE(dc.attention_devices, 0) AS attention_devices"
            " FROM sc LEFT JOIN dc ON dc.county = sc.county ORDER BY sc.county"
        )
        return [dict(r) for r in self._all(sql, [*params, *fparams, *wparams])]

    def health_stations(self, scope: Scope, *, limit: int, offset: int) -> Page:
        """The stations of ``scope``, those needing attention first (silent ones before those
        with a device in trouble), then by county and name; one page and the total."""
        sql, params = _station_sql(scope, self.now(), self._today())
        order = " ORDER BY silent DESC, CASE WHEN problems > 0 THEN 0 ELSE 1 END, county, name, id"
        rows = self._all(f"{sql}{order} LIMIT ? OFFSET ?", [*params, limit, offset])
        where, wparams = scope.where()
        total = self.engine.scalar(f"SELECT COUNT(*) FROM srv_stations s WHERE {where}", wparams)
        return Page([dict(r) for r in rows], int(total or 0))

    def health_devices(self, scope: Scope, *, limit: int, offset: int) -> Page:
        """Every device of ``scope`` (revoked ones last), those needing attention first, then
        by county, station and name; one page (:class:`Device` rows with the station's name and
        county) and the total."""
        now = self.now()
        where, wparams = scope.where()
        problems = _problems(now)
        attention = " OR ".join(f"({cond})" for _, cond, _ in problems)
        sql = (
            "SELECT d.*, s.name AS station_name, s.county FROM srv_devices d"
            f" JOIN srv_stations s ON s.id = d.station_id WHERE {where}"
            " ORDER BY CASE WHEN d.revoked_ms IS NULL THEN 0 ELSE 1 END,"
            f" CASE WHEN {attention} THEN 0 ELSE 1 END,"
            " s.county, s.name, d.station_id, d.name, d.id LIMIT ? OFFSET ?"
        )
        params = [*wparams, *(p for *_, ps in problems for p in ps), limit, offset]
        rows = self._all(sql, params)
        total = self.engine.scalar(
            f"SELECT COUNT(*) FROM srv_devices d JOIN srv_stations s ON s.id = d.station_id"
            f" WHERE {where}",
            wparams,
        )
        out = [
            {"device": _device({k: r[k] for k in r.keys() if k not in ("station_name", "county")}),
             "station_name": r["station_name"], "county": r["county"]}
            for r in rows
        ]  # fmt: skip
        return Page(out, int(total or 0))

    def devices_of(self, station_ids: list[str]) -> list[Device]:
        """Every device of these stations (to tell their names apart)."""
        if not station_ids:
            return []
        marks = ",".join("?" * len(station_ids))
        rows = self._all(
            f"SELECT * FROM srv_devices WHERE station_id IN ({marks}) ORDER BY created_ms",
            station_ids,
        )
        return [_device(r) for r in rows]

    def set_aside_page(self, scope: Scope, *, limit: int, offset: int) -> Page:
        """The set-aside changes of ``scope``'s stations, newest first: one page, the total."""
        where, params = scope.where()
        rows, total = self.engine.read(lambda c: set_aside.page(c, where, params, limit, offset))
        return Page(rows, total)

    def stations_page(self, scope: Scope, *, limit: int, offset: int) -> Page:
        """The stations of ``scope`` by county and name: one page and the total."""
        where, params = scope.where()
        rows = self._all(
            f"SELECT * FROM srv_stations s WHERE {where} ORDER BY county, name, id"
            " LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        total = self.engine.scalar(f"SELECT COUNT(*) FROM srv_stations s WHERE {where}", params)
        return Page([_station(r) for r in rows], int(total or 0))

    def codes_page(self, scope: Scope, *, limit: int, offset: int) -> Page:
        """The enrollment codes of ``scope``'s stations, newest first: one page and the total."""
        where, params = scope.where()
        sql = "FROM srv_codes c JOIN srv_stations s ON s.id = c.station_id WHERE " + where
        rows = self._all(
            f"SELECT c.* {sql} ORDER BY c.created_ms DESC, c.code LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        total = self.engine.scalar(f"SELECT COUNT(*) {sql}", params)
        return Page([_code(r) for r in rows], int(total or 0))

    def late_page(self, scope: Scope, *, limit: int, offset: int) -> Page:
        """The pending late changes of ``scope``'s stations, newest first (with the station's
        name): one page and the total."""
        where, params = scope.where()
        rows, total = self.engine.read(
            lambda c: period_store.late_page(c, where, params, limit, offset)
        )
        return Page(rows, total)

    def late_change(self, late_id: str) -> dict[str, Any] | None:
        """One late change (with its ``station_id``), or None."""
        return self.engine.read(lambda c: period_store.current_row(c, "late_changes", late_id))

    def period_counts(
        self, scope: Scope, year: int, due: list[str], done: tuple[str, ...]
    ) -> list[dict[str, Any]]:
        """Per county of ``scope``: stations, stations with a ``due`` month not ``done``, and the
        year's periods in each state (``period_store.county_counts``)."""
        where, params = scope.where()
        return self.engine.read(
            lambda c: period_store.county_counts(c, where, params, year, due, done)
        )
