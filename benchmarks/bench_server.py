"""City server under load: ingest rate and latency with 200 devices syncing at once on loopback.

Starts a real server (``python -m sync.server serve --port 0``) in a subprocess, registers
stations and devices in its data dir, then lets every device push ``ROUNDS`` gzipped batches of
``BATCH`` new rows at the same time (each request also pulls its station's new changes, as a real
sync does). Prints rows/s, requests/s, p50/p95/max latency, and the bytes of an idle sync.

    python benchmarks/bench_server.py [--devices 200] [--rounds 5] [--batch 100]
        [--postgres | --database postgresql://…] [--processes 2] [--mix activities|station]

``--mix station`` pushes a busy station's records (``bench_province``'s station-year: mostly
attendance marks) instead of new activities only (the widest rows, with the most rules).
``--postgres`` starts a throwaway PostgreSQL cluster (durable settings: fsync on) for the run;
``--processes N`` runs N server processes on the one database, the devices spread over them.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import multiprocessing
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_province  # noqa: E402
import httpx  # noqa: E402

from pzh_core import hlc  # noqa: E402
from sync.server import admin, auth  # noqa: E402
from sync.server.app import DB_NAME  # noqa: E402
from sync.server.sql_storage import open_storage  # noqa: E402

COUNTIES = ["东区", "西区", "仁和区", "米易县", "盐边县"]


def start_server(data_dir: Path, database: str | None = None) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUTF8": "1"}
    if database:
        env["PZH_SYNC_DATABASE"] = database
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sync.server",
            "serve",
            "--port",
            "0",
            "--data-dir",
            str(data_dir),
            "--log-level",
            "warning",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    m = re.search(r"listening on (http://\S+)", line)
    if not m:
        proc.kill()
        raise SystemExit(f"server did not start: {line}")
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()  # type: ignore[union-attr]
    url = m.group(1)
    for _ in range(200):
        try:
            if httpx.get(f"{url}/v1/health").status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    return proc, url


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def register(
    data_dir: Path, devices: int, per_station: int, database: str | None = None
) -> list[dict]:
    storage = open_storage(database or data_dir / DB_NAME)
    out = []
    try:
        station = None
        for i in range(devices):
            if i % per_station == 0:
                station = admin.create_station(
                    storage, f"测试{i // per_station}号文化站", COUNTIES[i % 5]
                )
            code = admin.issue_code(storage, station.id).code
            token = auth.new_token()
            dev, _ = storage.enroll(
                code,
                token_hash=auth.hash_token(token),
                device_name=f"pc{i}",
                app_version="bench",
                device_id=None,
            )
            out.append({"id": dev.id, "token": token, "station": station.id})
    finally:
        storage.close()
    return out


def activity_change(seq: int, device: str, now: int) -> dict:
    """One new activity row as a desk pushes it."""
    return {
        "seq": seq,
        "t": "activities",
        "id": str(uuid.uuid4()),
        "s": hlc.encode(now, seq % 10_000, device),
        "f": {
            "title": "广场舞展演",
            "date": "2026-11-28",
            "start_time": "19:30",
            "place": "文化广场",
            "kind": "performance",
            "delivery": "station",
            "attendance": 80 + seq % 50,
            "target_groups": ["elderly"],
            "organiser": "文化站",
            "created_by": "李明",
        },
    }


def station_changes(device: str, station: str, count: int, now: int, seed: int) -> list[dict]:
    """``count`` changes of a busy station's records, as its desk pushes them: the shape of
    ``bench_province`` (a year: 120 activities, 24 sessions and 288 attendance marks of 2
    classes, 60 volunteer services; 150 people and 20 volunteers once), year after year."""
    rng, out, years = random.Random(seed), [], list(range(2020, 2027))
    rows = bench_province._station_rows(station, years, dt.date(2026, 11, 30), rng)
    for table in ("people", "volunteers", "classes", "sessions", "attendance", "activities",
                  "service_records"):  # fmt: skip
        names = bench_province.COLUMNS[table].split(", ")
        for row in rows[table]:
            fields = dict(zip(names[2:], row[2:], strict=True))
            if table == "activities":
                fields["target_groups"] = json.loads(fields["target_groups"])
                fields["deleted"] = bool(fields["deleted"])
            out.append({"t": table, "id": row[0], "f": fields})
    held_on = {c["id"]: c["f"]["date"] for c in out if c["t"] == "sessions"}

    def entered(c: dict) -> str:  # marks with their session; people and classes first
        f = c["f"]
        return f.get("date") or f.get("join_date") or held_on.get(f.get("session_id", ""), "")

    out.sort(key=entered)
    out = out[:count]
    for seq, c in enumerate(out, 1):
        c["seq"], c["s"] = seq, hlc.encode(now, seq % 10_000, device)
    return out


class Body:
    """A request body gzipped beforehand as the desk sends it (level 6), all but its cursor,
    which a copy of the compressor adds at send time: the load generator shares the server's
    cores, so it compresses 500 rows once, before the timed window, not at every request."""

    def __init__(self, raw: bytes) -> None:
        self._z = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # a gzip stream
        self._head = self._z.compress(raw[:-1])  # the object without its closing brace
        self.rows = 0

    def with_cursor(self, cursor: int) -> bytes:
        z = self._z.copy()
        return self._head + z.compress(b',"cursor":%d}' % cursor) + z.flush()


def batches(dev: dict, rounds: int, size: int, mix: str = "activities") -> list[Body]:
    """Pre-built gzipped request bodies (so the load generator spends little CPU while timed)."""
    now = hlc.wall_ms()
    bodies, seq = [], 0
    every = []
    if mix == "station":
        seed = zlib.crc32(dev["id"].encode())
        every = station_changes(dev["id"], dev["station"], rounds * size, now, seed)
    for r in range(rounds):
        push = every[r * size : (r + 1) * size]
        for _ in range(size if mix != "station" else 0):
            seq += 1
            push.append(activity_change(seq, dev["id"], now))
        body = {"protocol": 1, "client_time_ms": now, "push": push}
        bodies.append(Body(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()))
        bodies[-1].rows = len(push)
    return bodies


async def device_run(
    client: httpx.AsyncClient,
    url: str,
    dev: dict,
    bodies: list[Body],
    latencies: list[float],
) -> int:
    headers = {
        "Authorization": f"Bearer {dev['token']}",
        "Content-Type": "application/json",
        "Content-Encoding": "gzip",
        "Accept-Encoding": "gzip",
    }
    cursor, rows = 0, 0
    for body in bodies:
        data = body.with_cursor(cursor)
        t = time.perf_counter()
        r = await client.post(f"{dev.get('url', url)}/v1/sync", content=data, headers=headers)
        latencies.append(time.perf_counter() - t)
        if r.status_code != 200:
            raise RuntimeError(f"{r.status_code}: {r.text[:300]}")
        cursor = answer_cursor(r.content)
        rows += body.rows
    return rows


def answer_cursor(answer: bytes) -> int:
    """The answer's cursor, read from its tail (after the pulled changes) without parsing the
    changes: the load generator shares the server's cores, so it does as little as it can."""
    tail = answer[answer.rindex(b'],"cursor":') + 1 :]
    return int(json.loads(b"{" + tail[1:])["cursor"])


async def _worker_async(
    url: str, devs: list[dict], rounds: int, size: int, start_at: float, mix: str
) -> tuple:
    all_bodies = [batches(d, rounds, size, mix) for d in devs]
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=len(devs) + 10, max_keepalive_connections=len(devs) + 10)
    async with httpx.AsyncClient(limits=limits, timeout=300) as client:
        await asyncio.sleep(max(0.0, start_at - time.time()))
        cpu0 = time.process_time()  # the generator's CPU while timed (bodies built before)
        rows = sum(
            await asyncio.gather(
                *(
                    device_run(client, url, d, b, latencies)
                    for d, b in zip(devs, all_bodies, strict=True)
                )
            )
        )
    return rows, latencies, time.time(), time.process_time() - cpu0


def _worker(args: tuple) -> tuple:
    return asyncio.run(_worker_async(*args))


def load(
    url: str, devs: list[dict], rounds: int, size: int, *, procs: int = 2, mix: str = "activities"
) -> dict:
    """All devices start at the same moment; the load comes from ``procs`` client processes
    (one asyncio loop each), so the client side is not the bottleneck it would be in one process."""
    start_at = time.time() + 3.0
    chunks = [devs[i::procs] for i in range(procs)]
    with multiprocessing.get_context("spawn").Pool(procs) as pool:
        results = pool.map(_worker, [(url, c, rounds, size, start_at, mix) for c in chunks])
    rows = sum(r[0] for r in results)
    latencies = sorted(x for r in results for x in r[1])
    wall = max(r[2] for r in results) - start_at
    client_cpu = sum(r[3] for r in results)
    return {
        "rows": rows,
        "requests": len(latencies),
        "seconds": round(wall, 2),
        "rows_per_s": round(rows / wall),
        "requests_per_s": round(len(latencies) / wall, 1),
        "p50_ms": round(statistics.median(latencies) * 1000),
        "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))] * 1000),
        "max_ms": round(latencies[-1] * 1000),
        "client_cpu_s": round(client_cpu, 1),
    }


def idle_bytes(url: str, dev: dict) -> dict:
    """Bytes of one idle sync, body and headers, as a client with keep-alive sends it."""
    with httpx.Client() as client:
        first = client.post(
            f"{url}/v1/sync",
            json={"protocol": 1, "cursor": 0, "limit": 500},
            headers={"Authorization": f"Bearer {dev['token']}"},
        )
        cursor = first.json()["cursor"]
        while first.json()["more"]:
            first = client.post(
                f"{url}/v1/sync",
                json={"protocol": 1, "cursor": cursor},
                headers={"Authorization": f"Bearer {dev['token']}"},
            )
            cursor = first.json()["cursor"]
        body = json.dumps(
            {
                "protocol": 1,
                "client_time_ms": hlc.wall_ms(),
                "push": [],
                "cursor": cursor,
                "limit": 500,
            },
            separators=(",", ":"),
        ).encode()
        req = client.build_request(
            "POST",
            f"{url}/v1/sync",
            content=body,
            headers={
                "Authorization": f"Bearer {dev['token']}",
                "Content-Type": "application/json",
                "Accept-Encoding": "gzip",
            },
        )
        r = client.send(req)
        assert r.status_code == 200 and r.json()["changes"] == [], r.text
        req_bytes = (
            len(body)
            + sum(len(k) + len(v) + 4 for k, v in req.headers.raw)
            + len(b"POST /v1/sync HTTP/1.1\r\n\r\n")
        )
        resp_bytes = (
            len(r.content)
            + sum(len(k) + len(v) + 4 for k, v in r.headers.raw)
            + len(b"HTTP/1.1 200 OK\r\n\r\n")
        )
    return {
        "requests": 1,
        "request_bytes": req_bytes,
        "response_bytes": resp_bytes,
        "total_bytes": req_bytes + resp_bytes,
    }


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", type=int, default=200)
    ap.add_argument("--per-station", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--quick", action="store_true", help="50 devices x 2 syncs (a smoke run)")
    ap.add_argument("--database", help="postgresql://… (default: the SQLite file)")
    ap.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL cluster")
    ap.add_argument("--processes", type=int, default=1, help="server processes on the database")
    ap.add_argument(
        "--mix",
        choices=("activities", "station"),
        default="activities",
        help="new activities only, or a busy station's records (mostly attendance marks)",
    )
    args = ap.parse_args(argv)
    if args.quick:
        args.devices, args.rounds = 50, 2
    cluster = None
    if args.postgres:
        from tests.pg_cluster import Cluster

        cluster = Cluster(durable=True)
        args.database = cluster.new_database()
    procs: list[subprocess.Popen] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            data_dir = Path(tmp)
            devs = register(data_dir, args.devices, args.per_station, args.database)
            urls = []
            for _ in range(args.processes):
                proc, url = start_server(data_dir, args.database)
                procs.append(proc)
                urls.append(url)
            for i, dev in enumerate(devs):
                dev["url"] = urls[i % len(urls)]
            cpu0 = sum(cpu_seconds(p.pid) for p in procs)
            db_cpu0 = cluster.cpu_seconds() if cluster else 0.0
            result = load(urls[0], devs, args.rounds, args.batch, mix=args.mix)
            result["server_cpu_s"] = round(sum(cpu_seconds(p.pid) for p in procs) - cpu0, 1)
            if cluster:
                result["postgres_cpu_s"] = round(cluster.cpu_seconds() - db_cpu0, 1)
            result["idle_sync"] = idle_bytes(urls[0], devs[0])
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=20)
        if cluster:
            cluster.stop()
    result.update(
        engine="postgresql" if args.database else "sqlite",
        processes=args.processes,
        devices=args.devices,
        batch=args.batch,
        rounds=args.rounds,
        cpus=os.cpu_count(),
        python=platform.python_version(),
    )
    print(
        f"bench_server: {args.devices} devices x {args.rounds} syncs x {args.batch} rows "
        f"(gzip, push+pull per request) on loopback, {os.cpu_count()} CPUs\n"
    )
    print(
        f"- ingest {result['rows_per_s']} rows/s ({result['rows']} rows in {result['seconds']} s), "
        f"{result['requests_per_s']} requests/s on {result['engine']} with"
        f" {result['processes']} server process(es); server used {result['server_cpu_s']} CPU-s"
        f" (PostgreSQL {result.get('postgres_cpu_s', '-')}), load generator"
        f" {result['client_cpu_s']} CPU-s"
    )
    print(
        f"- latency p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, max {result['max_ms']} ms"
    )
    idle = result["idle_sync"]
    print(
        f"- idle sync: {idle['requests']} request, {idle['request_bytes']} B up + "
        f"{idle['response_bytes']} B down = {idle['total_bytes']} B (HTTP headers included)"
    )
    print(f"\n```\n{json.dumps(result, ensure_ascii=False)}\n```")
    return result


if __name__ == "__main__":
    main()
