"""Helpers of the sync tests: station PCs (real SQLite files) talking to a real server on
loopback."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pzh_core import hlc, schema, stored_clocks
from pzh_station.services.station import StationProfile, StationService
from pzh_station.store import Store
from pzh_station.sync_client import RetryPolicy, SyncClient, SyncResult

FAST_RETRY = RetryPolicy(attempts=4, base_s=0.01, max_s=0.05)
YEAR_MS = 365 * 24 * 3600 * 1000


class PC:
    """One station PC: its own data dir and store, and a sync client."""

    def __init__(self, root: Path, name: str, *, retry: RetryPolicy = FAST_RETRY) -> None:
        self.name = name
        self.data_dir = root / name
        self.store = Store(self.data_dir / "station.sqlite3")
        self.retry = retry

    def client(self, **kw) -> SyncClient:
        return SyncClient(self.store, retry=kw.pop("retry", self.retry), **kw)

    def set_up_offline(self, name: str = "测试镇综合文化站") -> None:
        """First run without a server: the station gets a local id."""
        from pzh_station.services.context import Services

        StationService(Services(self.data_dir, self.store, "李明")).save_profile(
            StationProfile(name=name, county="仁和区", population=20_000, staff=["李明", "王芳"])
        )

    def enroll(self, url: str, code: str):
        return self.client().enroll(url, code)

    def sync(self, **kw) -> SyncResult:
        return self.client(**kw).sync()

    def skew(self, ms: int) -> None:
        """This PC's clock is wrong by ``ms`` (a PC that says 2009 or 2035)."""
        c = self.store.clock
        self.store.clock = hlc.HybridClock(
            c.device, last=c.last, offset_ms=c.offset_ms, wall=lambda: hlc.wall_ms() + ms
        )

    def snapshot(self) -> dict[str, dict[str, dict]]:
        """Every synced row (its fields and station), table by table: what must converge."""
        out: dict[str, dict[str, dict]] = {}
        for table, fields in schema.TABLES.items():
            rows = self.store.query(f"SELECT id, station_id, {', '.join(fields)} FROM {table}")
            out[table] = {r["id"]: r for r in rows}
        return out

    def pending(self) -> int:
        acked = int(self.store.meta("sync_acked_seq") or 0)
        return self.store.conn.execute(
            "SELECT count(*) FROM changes WHERE seq > ?", (acked,)
        ).fetchone()[0]


def server_rows(server, table: str, station_id: str) -> dict[str, dict]:
    """The server's replica of a table for one station (read from its SQLite file)."""
    from sync.server.app import DB_NAME

    conn = sqlite3.connect(server.data_dir / DB_NAME)
    conn.row_factory = sqlite3.Row
    try:
        rows = conn.execute(f"SELECT * FROM {table} WHERE station_id = ?", (station_id,)).fetchall()
        return {r["id"]: dict(r) for r in rows}
    finally:
        conn.close()


def server_feed_count(server, origin: str | None = None) -> int:
    from sync.server.app import DB_NAME

    conn = sqlite3.connect(server.data_dir / DB_NAME)
    try:
        if origin:
            return conn.execute(
                "SELECT count(*) FROM srv_feed WHERE origin = ?", (origin,)
            ).fetchone()[0]
        return conn.execute("SELECT count(*) FROM srv_feed").fetchone()[0]
    finally:
        conn.close()


def field_stamps(store: Store, table: str, row_id: str) -> dict[str, str]:
    row = store.conn.execute(f"SELECT clocks FROM {table} WHERE id = ?", (row_id,)).fetchone()
    return stored_clocks.decode(table, row[0]) if row else {}


def logged_values(store: Store) -> list[dict]:
    """Every value the file's logs say: its change log, the changes it received (as the history
    reads them) and its set-aside list."""
    from pzh_station.store import changelog

    pulled = store.conn.execute("SELECT DISTINCT tbl, row_id FROM received").fetchall()
    return (
        [e["fields"] for e in changelog.entries(store)]
        + [e["fields"] for t, r in pulled for e in changelog.received(store, t, r)]
        + [r["fields"] for r in store.query("SELECT fields FROM set_aside")]
    )
