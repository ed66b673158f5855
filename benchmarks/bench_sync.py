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
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


def diverged_table(server, tmp: Path, station: str, n_rows: int) -> dict[str, Any]:
    """A PC holding ``n_rows`` activities silently loses one row (its file diverged); its next
    sync over 2G detects it by the digest and repairs the differing bucket only. Then one of its
    values changes under its stamp (a hand edit; the app starts again): the digest of values finds
    it and the server's value comes back the same way.

    :returns: the figures: requests, bytes, seconds, the floor, and a blind full download's bytes
        (the value case's under ``"values"``).
    """
    from pzh_station.store import digest_rows

    fast = FaultProxy(host_port(server.url))
    slow = FaultProxy(host_port(server.url), bandwidth_bps=BANDWIDTH_BPS, rtt_ms=RTT_MS)
    rng = random.Random(20_000)
    a, b = (Store(tmp / name / "station.sqlite3") for name in ("big-a", "big-b"))
    ca, cb = SyncClient(a), SyncClient(b)
    ca.enroll(fast.url, server.issue_code(station))
    cb.enroll(fast.url, server.issue_code(station))
    today = dt.date.today()
    with a.transaction():
        ids = [
            a.write("activities", None, demo_activities.make(rng, today, "李明").fields())
            for _ in range(n_rows)
        ]
    ca.sync()
    fast.reset_stats()
    cb.sync()  # B pulls the whole table: what a blind full download costs
    full_bytes = fast.stats.total
    t0 = time.perf_counter()
    digest_rows.table_digests(b).roots()
    digest_ms = (time.perf_counter() - t0) * 1000
    lost, edited = ids[n_rows // 2], ids[n_rows // 3]
    row_bytes = len(str(b.get("activities", lost)).encode("utf-8"))
    with b.transaction():
        b.conn.execute("DELETE FROM activities WHERE id = ?", (lost,))
    b.set_meta("sync_server_url", slow.url)
    out = _repair_over_2g(slow, cb, row_bytes, lambda: b.get("activities", lost) is not None)
    title = b.get("activities", edited)["title"]
    with b.transaction():
        b.conn.execute("UPDATE activities SET title = '手改的标题' WHERE id = ?", (edited,))
    b.close()
    b = Store(tmp / "big-b" / "station.sqlite3")  # the app starts again
    cb = SyncClient(b)
    out["values"] = _repair_over_2g(
        slow, cb, row_bytes, lambda: b.get("activities", edited)["title"] == title
    )
    for store in (a, b):
        store.close()
    fast.close()
    slow.close()
    full = {"full_bytes": full_bytes, "full_seconds": full_bytes * 8 / BANDWIDTH_BPS}
    return {"rows": n_rows, "digest_ms": digest_ms, **full, **out}


def _repair_over_2g(
    slow: FaultProxy, client: SyncClient, row_bytes: int, repaired: Callable[[], bool]
) -> dict[str, Any]:
    """One sync of a diverged PC over 2G: its figures."""
    slow.reset_stats()
    start = time.perf_counter()
    result = client.sync()
    seconds = time.perf_counter() - start
    floor = (row_bytes + 600) * 8 / BANDWIDTH_BPS + RTT_MS / 1000  # one exchange carrying the row
    return {
        "requests": result.requests,
        "bytes": slow.stats.total,
        "seconds": seconds,
        "floor": floor,
        "buckets": sum(c.buckets for c in result.checks),
        "repaired": repaired() and result.verified,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    quick = parser.parse_args().quick
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
        for st in stores:
            st.set_meta("sync_server_url", slow.url)
        for i, s in enumerate(stores):
            record_day(s, rng, ["李明", "王芳", "张强"][i], existing)
        slow_s, slow_requests, slow_bytes = run_day(slow, clients)
        floor = slow_bytes * 8 / BANDWIDTH_BPS + slow_requests * RTT_MS / 1000
        converged = all(
            s.conn.execute("SELECT count(*) FROM activities").fetchone()[0]
            == stores[0].conn.execute("SELECT count(*) FROM activities").fetchone()[0]
            for s in stores
        )
        big_station = server.create_station("大表测试站", "仁和区")
        big = diverged_table(server, Path(tmp), big_station, 2_000 if quick else 20_000)
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
    print(f"| idle sync verified by digest (no extra request) | {idle.verified} | True |")
    n = big["rows"]
    for case, fig in (("one row lost", big), ("one value changed under its stamp", big["values"])):
        print(
            f"| diverged table ({n:,} rows, {case} on a PC) repaired and verified |"
            f" {fig['repaired']} | True |"
        )
        print(
            f"| its sync over 64 kbit/s, 500 ms: requests (sync, verify, fetch, re-check) |"
            f" {fig['requests']} | |"
        )
        print(f"| its sync: bytes on the wire, both ways | {fig['bytes']:,} | |")
        print(f"| its sync: seconds | {fig['seconds']:.1f} | |")
        print(
            f"| floor: one row and one idle exchange ÷ 64 kbit/s + 1 round trip |"
            f" {fig['floor']:.1f} | |"
        )
        print(f"| ratio to floor | {fig['seconds'] / fig['floor']:.1f} | |")
        print(f"| buckets fetched (of 256) | {fig['buckets']} | |")
    print(
        f"| blind full download of the table instead: bytes (seconds at 64 kbit/s) |"
        f" {big['full_bytes']:,} ({big['full_seconds']:.0f} s) | |"
    )
    print(
        f"| the PC's digests over {n:,} rows (stamps and values): ms | {big['digest_ms']:.0f} | |"
    )
    print(f"| load average at the end | {' '.join(f'{x:.1f}' for x in os.getloadavg())} | |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
