"""The server's ingest path without HTTP: parse, check, merge and store pushed batches.

Each pushed batch of ``--batch`` new activity rows (the protocol's largest, 500) goes through
what ``POST /v1/sync`` does after the body is read: ``exchange.parse`` (the protocol's checks)
and ``exchange.run`` (the push in one transaction, then the pull), on a real SQLite file or a
throwaway PostgreSQL cluster (durable settings). One thread, batches one after the other, so the
CPU seconds per 1,000 rows are the server's cost of ingest on one core, the steadier figure on
a shared machine; wall-clock rows/s is printed beside it with the load average.

    python benchmarks/bench_ingest.py [--postgres] [--devices 20] [--batches 5] [--batch 500]
        [--profile out.txt] [--phases] [--mix activities|station] [--processes N]

``--processes N`` (PostgreSQL): N processes push at once, each with its own storage on the one
database and whole stations of its own, as N server processes would (CPU: theirs added up).

On PostgreSQL the tables are analyzed after the first round, as autovacuum would analyze a
server's (the plans cached while they were nearly empty scan them whole; ``--no-analyze`` keeps
them, as before session 7).

``--profile`` writes cProfile's top functions (cumulative and own time) of the timed pushes;
``--phases`` prints the thread CPU per row of each step of a push (steps nest: ``check_change``
is part of ``_merge_batch``; ``write`` (the digests and the stored clock) of ``write_rows``).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import multiprocessing
import os
import pstats
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pzh_core import hlc  # noqa: E402
from sync.server import admin, auth, exchange  # noqa: E402
from sync.server.sql_storage import open_storage  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
import bench_province  # noqa: E402
from bench_server import activity_change as change  # noqa: E402
from bench_server import station_changes  # noqa: E402


def bodies(device: str, batches: int, size: int, mix: str, station: str = "") -> list[bytes]:
    """The request bodies of one device, encoded beforehand (parsing them is timed)."""
    now, out = hlc.wall_ms(), []
    if mix == "station":
        seed = zlib.crc32(device.encode())
        every = station_changes(device, station, batches * size, now, seed=seed)
    for b in range(batches):
        if mix == "station":
            push = every[b * size : (b + 1) * size]
        else:
            push = [change(b * size + i + 1, device, now) for i in range(size)]
        body = {"protocol": 1, "client_time_ms": now, "push": push, "cursor": 0}
        out.append(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode())
    return out


def enroll(storage, devices: int, per_station: int = 2) -> list:
    out, station = [], None
    for i in range(devices):
        if i % per_station == 0:
            station = admin.create_station(storage, f"测试{i // per_station}号文化站", "东区")
        code = admin.issue_code(storage, station.id).code
        dev, _ = storage.enroll(
            code,
            token_hash=auth.hash_token(auth.new_token()),
            device_name=f"pc{i}",
            app_version="bench",
            device_id=None,
        )
        out.append(dev)
    return out


WRITER_PROFILE = cProfile.Profile(time.thread_time)  # CPU, not wall: the machine is shared


def profile_writer_thread() -> None:
    """cProfile sees one thread: profile SQLite's writer thread too (each transaction)."""
    from sync.server.db import sqlite_writer

    plain = sqlite_writer.Writer._run_one

    def profiled(conn, fn, fut) -> None:  # type: ignore[no-untyped-def]
        WRITER_PROFILE.enable()
        try:
            plain(conn, fn, fut)
        finally:
            WRITER_PROFILE.disable()

    sqlite_writer.Writer._run_one = staticmethod(profiled)  # type: ignore[method-assign]


PHASES: dict[str, float] = {}  # --phases: thread CPU seconds in each step of a push


def time_phases() -> None:
    """Wrap each step of a push (called once per batch, so the wrapping costs nothing) to add
    up the CPU time of the thread running it (SQLite's writer or, on PostgreSQL, the caller)."""
    from sync.server import identity, push_merge, replica_write

    def wrap(module, name: str) -> None:  # type: ignore[no-untyped-def]
        plain = getattr(module, name)

        def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
            t = time.thread_time()
            try:
                return plain(*args, **kwargs)
            finally:
                PHASES[name] = PHASES.get(name, 0.0) + time.thread_time() - t

        setattr(module, name, timed)

    wrap(exchange, "parse")
    for name in ("fetch_rows", "_merge_batch", "write_rows", "append_feed", "_record_sync"):
        wrap(push_merge, name)
    wrap(push_merge.aggregates, "after_write")
    for module, name in ((push_merge.set_aside, "record"), (identity, "check_epoch")):
        wrap(module, name)
    # inside the steps above (their time is part of theirs)
    wrap(push_merge.rules, "check_change")
    wrap(replica_write.replica_digest.Deltas, "write")  # the digests and the stored clock
    wrap(identity, "change_body")


def run(
    storage,
    devices: list,
    work: list[list[bytes]],
    profile: cProfile.Profile | None,
    analyze: bool = True,
) -> dict:
    """Push every device's batches in turn (round-robin, as devices take turns); pull from the
    feed's end, as a device that is up to date does."""
    cursors = {d.id: 0 for d in devices}
    rows = 0
    cpu0, wall0 = time.process_time(), time.perf_counter()
    if profile:
        profile.enable()
    for b in range(len(work[0])):
        for dev, bodies_ in zip(devices, work, strict=True):
            body = json.loads(bodies_[b])
            body["cursor"] = cursors[dev.id]
            req = exchange.parse(body)
            answer = exchange.run(storage, dev, req)
            # The device's cursor, read without parsing the answer: that is the client's work,
            # not the server's (the changes come first, then the answer's tail from "cursor").
            tail = answer[answer.rindex(b'],"cursor":') + 1 :]
            cursors[dev.id] = json.loads(b"{" + tail[1:])["cursor"]
            rows += len(req.push)
        if b == 0 and analyze and storage.engine.dialect.postgres:
            # As autovacuum does on a server that runs longer than this bench: the plans
            # PostgreSQL cached while the tables were nearly empty (sequential scans for a
            # lookup by id) are dropped once the tables are analyzed.
            storage.engine.write(lambda c: c.execute("ANALYZE"))
    if profile:
        profile.disable()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return figures(rows, wall, cpu)


def figures(rows: int, wall: float, cpu: float) -> dict:
    """Rows, wall seconds and CPU seconds of a timed run, and the rates made of them."""
    return {
        "rows": rows,
        "seconds": round(wall, 2),
        "rows_per_s": round(rows / wall),
        "cpu_s": round(cpu, 2),
        "rows_per_cpu_s": round(rows / cpu),
        "cpu_ms_per_1000_rows": round(cpu / rows * 1e6),
    }


def _process(args: tuple) -> tuple[int, float, float, float]:
    """One server process of ``--processes``: its own storage on the database, its devices'
    pushes one after another from ``start_at`` on; (rows, CPU s, start, end)."""
    where, devices, work, start_at, analyze = args
    storage = open_storage(where)
    try:
        time.sleep(max(0.0, start_at - time.time()))
        start = time.time()
        result = run(storage, devices, work, None, analyze)
        return result["rows"], result["cpu_s"], start, time.time()
    finally:
        storage.close()


def run_processes(
    where: str, devices: list, work: list[list[bytes]], n: int, analyze: bool = True
) -> dict:
    """``run`` in ``n`` processes at once, each taking whole stations (the devices of one
    station rarely push at the same moment; two that do take turns on its lock)."""
    stations = sorted({d.station_id for d in devices})
    mine = [{s for k, s in enumerate(stations) if k % n == i} for i in range(n)]
    jobs = []
    start_at = time.time() + 3.0  # after every process has started and imported
    for own in mine:
        picked = [k for k, d in enumerate(devices) if d.station_id in own]
        jobs.append(
            (where, [devices[k] for k in picked], [work[k] for k in picked], start_at, analyze)
        )
    with multiprocessing.get_context("spawn").Pool(n) as pool:
        parts = pool.map(_process, jobs)
    rows, cpu = sum(p[0] for p in parts), sum(p[1] for p in parts)
    wall = max(p[3] for p in parts) - min(p[2] for p in parts)
    return figures(rows, wall, cpu)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL cluster")
    ap.add_argument("--devices", type=int, default=20)
    ap.add_argument("--batches", type=int, default=5, help="batches per device")
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--quick", action="store_true", help="4 devices x 2 batches")
    ap.add_argument(
        "--mix",
        choices=("activities", "station"),
        default="activities",
        help="new activities only (the widest rows, the most rules), or a busy station's"
        " records (bench_province's shape: mostly attendance marks)",
    )
    ap.add_argument("--profile", help="write cProfile's top functions here")
    ap.add_argument(
        "--no-analyze",
        action="store_true",
        help="PostgreSQL: no ANALYZE after the first round (plans cached on near-empty tables)",
    )
    ap.add_argument("--phases", action="store_true", help="CPU per row of each step of a push")
    ap.add_argument(
        "--processes",
        type=int,
        default=1,
        help="server processes pushing at once (PostgreSQL; CPU is theirs added up)",
    )
    args = ap.parse_args(argv)
    if args.processes > 1 and not args.postgres:
        ap.error("--processes needs --postgres (SQLite has one writer)")
    if args.quick:
        args.devices, args.batches = 4, 2
    cluster = None
    with tempfile.TemporaryDirectory() as tmp:
        if args.postgres:
            from tests.pg_cluster import Cluster

            cluster = Cluster(durable=True)
            where: str | Path = cluster.new_database()
        else:
            where = Path(tmp) / "server.sqlite3"
        storage = open_storage(where)
        try:
            devices = enroll(storage, args.devices)
            work = [bodies(d.id, args.batches, args.batch, args.mix, d.station_id) for d in devices]
            prof = cProfile.Profile(time.thread_time) if args.profile else None
            if prof is not None and not args.postgres:
                profile_writer_thread()
            if args.phases:
                time_phases()
            db_cpu0 = cluster.cpu_seconds() if cluster else 0.0
            if args.processes > 1:
                result = run_processes(
                    str(where), devices, work, args.processes, not args.no_analyze
                )
            else:
                result = run(storage, devices, work, prof, not args.no_analyze)
            if cluster:
                result["postgres_cpu_s"] = round(cluster.cpu_seconds() - db_cpu0, 2)
            held = sum(
                storage.query(f"SELECT count(*) AS n FROM {t}")[0]["n"]
                for t in bench_province.COLUMNS
            )
            assert held == result["rows"], (held, result["rows"])
            assert storage.query("SELECT count(*) AS n FROM srv_set_aside")[0]["n"] == 0
        finally:
            storage.close()
            if cluster:
                cluster.stop()
    result["engine"] = "postgresql" if args.postgres else "sqlite"
    result["mix"] = args.mix
    result["processes"] = args.processes
    result["load_average"] = " ".join(f"{x:.1f}" for x in os.getloadavg())
    if prof is not None:
        out = io.StringIO()
        stats = pstats.Stats(prof, stream=out)
        if not args.postgres:
            stats.add(WRITER_PROFILE)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(30)
        Path(args.profile).write_text(out.getvalue(), encoding="utf-8")
        stats.dump_stats(args.profile + ".prof")  # for pstats' print_callers
    print(
        "| engine | processes | mix | rows | s | rows/s | CPU s | rows per CPU-s | CPU µs / row"
        " | load |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {result['engine']} | {result['processes']} | {result['mix']} | {result['rows']:,} | "
        f"{result['seconds']} | "
        f"{result['rows_per_s']:,} | {result['cpu_s']} | {result['rows_per_cpu_s']:,} | "
        f"{result['cpu_ms_per_1000_rows']} | {result['load_average']} |"
    )
    if cluster:
        print(f"\nPostgreSQL's own CPU: {result['postgres_cpu_s']} s")
    if PHASES:
        print("\n| step of a push | CPU µs per row |\n|---|---|")
        for name, seconds in sorted(PHASES.items(), key=lambda kv: -kv[1]):
            print(f"| {name} | {seconds / result['rows'] * 1e6:.1f} |")
    return result


if __name__ == "__main__":
    main()
