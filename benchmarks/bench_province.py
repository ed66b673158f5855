"""A province's overview: 4,000 stations × 5 years, on SQLite or PostgreSQL (issue 16).

``python benchmarks/bench_province.py [--quick] [--stations N] [--years N]
[--engine sqlite|postgres]``

The replica rows are bulk-loaded straight into the server's tables (the sync path's own speed is
measured by the load simulation), then ``admin rebuild-figures`` builds the pre-aggregated
figures from them (timed: the one-off cost after a definition change) and verifies a year
against the full recomputation. Then the city overview page and its two exports are requested
through the real app (``create_app``, in-process client, signed in as the city): request →
whole HTML page or file. ``--engine postgres`` starts a throwaway cluster (tests/pg_cluster.py).
``--quick``: 400 stations × 2 years.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pzh_core.domain import refdata  # noqa: E402
from pzh_core.period import Period  # noqa: E402

# One station-year: a busy township station.
ACTIVITIES = 120
CLASSES = 2
SESSIONS = 12
ROSTER = 12
SERVICES = 60
PEOPLE = 150
VOLUNTEERS = 20


def _station_rows(sid: str, years: list[int], today: dt.date, rng: random.Random) -> dict:
    kinds = list(refdata.labels("activity_kinds"))
    groups = list(refdata.labels("target_groups"))
    out: dict[str, list[tuple]] = {
        t: []
        for t in (
            "activities",
            "classes",
            "sessions",
            "attendance",
            "people",
            "volunteers",
            "service_records",
            "annual_facts",
        )
    }
    people = [str(uuid.uuid4()) for _ in range(PEOPLE)]
    out["people"] = [(p, sid, f"学员{n}") for n, p in enumerate(people)]
    vols = [str(uuid.uuid4()) for _ in range(VOLUNTEERS)]
    out["volunteers"] = [
        (v, sid, people[n], f"{years[0]}-0{1 + n % 9}-01", "active") for n, v in enumerate(vols)
    ]

    def day(year: int) -> str:
        return min(dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365)), today).isoformat()

    for year in years:
        out["annual_facts"].append((str(uuid.uuid4()), sid, year, rng.randrange(8_000, 40_000)))
        for _ in range(ACTIVITIES):
            tg = json.dumps(rng.sample(groups, rng.randrange(0, 3)))
            out["activities"].append(
                (str(uuid.uuid4()), sid, "活动", day(year), rng.choice(kinds),
                 rng.choice(("station", "mobile", "online")), rng.randrange(10, 400), tg,
                 1 if rng.random() < 0.02 else 0)
            )  # fmt: skip
        for _ in range(CLASSES):
            cid = str(uuid.uuid4())
            start = dt.date(year, rng.randrange(1, 12), 1)
            out["classes"].append((cid, sid, "舞蹈班", "running"))
            roster = rng.sample(people, ROSTER)
            for k in range(SESSIONS):
                sess = str(uuid.uuid4())
                out["sessions"].append(
                    (sess, sid, cid, (start + dt.timedelta(days=7 * k)).isoformat())
                )  # planned sessions may lie ahead
                out["attendance"] += [
                    (str(uuid.uuid4()), sid, sess, cid, p,
                     rng.choice(("present",) * 7 + ("late", "absent", "excused")))
                    for p in roster
                ]  # fmt: skip
        out["service_records"] += [
            (str(uuid.uuid4()), sid, rng.choice(vols), day(year), rng.choice((1.0, 2.0, 3.5)),
             rng.choice(("verified",) * 4 + ("recorded",)))
            for _ in range(SERVICES)
        ]  # fmt: skip
    return out


COLUMNS = {
    "activities": "id, station_id, title, date, kind, delivery, attendance, target_groups, deleted",
    "classes": "id, station_id, name, status",
    "sessions": "id, station_id, class_id, date",
    "attendance": "id, station_id, session_id, class_id, person_id, mark",
    "people": "id, station_id, name",
    "volunteers": "id, station_id, person_id, join_date, status",
    "service_records": "id, station_id, volunteer_id, date, hours, status",
    "annual_facts": "id, station_id, year, population",
}


def bulk_load(storage, stations: int, years: int, today: dt.date) -> dict[str, int]:  # noqa: ANN001
    """Stations (through the storage) and their replica rows (straight into the tables)."""
    from sync.server import admin

    counties = refdata.counties()
    ids = [
        admin.create_station(storage, f"基准{i:04d}镇综合文化站", counties[i % len(counties)]).id
        for i in range(stations)
    ]
    rng = random.Random(16)
    span = list(range(today.year - years + 1, today.year + 1))
    counts = dict.fromkeys(COLUMNS, 0)
    pg = storage.engine.dialect.postgres
    for start in range(0, len(ids), 50):
        batch: dict[str, list[tuple]] = {t: [] for t in COLUMNS}
        for sid in ids[start : start + 50]:
            for t, rows in _station_rows(sid, span, today, rng).items():
                batch[t] += rows

        def tx(c, batch=batch) -> None:  # noqa: ANN001
            for table, rows in batch.items():
                if pg:
                    with c.raw.cursor().copy(f"COPY {table} ({COLUMNS[table]}) FROM STDIN") as cp:
                        for r in rows:
                            cp.write_row(r)
                else:
                    marks = ",".join("?" * len(rows[0]))
                    c.raw.executemany(
                        f"INSERT INTO {table} ({COLUMNS[table]}) VALUES ({marks})", rows
                    )

        storage.engine.write(tx)
        for t, rows in batch.items():
            counts[t] += len(rows)
    if pg:
        storage.engine.write(lambda c: c.execute("ANALYZE"))
    return counts


def add_devices(storage, now_ms: int) -> int:  # noqa: ANN001
    """Two devices per station (8,000 at 4,000 stations), as enrolled PCs leave them: most synced
    within the last days, one station in twenty silent for weeks, one in a hundred never."""
    rng = random.Random(17)
    day = 24 * 3600 * 1000
    rows = []
    for (sid,) in storage.engine.all("SELECT id FROM srv_stations ORDER BY id"):
        for n in range(2):
            r = rng.random()
            last = None if r < 0.01 else now_ms - rng.randrange(30 * day if r < 0.05 else day)
            rows.append(
                (str(uuid.uuid4()), sid, uuid.uuid4().hex, f"办公室电脑{n + 1}", now_ms, last)
            )
    storage.engine.write(
        lambda c: c.executemany(
            "INSERT INTO srv_devices (id, station_id, token_hash, name, created_ms, last_sync_ms)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )
    )
    return len(rows)


def county_check(db, ids: list[str], period) -> list[tuple]:  # noqa: ANN001
    """The counties' sums added up in the database against the sums of their stations' figures
    read one by one: ``(county, key, rolled up, summed)`` where they differ."""
    from sync.server.db import aggregates, rollup
    from sync.server.web.figures import OVERVIEW_KEYS

    per = aggregates.year_values(db, ids, period)
    county_of = dict(db.tuples("SELECT id, county FROM srv_stations"))
    want: dict[str, dict[str, float]] = {}
    for key, by in per.items():
        for sid, v in by.items():
            want.setdefault(county_of[sid], {}).setdefault(key, 0)
            want[county_of[sid]][key] += v
    got = rollup.county_sums(db, period, OVERVIEW_KEYS)
    return [
        (c, k, got[c][k], w)
        for c, by in want.items()
        for k, w in by.items()
        if k in got[c] and abs(got[c][k] - w) > 1e-6
    ]


def say(text: str) -> None:
    print(text, flush=True)


def timed(fn, repeat: int) -> tuple[list[float], list[float]]:  # noqa: ANN001
    """Wall and CPU seconds (this process: the app runs in it) of each of ``repeat`` calls."""
    wall, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return wall, cpu


def fmt(values: tuple[list[float], list[float]]) -> str:
    wall, cpu = values
    return (
        f"{statistics.median(wall) * 1000:.0f} ms (max {max(wall) * 1000:.0f}),"
        f" CPU {statistics.median(cpu) * 1000:.0f} ms"
    )


def measure(
    data_dir: Path, database: str | None, repeat: int, year: int, station: str
) -> list[tuple]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from sync.server.app import create_app
    from sync.server.web.accounts import DB_NAME, AccountStore

    AccountStore(data_dir / DB_NAME).create_user(
        "bench-city", "city", "bench-password", replace=True
    )
    rows = []
    with TestClient(create_app(data_dir, database=database), follow_redirects=False) as city:
        page = city.get("/web/login").text
        token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        r = city.post(
            "/web/login", data={"csrf": token, "name": "bench-city", "password": "bench-password"}
        )
        assert r.status_code == 303, r.text
        for label, path in (
            (f"overview page, {year} (year to date)", f"/web/?year={year}"),
            (f"overview page, {year - 1} (a whole past year)", f"/web/?year={year - 1}"),
            (f"export overview .xlsx, {year}", f"/web/export/overview.xlsx?year={year}"),
            (f"export overview .csv, {year}", f"/web/export/overview.csv?year={year}"),
            (f"one county's stations (米易县), {year}", f"/web/?year={year}&county=米易县"),
            (f"export of one county's stations .xlsx, {year}",
             f"/web/export/overview.xlsx?year={year}&county=米易县"),
            (f"a station's page, {year}", f"/web/station/{station}?year={year}"),
        ):  # fmt: skip

            def get(path: str = path) -> None:
                r = city.get(path)
                assert r.status_code == 200, (path, r.status_code)

            get()  # warm
            rows.append((label, fmt(timed(get, repeat))))
    return rows


def vacuum_analyze(database: str) -> None:
    import psycopg

    t0 = time.perf_counter()
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    say(f"VACUUM ANALYZE: {time.perf_counter() - t0:.0f} s")


def _loaded(database: str) -> bool:
    """Whether an existing database already holds stations (an earlier run loaded it)."""
    import psycopg

    with psycopg.connect(database) as conn:
        if conn.execute("SELECT to_regclass('srv_stations')").fetchone()[0] is None:
            return False
        return bool(conn.execute("SELECT count(*) FROM srv_stations").fetchone()[0])


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="400 stations × 2 years")
    ap.add_argument("--stations", type=int)
    ap.add_argument("--years", type=int)
    ap.add_argument("--engine", choices=("sqlite", "postgres"), default="sqlite")
    ap.add_argument(
        "--light", action="store_true", help="a third of the records per station-year (load time)"
    )
    ap.add_argument(
        "--no-verify", action="store_true", help="skip the full recomputation (minutes)"
    )
    ap.add_argument(
        "--data-dir",
        type=Path,
        help="keep the loaded data here; a dir already loaded is reused (no load, no rebuild)",
    )
    ap.add_argument(
        "--database",
        help="an existing PostgreSQL database (postgresql://…): loaded if empty, else reused",
    )
    args = ap.parse_args(argv)
    if args.light:
        global ACTIVITIES, CLASSES, SESSIONS, ROSTER, SERVICES, PEOPLE, VOLUNTEERS
        ACTIVITIES, CLASSES, SESSIONS, ROSTER, SERVICES, PEOPLE, VOLUNTEERS = (
            40,
            1,
            10,
            8,
            20,
            40,
            10,
        )
    stations = args.stations or (400 if args.quick else 4000)
    years = args.years or (2 if args.quick else 5)
    repeat = 3 if args.quick else 7
    today = dt.date.today()
    from pzh_core.china_tz import china_today
    from sync.server.db import aggregates
    from sync.server.sql_storage import open_storage
    from sync.server.web import figures

    cluster = None
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or Path(tmp)
        data_dir.mkdir(parents=True, exist_ok=True)
        reuse = args.data_dir is not None and (data_dir / "server.sqlite3").exists()
        database: str | None = args.database
        if database:
            reuse = _loaded(database)
        elif args.engine == "postgres":
            from tests.pg_cluster import Cluster

            cluster = Cluster()
            database = cluster.new_database()
        try:
            storage = open_storage(database or data_dir / "server.sqlite3")
            if reuse:  # loaded by an earlier run (--data-dir or --database)
                counts = {t: storage.engine.scalar(f"SELECT count(*) FROM {t}") for t in COLUMNS}
                loaded = rebuilt = 0.0
                written = 0
            else:
                t0 = time.perf_counter()
                counts = bulk_load(storage, stations, years, today)
                loaded = time.perf_counter() - t0
                say(f"bulk load: {sum(counts.values()):,} rows in {loaded:.0f} s ({counts})")
                t0 = time.perf_counter()
                written = storage.engine.write(aggregates.rebuild)
                rebuilt = time.perf_counter() - t0
                say(f"rebuild-figures: {written:,} rows in {rebuilt:.0f} s")
                if database:  # what autovacuum does in time: statistics, visibility map
                    vacuum_analyze(database)
            size = (
                storage.engine.scalar("SELECT pg_database_size(current_database())")
                if database
                else os.path.getsize(data_dir / "server.sqlite3")
            )
            if not storage.engine.scalar("SELECT count(*) FROM srv_devices"):
                say(f"devices: {add_devices(storage, storage.now()):,}")
            figure_rows = storage.engine.scalar("SELECT count(*) FROM srv_figures")
            say(f"database {size / 1e6:.0f} MB; srv_figures {figure_rows:,} rows")
            ids = [s.id for s in storage.list_stations()]
            period = Period(today.year, None, china_today(storage.now()))
            for label, fn in (
                ("figures read from srv_figures", lambda: aggregates.year_values(
                    storage.indicator_db(), ids, period)),
                ("the overview's figures (overview_values)", lambda: figures.overview_values(
                    storage.indicator_db(), ids, period)),
            ):  # fmt: skip
                fn()
                say(f"{label}: {fmt(timed(fn, repeat))}")
            storage.close()
            rows = measure(data_dir, database, repeat, today.year, ids[0])
            for label, value in rows:
                say(f"{label}: {value}")
            storage = open_storage(database or data_dir / "server.sqlite3")
            county_diffs = county_check(storage.indicator_db(), ids, period)
            say(f"counties in the database vs their stations: {len(county_diffs)} differences")
            t0 = time.perf_counter()
            diffs = (
                []
                if args.no_verify
                else aggregates.differences(storage.indicator_db(), ids, period)
            )
            verified = time.perf_counter() - t0
            say(f"full recomputation {verified:.0f} s: {len(diffs)} differences")
            diffs += county_diffs
            storage.close()
        finally:
            if cluster is not None:
                cluster.stop()
    total = sum(counts.values())
    print(
        f"{args.engine}: {stations} stations × {years} years"
        f" ({ACTIVITIES} activities, {CLASSES}×{SESSIONS} sessions × {ROSTER} marks,"
        f" {SERVICES} services a station-year): {total:,} replica rows "
        f"({', '.join(f'{t} {n:,}' for t, n in counts.items())}); database {size / 1e6:.0f} MB; "
        f"bulk load {loaded:.0f} s; rebuild-figures {rebuilt:.0f} s ({written:,} rows); "
        + (
            "full recomputation not run (--no-verify)"
            if args.no_verify
            else f"full recomputation of {today.year} for the check {verified:.1f} s"
        )
        + "; counties summed in the database equal their stations' sums"
        + (": yes" if not county_diffs else f": {len(county_diffs)} DIFFERENCES")
        + (
            ""
            if args.no_verify
            else "; stations: "
            + ("equal to the unit" if not diffs else f"{len(diffs)} DIFFERENCES")
        )
        + "\n"
    )
    print(f"| request (server-side: request → whole page or file) | median (max) of {repeat} |")
    print("|---|---|")
    for label, value in rows:
        print(f"| {label} | {value} |")
    return 1 if diffs else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
