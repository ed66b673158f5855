"""A province's sync traffic against real server processes on loopback (issue 16).

    python benchmarks/bench_load.py [--quick] [--stations 4000] [--engine sqlite|postgres]
        [--processes 1] [--cycle 300] [--duration 300] [--peak 300]

Every station has two devices (4,000 stations: 8,000 devices), each syncing once per ``--cycle``
seconds at its own moment (open loop: a slow answer does not slow the arrivals). A sync is one
request that pushes and pulls: 85 % push nothing, 14 % push 1–10 activities, 1 % a burst of 100.
Then the month-end peak: every device syncs once within ``--peak`` seconds pushing 30 rows (the
issue's "every station within an hour", compressed). Reported per phase: requests/s held, p50 /
p95 / p99 latency, rows/s, the server's CPU per 1,000 requests (PostgreSQL's own processes
apart) and the load generator's CPU apart (one asyncio process, sharing the 2 cores), then the
database size. ``--quick``: 400 stations, 60 s steady, 60 s peak (a smoke run).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import httpx  # noqa: E402
from bench_server import cpu_seconds, register, start_server  # noqa: E402

from pzh_core import hlc  # noqa: E402


def rows_for(kind: str, rng: random.Random) -> int:
    if kind == "peak":
        return 30
    x = rng.random()
    return 0 if x < 0.85 else (rng.randint(1, 10) if x < 0.99 else 100)


def body(dev: dict, n: int, seq: int) -> tuple[bytes, int]:
    now = hlc.wall_ms()
    push = [
        {
            "seq": seq + i + 1,
            "t": "activities",
            "id": str(uuid.uuid4()),
            "s": hlc.encode(now, (seq + i + 1) % 10_000, dev["id"]),
            "f": {
                "title": "广场舞展演",
                "date": "2026-11-28",
                "start_time": "19:30",
                "kind": "performance",
                "delivery": "station",
                "attendance": 80 + i,
                "target_groups": ["elderly"],
            },
        }
        for i in range(n)
    ]
    raw = json.dumps(
        {"protocol": 1, "client_time_ms": now, "push": push, "cursor": dev["cursor"]},
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    return gzip.compress(raw, 5), seq + n


async def one_sync(client: httpx.AsyncClient, dev: dict, n: int, out: dict) -> None:
    data, seq = body(dev, n, dev["seq"])
    headers = {
        "Authorization": f"Bearer {dev['token']}",
        "Content-Type": "application/json",
        "Content-Encoding": "gzip",
        "Accept-Encoding": "gzip",
    }
    t = time.perf_counter()
    try:
        r = await client.post(f"{dev['url']}/v1/sync", content=data, headers=headers)
    except httpx.HTTPError:
        out["errors"] += 1
        return
    out["latencies"].append(time.perf_counter() - t)
    if r.status_code != 200:
        out["errors"] += 1
        return
    dev["seq"], dev["cursor"] = seq, r.json()["cursor"]
    out["rows"] += n


async def phase(devs: list[dict], seconds: float, kind: str, rng: random.Random) -> dict:
    """Each device syncs at a random moment within each ``cycle`` (steady) or once (peak)."""
    out = {"latencies": [], "rows": 0, "errors": 0}
    limits = httpx.Limits(max_connections=500, max_keepalive_connections=500)
    starts = sorted((rng.uniform(0, seconds), i) for i in range(len(devs)))
    async with httpx.AsyncClient(limits=limits, timeout=120) as client:
        t0 = time.perf_counter()
        tasks = []
        for at, i in starts:
            delay = at - (time.perf_counter() - t0)
            if delay > 0:
                await asyncio.sleep(delay)
            dev = devs[i]
            tasks.append(asyncio.create_task(one_sync(client, dev, rows_for(kind, rng), out)))
        await asyncio.gather(*tasks)
        out["wall"] = time.perf_counter() - t0
    return out


def pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] * 1000 if values else 0.0


def summary(name: str, out: dict, server_cpu: float, db_cpu: float, gen_cpu: float) -> str:
    lat = sorted(out["latencies"])
    n = len(lat)
    per_k = 1000 / n if n else 0
    p50 = statistics.median(lat) * 1000 if lat else 0
    return (
        f"| {name} | {n:,} | {n / out['wall']:.1f} | {p50:.0f}"
        f" / {pct(lat, 0.95):.0f} / {pct(lat, 0.99):.0f} | {out['rows'] / out['wall']:.0f}"
        f" | {server_cpu * per_k:.1f} | {db_cpu * per_k:.1f} | {gen_cpu * per_k:.1f}"
        f" | {out['errors']} |"
    )


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--stations", type=int)
    ap.add_argument("--engine", choices=("sqlite", "postgres"), default="sqlite")
    ap.add_argument("--processes", type=int, default=1)
    ap.add_argument("--cycle", type=float, default=300.0, help="seconds between a device's syncs")
    ap.add_argument("--duration", type=float, help="seconds of steady load (default: one cycle)")
    ap.add_argument("--peak", type=float, help="seconds in which every device syncs at month end")
    args = ap.parse_args(argv)
    stations = args.stations or (400 if args.quick else 4000)
    duration = args.duration or (60.0 if args.quick else args.cycle)
    peak = args.peak or (60.0 if args.quick else 300.0)
    rng = random.Random(16)
    cluster = None
    database = None
    procs = []
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        try:
            if args.engine == "postgres":
                from tests.pg_cluster import Cluster

                cluster = Cluster(durable=True)
                database = cluster.new_database()
            t0 = time.perf_counter()
            devs = register(data_dir, stations * 2, 2, database)
            enrolled = time.perf_counter() - t0
            urls = []
            for _ in range(args.processes):
                proc, url = start_server(data_dir, database)
                procs.append(proc)
                urls.append(url)
            for i, d in enumerate(devs):
                d.update(url=urls[i % len(urls)], seq=0, cursor=0)
            # Steady: the devices a cycle reaches within ``duration``.
            share = min(1.0, duration / args.cycle)
            steady_devs = rng.sample(devs, max(1, int(len(devs) * share)))
            for name, group, seconds, kind in (
                (f"steady ({len(devs):,} devices, one sync per {args.cycle:.0f} s)", steady_devs,
                 duration, "steady"),
                (f"month-end peak (every device within {peak:.0f} s, 30 rows)", devs, peak,
                 "peak"),
            ):  # fmt: skip
                cpu0 = sum(cpu_seconds(p.pid) for p in procs)
                db0 = cluster.cpu_seconds() if cluster else 0.0
                gen0 = resource.getrusage(resource.RUSAGE_SELF)
                out = asyncio.run(phase(group, seconds, kind, rng))
                gen1 = resource.getrusage(resource.RUSAGE_SELF)
                lines.append(
                    summary(
                        name,
                        out,
                        sum(cpu_seconds(p.pid) for p in procs) - cpu0,
                        (cluster.cpu_seconds() - db0) if cluster else 0.0,
                        gen1.ru_utime + gen1.ru_stime - gen0.ru_utime - gen0.ru_stime,
                    )
                )
            if database:
                import psycopg

                with psycopg.connect(database) as c:
                    size = c.execute("SELECT pg_database_size(current_database())").fetchone()[0]
            else:
                size = sum(f.stat().st_size for f in data_dir.glob("server.sqlite3*"))
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(timeout=30)
            if cluster is not None:
                cluster.stop()
    print(
        f"bench_load: {stations:,} stations, {len(devs):,} devices on {args.engine} with"
        f" {args.processes} server process(es), {os.cpu_count()} CPUs; enrolled in"
        f" {enrolled:.0f} s; database afterwards {size / 1e6:.0f} MB\n"
    )
    print(
        "| phase | requests | requests/s | p50 / p95 / p99 ms | rows/s"
        " | server CPU-s per 1,000 req | PostgreSQL CPU-s per 1,000 | load generator CPU-s"
        " per 1,000 | errors |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
