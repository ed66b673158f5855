"""Helpers for the web page tests: sign in over HTTP, push synced records as a station PC does,
and a small world of two counties on a real server."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

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
