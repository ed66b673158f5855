"""Compact clocks (issue 16): bytes of field clocks per row and the size of a desk file and a
server file holding 50,000 activities, with the clocks stored compact (``pzh_core.stored_clocks``)
and, on a copy of the same file, as the JSON they used to be (then VACUUMed).

``python benchmarks/bench_clocks.py [--rows N] [--quick]``

The desk file is written through ``Store.write`` (each activity with its change-log entry, the
demo generator's activities over ten years); the server file through ``SqlStorage.push`` in
batches of 500 (SQLite). Where SQLite has the ``dbstat`` table, the biggest tables and indexes
are listed, so what remains of the size is visible.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pzh_core import stored_clocks  # noqa: E402
from pzh_station.services import demo_activities  # noqa: E402

MB = 1_000_000


def _activities(n: int):
    rng = random.Random(50_000)
    today = dt.date.today()
    for i in range(n):
        act = demo_activities.make(rng, today - dt.timedelta(days=rng.randrange(3650)), "李明")
        if i % 97 == 0:
            act.notes = f"与派出所合办，第{i}期"
        yield act.fields()


def build_desk(path: Path, n: int) -> None:
    from pzh_station.store import Store

    store = Store(path)
    try:
        store.set_meta("station_id", "5a1e0000-0000-4000-8000-000000000001")
        store.operator = "李明"
        with store.transaction():
            for fields in _activities(n):
                store.write("activities", None, fields)
    finally:
        store.close()


def build_server(path: Path, n: int) -> None:
    from sync.server import admin, auth
    from sync.server.sql_storage import open_storage

    storage = open_storage(path)
    try:
        station = admin.create_station(storage, "基准测试站", "仁和区").id
        code = admin.issue_code(storage, station).code
        dev, _ = storage.enroll(
            code, token_hash=auth.hash_token("t"), device_name="电脑", app_version="1",
            device_id=None,
        )  # fmt: skip
        clock_ms = 1_790_000_000_000
        batch: list[dict] = []
        for seq, fields in enumerate(_activities(n), start=1):
            stamp = f"{clock_ms + seq:013d}.0000.{dev.id}"
            batch.append(
                {"seq": seq, "t": "activities", "id": f"act-{seq}", "s": stamp, "f": fields}
            )
            if len(batch) == 500:
                storage.push(dev, batch, client_time_ms=None)
                batch = []
        if batch:
            storage.push(dev, batch, client_time_ms=None)
    finally:
        storage.close()


def as_json(path: Path, out: Path) -> None:
    """A copy of the file with every ``clocks`` as the JSON of before (what version 11 of the
    desk, version 9 of the server stored), VACUUMed."""
    shutil.copy(path, out)
    conn = sqlite3.connect(out)
    for (table,) in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'").fetchall():
        cols = {c[1] for c in conn.execute(f'PRAGMA table_info("{table}")')}
        if "clocks" not in cols:
            continue
        rows = conn.execute(f'SELECT id, clocks FROM "{table}"').fetchall()
        conn.executemany(
            f'UPDATE "{table}" SET clocks = ? WHERE id = ?',
            [(json.dumps(stored_clocks.decode(table, c), sort_keys=True), i) for i, c in rows],
        )
    conn.commit()
    conn.execute("VACUUM")
    conn.close()


def measure(path: Path) -> dict:
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        clocks, meta = conn.execute(
            "SELECT avg(length(clocks)), avg(length(clocks) + length(updated_at)"
            " + length(device_id)) FROM activities"
        ).fetchone()
        try:
            parts = conn.execute(
                "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT 7"
            ).fetchall()
        except sqlite3.OperationalError:
            parts = []
    finally:
        conn.close()
    return {"size": path.stat().st_size, "clocks": clocks, "meta": meta, "parts": parts}


def report(name: str, compact: dict, legacy: dict, n: int) -> None:
    print(f"\n### {name}, {n:,} activities\n")
    print("| | JSON clocks (before) | compact clocks (now) |")
    print("|---|---|---|")
    print(f"| `clocks` bytes per activity | {legacy['clocks']:.0f} | {compact['clocks']:.0f} |")
    print(
        f"| clock overhead per activity (`clocks` + `updated_at` + `device_id`) |"
        f" {legacy['meta']:.0f} | {compact['meta']:.0f} |"
    )
    print(f"| file size | {legacy['size'] / MB:.1f} MB | {compact['size'] / MB:.1f} MB |")
    if compact["parts"]:
        print("\nWhere the compact file's bytes are (dbstat):\n")
        print("| table or index | MB |")
        print("|---|---|")
        for part, size in compact["parts"]:
            print(f"| {part} | {size / MB:.1f} |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--quick", action="store_true", help="5,000 rows")
    args = ap.parse_args()
    n = 5_000 if args.quick else args.rows
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        build_desk(d / "station.sqlite3", n)
        as_json(d / "station.sqlite3", d / "station-json.sqlite3")
        report("Desk file", measure(d / "station.sqlite3"), measure(d / "station-json.sqlite3"), n)
        build_server(d / "server.sqlite3", n)
        as_json(d / "server.sqlite3", d / "server-json.sqlite3")
        report(
            "Server file (SQLite)",
            measure(d / "server.sqlite3"),
            measure(d / "server-json.sqlite3"),
            n,
        )


if __name__ == "__main__":
    main()
