"""Sync on the wire: an idle sync, and a typical day (300 changed rows from three PCs), counted
byte for byte between real clients and the real server; then the same day over an emulated 2G
link (64 kbit/s, 500 ms round trip) against the floor bytes ÷ bandwidth + round trips.

``python benchmarks/bench_sync.py [--quick]``

Bytes are everything the TCP connections carried (HTTP headers and gzip bodies, both ways),
counted by the test proxy (``tests/fault_proxy.py``) between the clients and a real
``pzh-sync-server`` on loopback. Not counted: TCP/IP headers and handshakes, TLS (plain HTTP on
loopback; see docs/benchmarks.md).

The day: each PC records 100 rows — 35 activities, 30 people, 25 attendance marks (a class
session), 10 edits of existing activities — then the PCs sync in turn (A, B, C, A, B), so every
PC ends with all 300 rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from fault_proxy import FaultProxy  # noqa: E402

from pzh_core import schema  # noqa: E402
from pzh_station.services import demo_activities  # noqa: E402
from pzh_station.store import Store  # noqa: E402
from pzh_station.sync_client import SyncClient, SyncResult  # noqa: E402
from tests.server_fixtures import start_server  # noqa: E402

BANDWIDTH_BPS = 64_000
RTT_MS = 500


def host_port(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)


def record_day(store: Store, rng: random.Random, operator: str, existing: list[str]) -> list[str]:
    """100 rows a station PC might record in a day; returns the new activity ids."""
    today = dt.date.today()
    made = []
    for _ in range(35):
        act = demo_activities.make(rng, today - dt.timedelta(days=rng.randrange(7)), operator)
        made.append(store.write("activities", None, act.fields()))
    people = []
    for i in range(30):
        people.append(
            store.write(
                "people",
                None,
                {
                    "name": rng.choice("张王李赵刘陈杨黄")
                    + rng.choice(["秀英", "建国", "志强", "丽华", "小红"]),
                    "gender": rng.choice(["男", "女"]),
                    "birth_year": rng.randint(1940, 2015),
                    "phone": f"13{rng.randint(100000000, 999999999)}",
                    "village": rng.choice(["大田村", "小田村", "新华村"]),
                    "ethnicity": rng.choice(["汉族", "彝族", "傈僳族"]),
                    "created_by": operator,
                    "notes": "",
                },
            )
        )
        _ = i
    session = str(rng.getrandbits(64))
    for person in people[:25]:
        store.write(
            "attendance",
            schema.det_id("attendance", session, person),
            {
                "session_id": session,
                "class_id": "class-1",
                "person_id": person,
                "mark": rng.choice(["present", "present", "late"]),
                "marked_by": operator,
            },
        )
    for rid in rng.sample(existing, 10) if len(existing) >= 10 else []:
        store.write("activities", rid, {"attendance": rng.randint(20, 400), "notes": "已核对"})
    return made


def run_day(proxy: FaultProxy, pcs: list[SyncClient]) -> tuple[float, int, int]:
    """Sync A, B, C, A, B. :returns: (seconds, requests, bytes on the wire)."""
    proxy.reset_stats()
    start = time.perf_counter()
    requests = 0
    for client in (pcs[0], pcs[1], pcs[2], pcs[0], pcs[1]):
        requests += client.sync().requests
    return time.perf_counter() - start, requests, proxy.stats.total


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.parse_args()
    rng = random.Random(300)
    with tempfile.TemporaryDirectory() as tmp, start_server(Path(tmp) / "server") as server:
        station = server.create_station("基准测试站", "仁和区")
        fast = FaultProxy(host_port(server.url))
        slow = FaultProxy(host_port(server.url), bandwidth_bps=BANDWIDTH_BPS, rtt_ms=RTT_MS)
        stores = [
            Store(Path(tmp) / name / "station.sqlite3") for name in ("desk", "laptop", "village")
        ]
        clients = [SyncClient(s) for s in stores]
        for c in clients:
            c.enroll(fast.url, server.issue_code(station))
        seed_ids = [record_day(stores[0], rng, "李明", [])]
        for c in (*clients, clients[0]):
            c.sync()

        # Idle: nothing to send, nothing new.
        fast.reset_stats()
        idle: SyncResult = clients[0].sync()
        idle_bytes = fast.stats.total
        idle_up, idle_down = fast.stats.bytes_up, fast.stats.bytes_down

        # A typical day, on a fast link (bytes and requests).
        existing = seed_ids[0]
        for i, s in enumerate(stores):
            record_day(s, rng, ["李明", "王芳", "张强"][i], existing)
        fast_s, day_requests, day_bytes = run_day(fast, clients)
        up = fast.stats.bytes_up

        # Another such day over 2G (time against the floor).
        for c in clients:
            c.store.set_meta("sync_server_url", slow.url)
        for i, s in enumerate(stores):
            record_day(s, rng, ["李明", "王芳", "张强"][i], existing)
        slow_s, slow_requests, slow_bytes = run_day(slow, clients)
        floor = slow_bytes * 8 / BANDWIDTH_BPS + slow_requests * RTT_MS / 1000
        converged = all(
            s.conn.execute("SELECT count(*) FROM activities").fetchone()[0]
            == stores[0].conn.execute("SELECT count(*) FROM activities").fetchone()[0]
            for s in stores
        )
    rows = 300
    print("| figure | value | target |")
    print("|---|---|---|")
    print(f"| idle sync: requests | {idle.requests} | 1 |")
    print(
        f"| idle sync: bytes on the wire (up + down) | {idle_bytes} ({idle_up} + {idle_down})"
        f" | ≤ 1,536 |"
    )
    print(f"| day (300 rows, 3 PCs, syncs A B C A B): requests | {day_requests} | |")
    print(f"| day: bytes on the wire, all PCs, both ways | {day_bytes:,} | |")
    print(
        f"| day: bytes per changed row, upload (each row pushed once) | {up / rows:.0f} | ≤ 150 |"
    )
    print(
        f"| day: bytes per row delivered (push + pull to the 2 other PCs = 900 row transfers)"
        f" | {day_bytes / (3 * rows):.0f} | ≤ 150 |"
    )
    print(f"| day: bytes per changed row, all traffic ÷ 300 | {day_bytes / rows:.0f} | |")
    print(f"| day on loopback: seconds | {fast_s:.2f} | |")
    print(f"| day over 64 kbit/s, 500 ms RTT: seconds | {slow_s:.1f} | ≤ 2 × floor |")
    print(
        f"| floor: {slow_bytes:,} B ÷ 64 kbit/s + {slow_requests} round trips × 0.5 s |"
        f" {floor:.1f} | |"
    )
    print(f"| ratio to floor | {slow_s / floor:.2f} | ≤ 2.0 |")
    print(f"| all PCs converged | {converged} | True |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
