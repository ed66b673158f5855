"""同步状态 at a province's shape (issue 16): the lists are filtered, ordered and paged in SQL, so
these tests walk every page as each user and compare what the pages show with an independent
statement over every device and station (``Storage.list_devices``/``list_stations`` and the
shared definitions ``figures.silent``/``clock_far_off``): a county user never sees another
county's station, device or set-aside change; every row in scope is on exactly one page; those
needing attention come first; the counts equal the rows."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest

from sync.server.approvals import LOCKING_OR_DONE as DONE
from sync.server.web import figures
from sync.server.web.paging import PAGE_SIZE
from tests.server_fixtures import LiveServer, start_server
from tests.web_support import PASSWORD, fill_lists, web_client

PYEAR = dt.date.today().year - 1  # a whole past year: every month has ended
DAY = 24 * 3600 * 1000
HOUR = 3600 * 1000
COUNTIES = {
    "仁和区": 61,
    "米易县": 37,
    "东区": 4,
}  # 仁和区: two pages of stations, three of devices


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, module_database):
    where = tmp_path_factory.mktemp("health")
    env = {"PZH_SYNC_STATIONS_ON_PAGE": "80"}  # the city's whole list is "a province's"
    with start_server(where, database=module_database, env=env) as server:
        fill_lists(server, COUNTIES, PYEAR)
        for args in (
            ("--name", "city", "--role", "city"),
            ("--name", "renhe", "--role", "county", "--county", "仁和区"),
            ("--name", "miyi", "--role", "county", "--county", "米易县"),
        ):
            server.admin("create-user", *args, "--password", PASSWORD)
        yield server


def _truth(server: LiveServer, county: str = "") -> dict:
    """Stations, devices and set-aside changes of ``county`` (all: "") stated independently."""
    s = server._storage()
    try:
        now = s.now()
        stations = {st.id: st for st in s.list_stations() if not county or st.county == county}
        devices = [d for d in s.list_devices() if d.station_id in stations]
        aside = [a for a in s.list_set_aside(limit=100_000) if a["station_id"] in stations]
        codes = [(c.code, c.station_id) for c in s.list_codes() if c.station_id in stations]
    finally:
        s.close()

    def attention(d) -> bool:  # noqa: ANN001
        return not d.revoked and (
            figures.silent(d.last_sync_ms, now)
            or bool(d.last_error)
            or figures.clock_far_off(d.skew_ms)
            or d.digest_ok == 0
        )

    live = [d for d in devices if not d.revoked]
    last = figures.last_sync_by_station(devices)
    return {
        "stations": set(stations),
        "county_of": {sid: st.county for sid, st in stations.items()},
        "devices": {d.id for d in devices},
        "station_of": {d.id: d.station_id for d in devices},
        "live": {d.id for d in live},
        "revoked": {d.id for d in devices if d.revoked},
        "attention": {d.id for d in devices if attention(d)},
        "silent_stations": {sid for sid in stations if figures.silent(last.get(sid), now)},
        "problem_stations": {
            d.station_id
            for d in live
            if d.last_error or figures.clock_far_off(d.skew_ms) or d.digest_ok == 0
        },
        "aside": Counter(a["station_id"] for a in aside),
        "codes": codes,  # newest first
    }


def _walk(client, path: str, table: str, param: str, key: str) -> list[str]:  # noqa: ANN001
    """The ``data-{key}`` of every row of ``table`` over all its pages, in order."""
    got: list[str] = []
    sep = "&" if "?" in path else "?"
    for number in range(1, 100):
        html = client.get(f"{path}{sep}{param}={number}").text
        body = html.split(f'id="{table}"')[1].split("</table>")[0]
        rows = re.findall(rf'data-{key}="([^"]+)"', body)
        assert len(rows) <= PAGE_SIZE
        got += rows
        if f"{param}={number + 1}" not in html.split(f'id="{table}"')[1]:
            return got
    raise AssertionError("no last page")


@pytest.mark.parametrize(
    ("user", "path", "county"),
    [
        ("city", "/web/health", ""),
        ("city", "/web/health?county=%E4%BB%81%E5%92%8C%E5%8C%BA", "仁和区"),
        ("renhe", "/web/health", "仁和区"),
        ("miyi", "/web/health", "米易县"),
    ],
)
def test_every_device_in_scope_once_attention_first_and_no_other_county(
    world, user: str, path: str, county: str
) -> None:
    truth = _truth(world, county)
    with web_client(world.url, user) as c:
        devices = _walk(c, path, "health-devices", "dp", "device")
        stations = _walk(c, path, "health-stations", "sp", "station")
        aside = _walk(c, path, "health-set-aside", "ap", "station")
        html = c.get(path).text
    assert len(devices) == len(set(devices)) and set(devices) == truth["devices"]
    assert len(stations) == len(set(stations)) and set(stations) == truth["stations"]
    assert Counter(aside) == truth["aside"]  # every set-aside change of the scope, no other
    # Attention first, then the rest in use, then the revoked ones.
    rank = [0 if d in truth["attention"] else 2 if d in truth["revoked"] else 1 for d in devices]
    assert rank == sorted(rank)
    first = truth["silent_stations"] | truth["problem_stations"]
    srank = [0 if s in truth["silent_stations"] else 1 if s in first else 2 for s in stations]
    assert srank == sorted(srank)
    # The counts said above the lists are the rows in them.
    live, attention = len(truth["live"]), len(truth["attention"])
    assert f"共{len(devices)}台（在用{live}台，需要关注{attention}台）" in html
    assert f"共{len(stations)}个，需要关注{len(first)}个" in html
    assert f"共{sum(truth['aside'].values())}条" in html


def test_the_city_sees_each_countys_counts_and_their_sum(world) -> None:
    truth = _truth(world)
    with web_client(world.url, "city") as c:
        html = c.get("/web/health").text
    table = html.split('id="health-counties"')[1].split("</table>")[0]
    total: Counter[int] = Counter()
    of = truth["county_of"]
    for county in COUNTIES:
        row = table.split(f'data-county="{county}"')[1].split("</tr>")[0]
        cells = [int(v.replace(",", "")) for v in re.findall(r'<td class="n">([\d,]+)</td>', row)]
        mine = {s for s in truth["stations"] if of[s] == county}
        devs = {d for d, s in truth["station_of"].items() if of[s] == county}
        first = truth["silent_stations"] | truth["problem_stations"]
        want = [
            len(mine),
            len(truth["silent_stations"] & mine),
            len(first & mine),
            len(truth["live"] & devs),
            len(truth["attention"] & devs),
        ]
        assert cells[:5] == want, county
        total.update(dict(enumerate(cells)))
    foot = table.split('class="total"')[1]
    sums = [int(v.replace(",", "")) for v in re.findall(r'<td class="n">([\d,]+)</td>', foot)]
    assert sums == [total[i] for i in range(len(sums))]
    assert sums[0] == len(truth["stations"]) and sums[3] == len(truth["live"])
    assert sums[4] == len(truth["attention"])


def test_a_county_user_cannot_narrow_to_another_county_or_its_station(world) -> None:
    other = _truth(world, "米易县")
    with web_client(world.url, "renhe") as c:
        assert c.get("/web/health?county=%E7%B1%B3%E6%98%93%E5%8E%BF").status_code == 404
        assert c.get(f"/web/health?station={next(iter(other['stations']))}").status_code == 404
        html = c.get("/web/health").text
    for sid in other["stations"]:
        assert sid not in html
    for did in other["devices"]:
        assert did not in html


def test_one_station_and_bad_page_numbers(world) -> None:
    truth = _truth(world, "仁和区")
    sid = sorted(truth["stations"])[0]
    with web_client(world.url, "renhe") as c:
        html = c.get(f"/web/health?station={sid}").text
        assert 'id="health-stations"' not in html  # one station: its devices and changes
        shown = set(re.findall(r'data-device="([^"]+)"', html))
        s = world._storage()
        try:
            assert shown == {d.id for d in s.list_devices(station_id=sid)}
        finally:
            s.close()
        for bad in ("0", "x", "-1", "99999999"):
            r = c.get(f"/web/health?dp={bad}")
            assert r.status_code == 400 and "页码不正确" in r.text
        past = c.get("/web/health?dp=500").text  # past the end: the last page
        assert re.search(r"第(\d+)/\1页", past)


@pytest.mark.parametrize(
    ("user", "path", "county"),
    [
        ("city", "/web/admin", ""),
        ("city", "/web/admin?county=%E7%B1%B3%E6%98%93%E5%8E%BF", "米易县"),
        ("renhe", "/web/admin", "仁和区"),
        ("renhe", "/web/admin?county=%E7%B1%B3%E6%98%93%E5%8E%BF", "仁和区"),  # theirs only
    ],
)
def test_the_administration_lists_are_paged_within_the_users_scope(
    world, user: str, path: str, county: str
) -> None:
    truth = _truth(world, county)
    with web_client(world.url, user) as c:
        stations = _walk(c, path, "admin-stations", "sp", "station")
        codes = _walk(c, path, "admin-codes", "cp", "station")
        html = c.get(path).text
        code_ids = re.findall(r'href="/web/admin/codes/([^"]+)"', html)
    assert len(stations) == len(set(stations)) and set(stations) == truth["stations"]
    assert Counter(codes) == Counter(sid for _, sid in truth["codes"])  # every one, no other
    assert code_ids == [code for code, _ in truth["codes"]][:PAGE_SIZE]  # newest first
    assert f"共{len(stations)}个</span>" in html and f"共{len(codes)}个，新的在前" in html
    # The forms list the scope's stations; the city's whole list (over the server's
    # PZH_SYNC_STATIONS_ON_PAGE) is not put into a list: a county is chosen first.
    form = html.split('id="code-form"')[1].split("</form>")[0]
    options = re.findall(r'<option value="([^"]+)"', form)
    if county:
        assert set(options) == truth["stations"]
    else:
        assert options == [] and "请先在上方选择县（区）" in form


def _periods_truth(server: LiveServer, county: str) -> dict:
    """The year's periods, missing stations and pending late changes of ``county`` ("" = all),
    stated over every row."""
    s = server._storage()
    try:
        stations = {
            st.id: st.county for st in s.list_stations() if not county or st.county == county
        }
        periods = [p for p in s.list_periods() if p["station_id"] in stations]
        late = [r for r in s.list_late_changes() if r["station_id"] in stations]
    finally:
        s.close()
    mine = [p for p in periods if p["period"].startswith(str(PYEAR))]
    done = {(p["station_id"], p["period"]) for p in mine if p["status"] in DONE}
    months = [f"{PYEAR}-{m:02d}" for m in range(1, 13)]
    return {
        "stations": stations,
        "missing": {sid for sid in stations if any((sid, m) not in done for m in months)},
        "states": Counter((stations[p["station_id"]], p["status"]) for p in mine),
        "late": {r["id"] for r in late if r["decision"] == "pending"},
    }


@pytest.mark.parametrize(
    ("user", "query", "county"),
    [
        ("city", "&county=%E4%BB%81%E5%92%8C%E5%8C%BA", "仁和区"),
        ("renhe", "", "仁和区"),
        ("miyi", "", "米易县"),
    ],
)
def test_the_periods_lists_are_paged_within_the_users_county(
    world, user: str, query: str, county: str
) -> None:
    truth = _periods_truth(world, county)
    path = f"/web/periods?year={PYEAR}{query}"
    with web_client(world.url, user) as c:
        grid = _walk(c, path, "periods-grid", "sp", "station")
        missing = _walk(c, path, "periods-missing", "mp", "station")
        late = _walk(c, path, "late-changes", "lp", "late")
        html = c.get(path).text
    assert len(grid) == len(set(grid)) and set(grid) == set(truth["stations"])
    assert len(missing) == len(set(missing)) and set(missing) == truth["missing"]
    assert len(late) == len(set(late)) and set(late) == truth["late"]
    assert f"共{len(missing)}个，等待最久的在前" in html and f"共{len(late)}条" in html


def test_the_city_sees_the_periods_per_county_above_the_stations_on_page(world) -> None:
    truth = _periods_truth(world, "")
    with web_client(world.url, "city") as c:
        html = c.get(f"/web/periods?year={PYEAR}").text
        late = _walk(c, f"/web/periods?year={PYEAR}", "late-changes", "lp", "late")
    assert 'id="periods-grid"' not in html  # 102 stations > 80: one row per county
    table = html.split('id="periods-counties"')[1].split("</table>")[0]
    for county in COUNTIES:
        row = table.split(f'data-county="{county}"')[1].split("</tr>")[0]
        cells = [int(v.replace(",", "")) for v in re.findall(r'<td class="n">([\d,]+)</td>', row)]
        mine = {sid for sid, c in truth["stations"].items() if c == county}
        states = [truth["states"][(county, k)] for k in
                  ("submitted", "returned", "unlocked", "approved", "accepted")]  # fmt: skip
        assert cells == [len(mine), len(truth["missing"] & mine), *states], county
    assert set(late) == truth["late"]
    with web_client(world.url, "renhe") as c:
        assert c.get("/web/periods?county=%E7%B1%B3%E6%98%93%E5%8E%BF").status_code == 404
