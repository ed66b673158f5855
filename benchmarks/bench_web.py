"""City web pages: the overview for 60 stations with ten years of synced records, rendered
server-side (target < 500 ms), and the other pages over the same data.

``python benchmarks/bench_web.py [--quick] [--data-dir DIR] [--stations N] [--years N]``
(issue 18 measures ``--stations 300 --years 2``)

``--province`` (issue 16, session 7): the city pages that list stations, devices and changes at
a province's size, 4,000 stations (``--stations``) × 1 year (``--years``) in the ``--light``
shape of ``bench_province.py`` (a third of a station-year's records), 8,000 devices (two per
station, some silent, some with an error, a clock far off or a digest that differs), an
enrollment code per station, 3,000 set-aside changes, submitted months and late changes; each of
the sync health, administration, periods, one period, record history and returns pages is
timed as the city and as one county's user (about 670 stations).

The data is written straight into the server's replica tables (the same rows a sync would leave
there; the sync path's own speed is measured by the sync benchmarks), with 60 stations in the six
counties, each with ten years of activities, training classes with sessions, rosters and marks,
and volunteers with service records. Then the pages are requested through the real app
(``create_app``, in-process HTTP client, signed in as a city and as a county user): the time is
from the request to the whole HTML page, i.e. every figure computed by the shared indicator
functions and the page rendered. Charts are drawn by the browser and are not included.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from pzh_core.domain import refdata  # noqa: E402
from pzh_core.schema import det_id  # noqa: E402

STATIONS = 60
ACTIVITIES_PER_YEAR = 180
CLASSES_PER_YEAR = 6
SESSIONS_PER_CLASS = 24
ROSTER = 15
PEOPLE = 300
VOLUNTEERS = 40
SERVICES_PER_YEAR = 200


def build(data_dir: Path, years: int, today: dt.date) -> dict[str, int]:
    from sync.server.app import DB_NAME
    from sync.server.sql_storage import SQLiteStorage

    storage = SQLiteStorage(data_dir / DB_NAME)
    counties = refdata.counties()
    ids = [
        storage.create_station(f"基准{i:02d}镇综合文化站", counties[i % len(counties)]).id
        for i in range(STATIONS)
    ]
    storage.close()
    rng = random.Random(8)
    kinds = list(refdata.labels("activity_kinds"))
    groups = list(refdata.labels("target_groups"))
    counts = dict.fromkeys(
        ("activities", "sessions", "attendance", "enrollments", "service_records", "people"), 0
    )
    conn = sqlite3.connect(data_dir / DB_NAME)
    conn.execute("PRAGMA journal_mode = WAL")
    first_year = today.year - years + 1

    def day(year: int) -> str:
        d = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365))
        return min(d, today).isoformat()

    with conn:
        for sid in ids:
            conn.executemany(
                "INSERT INTO annual_facts (id, station_id, year, population, population_source)"
                " VALUES (?, ?, ?, ?, '统计公报')",
                [
                    (det_id("annual_facts", sid, str(y)), sid, y, rng.randrange(8_000, 40_000))
                    for y in range(first_year, today.year + 1)
                ],
            )
            people = [str(uuid.uuid4()) for _ in range(PEOPLE)]
            conn.executemany(
                "INSERT INTO people (id, station_id, name, gender) VALUES (?, ?, ?, ?)",
                [(p, sid, f"学员{n}", rng.choice("男女")) for n, p in enumerate(people)],
            )
            vols = [str(uuid.uuid4()) for _ in range(VOLUNTEERS)]
            conn.executemany(
                "INSERT INTO volunteers (id, station_id, person_id, number, join_date, status)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (v, sid, people[n], f"V{n:03d}", f"{first_year}-03-01", "active")
                    for n, v in enumerate(vols)
                ],
            )
            counts["people"] += PEOPLE
            for year in range(first_year, today.year + 1):
                acts = []
                for _ in range(ACTIVITIES_PER_YEAR):
                    tg = rng.sample(groups, rng.randrange(0, 3))
                    acts.append(
                        (
                            str(uuid.uuid4()),
                            sid,
                            "活动",
                            day(year),
                            "19:00",
                            rng.choice(kinds),
                            rng.choice(["station", "mobile", "online"]),
                            rng.randrange(10, 400),
                            json.dumps(tg),
                            1 if rng.random() < 0.02 else 0,
                        )
                    )
                conn.executemany(
                    "INSERT INTO activities (id, station_id, title, date, start_time, kind,"
                    " delivery, attendance,"
                    " target_groups, deleted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    acts,
                )
                counts["activities"] += len(acts)
                for _ in range(CLASSES_PER_YEAR):
                    cid = str(uuid.uuid4())
                    start = dt.date(year, rng.randrange(1, 7), 1)
                    conn.execute(
                        "INSERT INTO classes (id, station_id, name, start_date, status,"
                        " completion_share)"
                        " VALUES (?, ?, ?, ?, 'running', 0.8)",
                        (cid, sid, "舞蹈班", start.isoformat()),
                    )
                    roster = rng.sample(people, ROSTER)
                    conn.executemany(
                        "INSERT INTO enrollments (id, station_id, class_id, person_id, active)"
                        " VALUES (?, ?, ?, ?, 1)",
                        [(str(uuid.uuid4()), sid, cid, p) for p in roster],
                    )
                    counts["enrollments"] += ROSTER
                    marks = []
                    for k in range(SESSIONS_PER_CLASS):
                        sdate = start + dt.timedelta(days=7 * k)
                        if sdate > today:
                            break
                        sess = str(uuid.uuid4())
                        conn.execute(
                            "INSERT INTO sessions (id, station_id, class_id, date, start_time)"
                            " VALUES (?, ?, ?, ?, '19:30')",
                            (sess, sid, cid, sdate.isoformat()),
                        )
                        counts["sessions"] += 1
                        marks += [
                            (
                                str(uuid.uuid4()),
                                sid,
                                sess,
                                cid,
                                p,
                                rng.choice(["present"] * 7 + ["late", "absent", "excused"]),
                            )
                            for p in roster
                        ]
                    conn.executemany(
                        "INSERT INTO attendance (id, station_id, session_id, class_id,"
                        " person_id, mark)"
                        " VALUES (?, ?, ?, ?, ?, ?)",
                        marks,
                    )
                    counts["attendance"] += len(marks)
                recs = [
                    (
                        str(uuid.uuid4()),
                        sid,
                        v,
                        day(year),
                        rng.choice([1.0, 2.0, 3.5, 4.0]),
                        rng.choice(["verified"] * 4 + ["recorded"]),
                    )
                    for v in (rng.choice(vols) for _ in range(SERVICES_PER_YEAR))
                ]
                conn.executemany(
                    "INSERT INTO service_records (id, station_id, volunteer_id, date, hours,"
                    " status)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    recs,
                )
                counts["service_records"] += len(recs)
    conn.close()  # no ANALYZE: a real server's file has none either
    # The pre-aggregated figures, as `admin rebuild-figures` builds them after a bulk load.
    from sync.server.db import aggregates

    storage = SQLiteStorage(data_dir / DB_NAME)
    storage.engine.write(aggregates.rebuild)
    storage.close()
    return counts


def build_province(data_dir: Path, stations: int, years: int, today: dt.date) -> dict[str, int]:
    """``bench_province``'s light shape, its 8,000 devices, and what the lists show."""
    import bench_province as bp

    from sync.server.app import DB_NAME
    from sync.server.db import aggregates
    from sync.server.sql_storage import SQLiteStorage

    bp.ACTIVITIES, bp.CLASSES, bp.SESSIONS, bp.ROSTER = 40, 1, 10, 8
    bp.SERVICES, bp.PEOPLE, bp.VOLUNTEERS = 20, 40, 10
    storage = SQLiteStorage(data_dir / DB_NAME)
    counts = bp.bulk_load(storage, stations, years, today)
    storage.engine.write(aggregates.rebuild)
    now = storage.now()
    counts["devices"] = bp.add_devices(storage, now)
    storage.engine.write(lambda c: _province_lists(c, now, today))
    for t in ("srv_codes", "srv_set_aside", "periods", "late_changes", "srv_audit"):
        counts[t] = storage.engine.scalar(f"SELECT count(*) FROM {t}")
    storage.close()
    return counts


def _province_lists(c, now: int, today: dt.date) -> None:  # noqa: ANN001
    """Device troubles, codes, set-aside changes, submitted months and late changes."""
    rng = random.Random(7)
    hour = 3600 * 1000
    devices = c.all("SELECT id, station_id FROM srv_devices ORDER BY id")
    for did, _sid in devices:
        r = rng.random()
        error = "批次被拒绝：时间戳格式不正确" if r < 0.03 else ""
        far = rng.random() < 0.02
        skew = rng.choice([3 * hour, -30 * hour]) if far else rng.randrange(-5000, 5000)
        c.execute(
            "UPDATE srv_devices SET skew_ms = ?, last_error = ?, last_error_ms = ?,"
            " digest_ok = ?, changes_today = ? WHERE id = ?",
            (skew, error, now if error else None, 0 if 0.03 <= r < 0.05 else 1,
             rng.randrange(0, 40), did),
        )  # fmt: skip
    stations = [r[0] for r in c.all("SELECT id FROM srv_stations ORDER BY id")]
    c.executemany(
        "INSERT INTO srv_codes (code, station_id, created_ms, expires_ms) VALUES (?, ?, ?, ?)",
        [(f"BENCH{i:05d}", sid, now - i * 1000, now + 7 * 24 * hour) for i, sid in
         enumerate(stations)],
    )  # fmt: skip
    c.executemany(
        "INSERT INTO srv_set_aside (station_id, device_id, seq, tbl, row_id, stamp, fields,"
        " code, message, errors, created_ms) VALUES (?, ?, ?, 'activities', ?, ?, '{}',"
        " 'invalid', '活动标题过长（最多100字）', '{}', ?)",
        [(sid, did, n, str(uuid.uuid4()), f"{now:013d}.0000.{did}", now - n * 60_000)
         for n, (did, sid) in enumerate(rng.choices(devices, k=3000))],
    )  # fmt: skip
    months = [f"{today.year}-{m:02d}" for m in range(1, today.month)]
    rows = []
    for sid in stations:
        for p in months[: rng.randrange(len(months) + 1)]:
            status = rng.choice(["submitted", "approved", "approved", "returned"])
            rows.append((det_id("period", sid, p), sid, p, status))
    c.executemany(
        "INSERT INTO periods (id, station_id, period, status, submitted_by, submitted_at)"
        " VALUES (?, ?, ?, ?, '站长', '2026-01-05T09:00:00')",
        rows,
    )
    c.executemany(
        "INSERT INTO late_changes (id, station_id, device, seq, tbl, row_id, fields, stamp,"
        " message, decision) VALUES (?, ?, ?, ?, 'activities', ?, '{}', ?, '时段已审核', ?)",
        [(str(uuid.uuid4()), sid, did, n, str(uuid.uuid4()), f"{now:013d}.0000.{did}",
          rng.choice(["pending", "accepted"])) for n, (did, sid) in
         enumerate(rng.choices(devices, k=400))],
    )  # fmt: skip


def province_pages(station: str, county_station: str, year: int) -> list[tuple[str, str, str]]:
    """(label, who, path) of the list pages timed at a province's size."""
    month = f"{year}-01"
    out = []
    for who in ("city", "county"):
        sid = station if who == "city" else county_station
        out += [
            (f"sync health page ({who})", who, "/web/health"),
            (f"administration page ({who})", who, "/web/admin"),
            (f"periods page {year} ({who})", who, f"/web/periods?year={year}"),
            (f"one period {month} ({who})", who, f"/web/periods/{sid}/{month}"),
            (f"record history of a station ({who})", who, f"/web/station/{sid}/history"),
            (f"returns summary {year} ({who})", who, f"/web/returns?year={year}"),
        ]
    return out


def timed(fn, repeat: int) -> list[float]:  # noqa: ANN001
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def fmt(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.0f} ms (max {max(values) * 1000:.0f})"


def sign_in(client, name: str) -> None:  # noqa: ANN001
    page = client.get("/web/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    r = client.post("/web/login", data={"csrf": token, "name": name, "password": "bench-password"})
    assert r.status_code == 303, r.text


def city_pages(city, county, today: dt.date) -> list[tuple[str, object, str]]:  # noqa: ANN001
    station = re.search(r"/web/station/([0-9a-f-]+)", city.get("/web/").text).group(1)
    y = today.year
    return [
        (
            f"overview, whole city ({STATIONS} stations), {y} (year to date)",
            city,
            f"/web/?year={y}",
        ),
        (f"overview, whole city, {y - 1} (a whole past year)", city, f"/web/?year={y - 1}"),
        (f"overview, one county ({STATIONS // 6} stations), {y}", county, f"/web/?year={y}"),
        (
            f"station page (year figures, 12 months, latest activities), {y}",
            city,
            f"/web/station/{station}?year={y}",
        ),
        ("sync health page", city, "/web/health"),
        ("administration page", city, "/web/admin"),
        (f"export overview .xlsx, {y}", city, f"/web/export/overview.xlsx?year={y}"),
        (f"export overview .csv, {y}", city, f"/web/export/overview.csv?year={y}"),
    ]


def measure(data_dir: Path, today: dt.date, repeat: int, province: bool) -> list[tuple[str, str]]:
    """Sign in as the city and as 仁和区, then time each page: ``(label, "median (max), KB")``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from sync.server.app import create_app
    from sync.server.web.accounts import DB_NAME, AccountStore

    accounts = AccountStore(data_dir / DB_NAME)
    for name, role, county in (("bench-city", "city", ""), ("bench-county", "county", "仁和区")):
        accounts.create_user(name, role, "bench-password", county=county, replace=True)
    rows: list[tuple[str, str]] = []
    with (
        TestClient(create_app(data_dir), follow_redirects=False) as city,
        TestClient(create_app(data_dir), follow_redirects=False) as county,
    ):
        sign_in(city, "bench-city")
        sign_in(county, "bench-county")
        if province:
            db = sqlite3.connect(data_dir / "server.sqlite3")
            first = db.execute("SELECT id FROM srv_stations ORDER BY id LIMIT 1").fetchone()[0]
            own = db.execute(
                "SELECT id FROM srv_stations WHERE county = '仁和区' ORDER BY id LIMIT 1"
            ).fetchone()[0]
            db.close()
            pages = [
                (label, city if who == "city" else county, path)
                for label, who, path in province_pages(first, own, today.year)
            ]
        else:
            pages = city_pages(city, county, today)
        for label, client, path in pages:

            def run(client=client, path=path) -> int:  # noqa: ANN001
                r = client.get(path)
                assert r.status_code == 200, (path, r.status_code)
                return len(r.content)

            size = run()  # warm: connections, templates
            rows.append((label, f"{fmt(timed(run, repeat))} | {size / 1000:,.0f} KB"))
    return rows


def main(argv: list[str]) -> int:
    global STATIONS
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--quick", action="store_true", help="three years instead of ten, fewer repeats"
    )
    ap.add_argument("--data-dir", help="keep the data here (built once, reused)")
    ap.add_argument("--stations", type=int, help="stations (default 60; 4,000 with --province)")
    ap.add_argument("--years", type=int, help="years of records (default 10; 3 with --quick)")
    ap.add_argument(
        "--province",
        action="store_true",
        help="the list pages at 4,000 stations × 1 year (light), 8,000 devices",
    )
    args = ap.parse_args(argv)
    STATIONS = args.stations or (4000 if args.province else STATIONS)
    years = args.years or (1 if args.province else 3 if args.quick else 10)
    repeat = 3 if args.quick else (5 if args.province else 9)
    today = dt.date.today()
    tmp = None
    if args.data_dir:
        data_dir = Path(args.data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory()
        data_dir = Path(tmp.name)
    try:
        t0 = time.perf_counter()
        counts: dict[str, int] = {}
        if not (data_dir / "server.sqlite3").exists():
            if args.province:
                counts = build_province(data_dir, STATIONS, years, today)
            else:
                counts = build(data_dir, years, today)
        built = time.perf_counter() - t0
        rows = measure(data_dir, today, repeat, args.province)
        size = os.path.getsize(data_dir / "server.sqlite3")
    finally:
        if tmp is not None:
            tmp.cleanup()
    shown = ", ".join(f"{k} {v:,}" for k, v in counts.items())
    print(
        f"Data: {STATIONS} stations × {years} years" + (f": {shown}" if counts else "")
        + f"; server file {size / 1e6:.0f} MB; built in {built:.0f} s.\n"
    )  # fmt: skip
    print(f"| page (server-side: request → whole HTML) | median (max) of {repeat} | size |")
    print("|---|---|---|")
    for label, value in rows:
        print(f"| {label} | {value} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
