"""A province's sync traffic against real server processes on loopback (issue 16).

    python benchmarks/bench_load.py [--quick] [--stations 4000] [--engine sqlite|postgres]
        [--processes 1] [--cycle 300] [--duration 300] [--peak 300]
        [--data-dir DIR | --database postgresql://…]

Every station has two devices (4,000 stations: 8,000 devices), each syncing once per ``--cycle``
seconds at its own moment (open loop: a slow answer does not slow the arrivals). A sync is one
request that pushes and pulls: 85 % push nothing, 14 % push 1–10 activities, 1 % a burst of 100.
Then the month-end peak: every device syncs once within ``--peak`` seconds pushing 30 rows (the
issue's "every station within an hour", compressed). Reported per phase: requests/s held, p50 /
p95 / p99 latency, rows/s, the server's CPU per 1,000 requests (PostgreSQL's own processes
apart), the load generator's CPU apart (one asyncio process with a minimal HTTP/1.1 client,
sharing the 2 cores) and the load average, then the database size before and after.

A province's history is loaded by ``bench_province.py`` (``--data-dir`` or ``--database``) and
used here: ``--data-dir DIR`` (SQLite, the file is written to: pass a copy) or ``--database
URL`` (an existing PostgreSQL database). The devices are written straight into ``srv_devices``
(a loaded database's devices get new tokens), not enrolled one code at a time. Without either,
an empty database (a throwaway PostgreSQL cluster with fsync on for ``--engine postgres``).
``--quick``: 400 stations, 60 s steady, 60 s peak (a smoke run).
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

from bench_server import COUNTIES, cpu_seconds, start_server  # noqa: E402

from pzh_core import hlc  # noqa: E402
from sync.server import admin, auth  # noqa: E402
from sync.server.app import DB_NAME  # noqa: E402
from sync.server.sql_storage import open_storage  # noqa: E402


def devices(data_dir: Path, stations: int, per_station: int, database: str | None) -> list[dict]:
    """``per_station`` devices for each of the first ``stations`` stations (made when the
    database has fewer), as enrolment leaves them but written straight into ``srv_devices``
    (enrolling 8,000 PCs one code at a time is not what this measures): a loaded database's
    devices get new tokens and keep their applied seq; missing ones are added. Each starts
    pulling from the feed's head, as a PC that has synced before."""
    storage = open_storage(database or data_dir / DB_NAME)
    try:
        have = storage.engine.scalar("SELECT count(*) FROM srv_stations")
        for i in range(have, stations):
            admin.create_station(storage, f"负载{i:04d}镇综合文化站", COUNTIES[i % len(COUNTIES)])
        ids = [r[0] for r in storage.engine.all("SELECT id FROM srv_stations ORDER BY id")]
        ids = ids[:stations]
        old: dict[str, list[tuple[str, int]]] = {}
        for did, sid, seq in storage.engine.all(
            "SELECT id, station_id, applied_seq FROM srv_devices WHERE revoked_ms IS NULL"
            " ORDER BY station_id, id"
        ):
            old.setdefault(sid, []).append((did, seq))
        head = storage.engine.scalar("SELECT COALESCE(MAX(seq), 0) FROM srv_feed")
        now = storage.now()
        out, rekeyed, added = [], [], []
        for sid in ids:
            kept = old.get(sid, [])[:per_station]
            new = [(uuid.uuid4().hex, 0) for _ in range(per_station - len(kept))]
            for n, (did, seq) in enumerate(kept + new):
                token = auth.new_token()
                if n < len(kept):
                    rekeyed.append((auth.hash_token(token), did))
                else:
                    added.append((did, sid, auth.hash_token(token), f"pc{n}", "bench", now))
                out.append({"id": did, "token": token, "station": sid, "seq": seq, "cursor": head})

        def tx(c) -> None:  # noqa: ANN001
            c.executemany("UPDATE srv_devices SET token_hash = ? WHERE id = ?", rekeyed)
            c.executemany(
                "INSERT INTO srv_devices (id, station_id, token_hash, name, app_version,"
                " created_ms) VALUES (?, ?, ?, ?, ?, ?)",
                added,
            )

        storage.engine.write(tx)
    finally:
        storage.close()
    return out


def database_facts(data_dir: Path, database: str | None) -> dict:
    """The database's size (bytes) and the station-years its activities span."""
    storage = open_storage(database or data_dir / DB_NAME)
    try:
        if database:
            size = storage.engine.scalar("SELECT pg_database_size(current_database())")
        else:
            size = sum(f.stat().st_size for f in data_dir.glob(f"{DB_NAME}*"))
        years = storage.engine.all(
            "SELECT station_id, COUNT(DISTINCT substr(date, 1, 4)) FROM activities"
            " GROUP BY station_id"
        )
        return {"size": size, "station_years": sum(n for _, n in years)}
    finally:
        storage.close()


def postmaster(database: str) -> int:
    """The PostgreSQL server's process id (the parent of this connection's backend)."""
    import psycopg

    with psycopg.connect(database) as c:
        backend = c.info.backend_pid
    return int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])


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


async def post(url: str, path: str, headers: dict[str, str], data: bytes) -> tuple[int, bytes]:
    """One HTTP/1.1 POST on a connection of its own (as a desk's sync every few minutes opens
    one), read to the end of the answer: status and body (gunzipped). A few lines of asyncio
    instead of httpx, whose pool cost milliseconds of CPU per request and grew with the requests
    waiting for it, so that the generator does not crowd the server on the shared cores."""
    host, port = url.split("//", 1)[1].split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        writer.write(
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n{head}"
            f"Content-Length: {len(data)}\r\n\r\n".encode()
            + data
        )
        status = int((await reader.readline()).split()[1])
        fields = {}
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            fields[name.strip().lower()] = value.strip()
        if "content-length" in fields:
            payload = await reader.readexactly(int(fields["content-length"]))
        else:
            payload = await reader.read()  # chunked answers are not expected here
        if fields.get("content-encoding") == "gzip":
            payload = gzip.decompress(payload)
        return status, payload
    finally:
        writer.close()


async def one_sync(limit: asyncio.Semaphore, dev: dict, n: int, out: dict) -> None:
    data, seq = body(dev, n, dev["seq"])
    headers = {
        "Authorization": f"Bearer {dev['token']}",
        "Content-Type": "application/json",
        "Content-Encoding": "gzip",
        "Accept-Encoding": "gzip",
    }
    t = time.perf_counter()
    try:
        async with limit:
            status, answer = await asyncio.wait_for(
                post(dev["url"], "/v1/sync", headers, data), 120
            )
    except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError):
        out["errors"] += 1
        return
    out["latencies"].append(time.perf_counter() - t)
    if status != 200:
        out["errors"] += 1
        return
    dev["seq"], dev["cursor"] = seq, json.loads(answer)["cursor"]
    out["rows"] += n


async def phase(devs: list[dict], seconds: float, kind: str, rng: random.Random) -> dict:
    """Each device syncs at a random moment within each ``cycle`` (steady) or once (peak)."""
    out = {"latencies": [], "rows": 0, "errors": 0}
    limit = asyncio.Semaphore(500)  # connections open at once
    starts = sorted((rng.uniform(0, seconds), i) for i in range(len(devs)))
    t0 = time.perf_counter()
    tasks = []
    for at, i in starts:
        delay = at - (time.perf_counter() - t0)
        if delay > 0:
            await asyncio.sleep(delay)
        dev = devs[i]
        tasks.append(asyncio.create_task(one_sync(limit, dev, rows_for(kind, rng), out)))
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


def run_phases(args: argparse.Namespace, devs: list[dict], procs: list, db_pid: int | None):
    """The steady load, then the month-end peak: one table line each."""
    from tests.pg_cluster import cpu_seconds as db_cpu

    rng = random.Random(16)
    duration = args.duration or (60.0 if args.quick else args.cycle)
    peak = args.peak or (60.0 if args.quick else 300.0)
    share = min(1.0, duration / args.cycle)  # the devices a cycle reaches within ``duration``
    steady_devs = rng.sample(devs, max(1, int(len(devs) * share)))
    lines = []
    for name, group, seconds, kind in (
        (f"steady ({len(devs):,} devices, one sync per {args.cycle:.0f} s, {duration:.0f} s)",
         steady_devs, duration, "steady"),
        (f"month-end peak (every device within {peak:.0f} s, 30 rows)", devs, peak, "peak"),
    ):  # fmt: skip
        cpu0 = sum(cpu_seconds(p.pid) for p in procs)
        db0 = db_cpu(db_pid) if db_pid else 0.0
        gen0 = resource.getrusage(resource.RUSAGE_SELF)
        load0 = os.getloadavg()[0]
        out = asyncio.run(phase(group, seconds, kind, rng))
        gen1 = resource.getrusage(resource.RUSAGE_SELF)
        load = f"{load0:.1f}–{os.getloadavg()[0]:.1f}"
        lines.append(
            summary(
                name,
                out,
                sum(cpu_seconds(p.pid) for p in procs) - cpu0,
                (db_cpu(db_pid) - db0) if db_pid else 0.0,
                gen1.ru_utime + gen1.ru_stime - gen0.ru_utime - gen0.ru_stime,
            )
            + f" {load} |"
        )
    return lines


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--stations", type=int)
    ap.add_argument("--engine", choices=("sqlite", "postgres"), default="sqlite")
    ap.add_argument("--processes", type=int, default=1)
    ap.add_argument("--cycle", type=float, default=300.0, help="seconds between a device's syncs")
    ap.add_argument("--duration", type=float, help="seconds of steady load (default: one cycle)")
    ap.add_argument("--peak", type=float, help="seconds in which every device syncs at month end")
    ap.add_argument(
        "--data-dir",
        type=Path,
        help="a server data dir (e.g. bench_province's, loaded): used, kept",
    )
    ap.add_argument("--database", help="an existing PostgreSQL database (postgresql://…)")
    args = ap.parse_args(argv)
    stations = args.stations or (400 if args.quick else 4000)
    cluster = None
    database = args.database
    procs: list = []
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or Path(tmp)
        try:
            if args.engine == "postgres" and not database:
                from tests.pg_cluster import Cluster

                cluster = Cluster(durable=True)
                database = cluster.new_database()
            t0 = time.perf_counter()
            devs = devices(data_dir, stations, 2, database)
            enrolled = time.perf_counter() - t0
            before = database_facts(data_dir, database)
            urls = []
            for _ in range(args.processes):
                proc, url = start_server(data_dir, database)
                procs.append(proc)
                urls.append(url)
            for i, d in enumerate(devs):
                d["url"] = urls[i % len(urls)]
            lines = run_phases(args, devs, procs, postmaster(database) if database else None)
            after = database_facts(data_dir, database)
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(timeout=30)
            if cluster is not None:
                cluster.stop()
    engine = "postgres" if database else "sqlite"
    per = before["size"] / before["station_years"] / 1e3 if before["station_years"] else 0
    print(
        f"bench_load: {stations:,} stations, {len(devs):,} devices on {engine} with"
        f" {args.processes} server process(es), {os.cpu_count()} CPUs; devices written in"
        f" {enrolled:.0f} s; database before {before['size'] / 1e6:.0f} MB"
        f" ({before['station_years']:,} station-years of activities: {per:.0f} kB each),"
        f" after {after['size'] / 1e6:.0f} MB\n"
    )
    print(
        "| phase | requests | requests/s | p50 / p95 / p99 ms | rows/s"
        " | server CPU-s per 1,000 req | PostgreSQL CPU-s per 1,000 | load generator CPU-s"
        " per 1,000 | errors | load average |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
