"""Helpers for the web page tests: sign in over HTTP, push synced records as a station PC does,
and a small world of two counties on a real server."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from pzh_core import hlc

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
PASSWORD = "correct-horse-9"


def csrf_of(html: str) -> str:
    m = CSRF.search(html)
    assert m, "no CSRF field on the page"
    return m.group(1)


def sign_in(client: httpx.Client, name: str, password: str = PASSWORD) -> httpx.Response:
    """Sign in through the form (its CSRF cookie and field); returns the POST's response."""
    page = client.get("/web/login")
    assert page.status_code == 200
    return client.post(
        "/web/login",
        data={"csrf": csrf_of(page.text), "name": name, "password": password, "next": "/web/"},
    )


@contextmanager
def web_client(url: str, user: str | None = None) -> Iterator[httpx.Client]:
    """An HTTP client of the web pages (redirects not followed), signed in as ``user``."""
    with httpx.Client(base_url=url, follow_redirects=False, timeout=30) as client:
        if user:
            r = sign_in(client, user)
            assert r.status_code == 303, r.text
        yield client


@dataclass
class Device:
    id: str
    token: str
    station_id: str
    seq: int = 0

    def push(
        self, url: str, items: list[tuple[str, str, dict]], *, client_time_ms: int | None = None
    ) -> dict:
        """Push ``(table, row id, fields)`` changes through /v1/sync, as the desktop agent does."""
        changes = []
        for table, row_id, fields in items:
            self.seq += 1
            changes.append(
                {
                    "seq": self.seq,
                    "t": table,
                    "id": row_id,
                    "s": hlc.encode(hlc.wall_ms(), self.seq % 10000, self.id),
                    "f": fields,
                }
            )
        body = {"protocol": 1, "push": changes, "cursor": 0, "limit": 1}
        if client_time_ms is not None:
            body["client_time_ms"] = client_time_ms
        r = httpx.post(
            f"{url}/v1/sync",
            json=body,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
        )
        assert r.status_code == 200, r.text
        return r.json()


def facts(station_id: str, year: int, population: int) -> tuple[str, str, dict]:
    """A station's annual facts of ``year`` with its 常住人口 (the per-resident figures' source)."""
    from pzh_core.schema import det_id

    return (
        "annual_facts",
        det_id("annual_facts", station_id, str(year)),
        {"year": year, "population": population, "population_source": "统计公报"},
    )


def activity(
    day: str, *, attendance: int, groups: tuple[str, ...] = (), title: str = "广场舞展演"
) -> dict:
    return {
        "title": title,
        "date": day,
        "start_time": "19:00",
        "end_time": "21:00",
        "place": "文化站广场",
        "kind": "performance",
        "delivery": "station",
        "attendance": attendance,
        "target_groups": list(groups),
        "deleted": False,
    }


@dataclass
class World:
    """Two counties: 仁和区 (two stations) and 米易县 (one), a device in each station, users
    ``city``, ``renhe`` (county 仁和区) and ``miyi`` (county 米易县)."""

    url: str
    stations: dict[str, str] = field(default_factory=dict)  # name -> id
    devices: dict[str, Device] = field(default_factory=dict)  # station name -> device


def make_world(server, year: int) -> World:
    world = World(server.url)
    for name, county in (
        ("大田镇综合文化站", "仁和区"),
        ("同德镇综合文化站", "仁和区"),
        ("攀莲镇综合文化站", "米易县"),
    ):
        sid = server.create_station(name, county)
        world.stations[name] = sid
        enrolled = server.enroll(sid, device_name=f"{name[:3]}办公室电脑")
        world.devices[name] = Device(enrolled["device_id"], enrolled["token"], sid)
    for user, role, county in (
        ("city", "city", None),
        ("renhe", "county", "仁和区"),
        ("miyi", "county", "米易县"),
    ):
        args = ["create-user", "--name", user, "--role", role, "--password", PASSWORD]
        if county:
            args += ["--county", county]
        server.admin(*args)
    # 大田镇: population 10,000; three activities this year (one for 老年人, a special group),
    # one last year, one deleted.
    dt = world.devices["大田镇综合文化站"]
    dt.push(
        server.url,
        [
            facts(dt.station_id, year, 10_000),
            (
                "activities",
                str(uuid.uuid4()),
                activity(f"{year}-01-15", attendance=120, groups=("elderly",)),
            ),
            ("activities", str(uuid.uuid4()), activity(f"{year}-01-20", attendance=80)),
            (
                "activities",
                str(uuid.uuid4()),
                activity(f"{year}-01-25", attendance=55, groups=("ethnic",)),
            ),
            ("activities", str(uuid.uuid4()), activity(f"{year - 1}-06-01", attendance=999)),
            (
                "activities",
                str(uuid.uuid4()),
                {**activity(f"{year}-01-10", attendance=500), "deleted": True},
            ),
        ],
        client_time_ms=hlc.wall_ms() + 3 * 3600 * 1000,
    )  # its clock is 3 hours fast
    my = world.devices["攀莲镇综合文化站"]
    my.push(
        server.url,
        [
            facts(my.station_id, year, 5_000),
            (
                "activities",
                str(uuid.uuid4()),
                activity(f"{year}-01-05", attendance=40, title="米易县的秘密活动"),
            ),
        ],
    )
    return world


def fill_lists(server: Any, counties: dict[str, int], year: int) -> None:
    """What the city's lists show, written straight into the server's tables (issue 16):
    ``counties`` ``{county: stations}``; two devices a station (some silent, never synced, with an
    error, a clock far off, data that differ, revoked); enrollment codes; set-aside changes (70
    of them in 米易县, if it has stations); submitted and decided periods of ``year``; late
    changes."""
    import random

    from pzh_core.schema import det_id

    day, hour = 24 * 3600 * 1000, 3600 * 1000
    rng = random.Random(16)
    s = server._storage()
    try:
        now = s.now()
        ids = {c: [s.create_station(f"{c}第{n:02d}镇", c).id for n in range(k)] for c, k in
               counties.items()}  # fmt: skip
        rows = []
        for sid in (i for c in ids.values() for i in c):
            for n in range(2):
                r = rng.random()
                last = None if r < 0.05 else now - (30 * day if r < 0.15 else hour)
                rows.append((str(uuid.uuid4()), sid, uuid.uuid4().hex, "电脑" if n else "vm",
                             now - day, last, rng.choice([0, 0, 0, 2 * hour, -26 * hour]),
                             "批次被拒绝" if rng.random() < 0.06 else "",
                             rng.choice([1, 1, 1, 1, 0, None]),
                             now - hour if rng.random() < 0.04 else None))  # fmt: skip
        s.engine.write(
            lambda c: c.executemany(
                "INSERT INTO srv_devices (id, station_id, token_hash, name, created_ms,"
                " last_sync_ms, skew_ms, last_error, digest_ok, revoked_ms)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        )
        aside = [
            (row[1], row[0], n, str(uuid.uuid4()), now - (1000 - n) * 1000)
            for n, row in enumerate(rng.choices(rows, k=60) + [r for r in rows if r[1] in
                                    ids.get("米易县", [])][:70])
        ]  # fmt: skip
        every = [i for c in ids.values() for i in c]
        codes = [(f"T{n:04d}", sid, now - n * 1000, now + day) for n, sid in
                 enumerate(rng.choices(every, k=75))]  # fmt: skip
        s.engine.write(
            lambda c: c.executemany(
                "INSERT INTO srv_codes (code, station_id, created_ms, expires_ms)"
                " VALUES (?, ?, ?, ?)",
                codes,
            )
        )
        s.engine.write(
            lambda c: c.executemany(
                "INSERT INTO srv_set_aside (station_id, device_id, seq, tbl, row_id, stamp,"
                " fields, code, message, errors, created_ms) VALUES (?, ?, ?, 'activities', ?,"
                " '0', '{}', 'invalid', '活动标题过长', '{}', ?)",
                aside,
            )
        )
        states = ["submitted", "approved", "returned", "unlocked", "accepted", "withdrawn"]
        prows = [
            (det_id("period", sid, p), sid, p, rng.choice(states))
            for sid in every
            for p in [f"{year}-{m:02d}" for m in range(1, 13)] + [str(year), f"{year - 1}-05"]
            if rng.random() < 0.85
        ]
        late = [
            (str(uuid.uuid4()), row[1], row[0], n, str(uuid.uuid4()), f"{n:04d}",
             rng.choice(["pending", "pending", "accepted"]))
            for n, row in enumerate(rng.choices(rows, k=130))
        ]  # fmt: skip

        def more(c) -> None:  # noqa: ANN001
            c.executemany(
                "INSERT INTO periods (id, station_id, period, status) VALUES (?, ?, ?, ?)", prows
            )
            c.executemany(
                "INSERT INTO late_changes (id, station_id, device, seq, tbl, row_id, fields,"
                " message, decision, updated_at) VALUES (?, ?, ?, ?, 'activities', ?, '{}',"
                " '时段已审核', ?, ?)",
                [(i, sid, d, n, r, dec, u) for i, sid, d, n, r, u, dec in late],
            )

        s.engine.write(more)
    finally:
        s.close()
