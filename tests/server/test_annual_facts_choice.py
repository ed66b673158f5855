"""A PC joining a station with annual facts of its own (issue 12, situation 8; issue 13 §1): a
year the server lacks is kept; a year whose facts differ from the server's is never overwritten
either way — the server's show until the user chooses, and the choice reaches the station's
other PC. Real server on loopback, real SQLite files, the ``pzh-station`` CLI for one choice."""

from __future__ import annotations

import datetime as dt

from pzh_station.services.annual_facts import AnnualFactsService
from pzh_station.services.context import Services
from pzh_station.services.station import StationProfile, StationService
from tests import server_fixtures
from tests.e2e.test_sync_epoch import cli
from tests.server_fixtures import LiveServer
from tests.sync_helpers import PC

sync_server = server_fixtures.sync_server

AS_OF = dt.date(2026, 3, 15)
STATION = {
    "staff_total": "4",
    "staff_full_time": "3",
    "books": "6200",
    "population": "1000",
    "population_source": "统计公报",
}


def facts(pc: PC, operator: str = "李明") -> AnnualFactsService:
    return AnnualFactsService(Services(pc.data_dir, pc.store, operator))


def test_joining_pc_with_differing_facts_gets_the_choice(tmp_path, sync_server: LiveServer):
    sid = sync_server.create_station("丁镇综合文化站", "东区")
    # B is the station's PC: its facts of 2024 and 2025 are on the server, confirmed.
    b = PC(tmp_path, "station")
    b.enroll(sync_server.url, sync_server.issue_code(sid))
    for year in (2024, 2025):
        facts(b, "王芳").save(year, STATION, confirm=True, today=AS_OF)
    b.sync()
    # A worked offline and typed its own: 2025 and 2024 differ, 2023 the server lacks.
    a = PC(tmp_path, "offline")
    StationService(Services(a.data_dir, a.store, "李明")).save_profile(
        StationProfile(name="丁镇综合文化站", county="东区", staff=["李明"])
    )
    facts(a).save(2025, {**STATION, "staff_total": "5", "books": "7000"}, confirm=True, today=AS_OF)
    facts(a).save(2024, {**STATION, "population": "1200"}, confirm=True, today=AS_OF)
    facts(a).save(2023, {**STATION, "staff_total": "3"}, confirm=True, today=AS_OF)
    a.enroll(sync_server.url, sync_server.issue_code(sid))
    a.sync()
    # Nothing overwritten: the server's show on A, A's wait for the choice, the server has B's.
    choices = facts(a).choices()
    assert sorted(choices) == [2024, 2025]
    assert {(label, mine, theirs) for label, mine, theirs in choices[2025]} == {
        ("年末从业人员", 5, 4),
        ("藏书", 7000, 6200),
    }
    assert [(x[1], x[2]) for x in choices[2024]] == [(1200, 1000)]
    view = facts(a).view(2025)
    assert (view.facts.staff_total, view.facts.books, view.fileable) == (4, 6200, True)
    b.sync()
    assert (
        facts(b).view(2025).facts.staff_total == 4 and facts(b).view(2024).facts.population == 1000
    )
    # The year the server lacked was kept, confirmed as it was, and reached B.
    assert facts(b).view(2023).facts.staff_total == 3 and facts(b).view(2023).fileable
    # 2025: keep what A typed — it wins everywhere and must be confirmed again.
    facts(a).choose(2025, keep_mine=True)
    # 2024: keep the server's, with the CLI.
    a.store.close()
    shown = cli(a.data_dir, "facts", "show", "--year", "2024")
    assert "与市服务器上的不同" in shown.stdout and "facts choose --year 2024" in shown.stdout
    done = cli(a.data_dir, "facts", "choose", "--year", "2024", "--keep", "server")
    assert done.returncode == 0 and "已采用服务器上的" in done.stdout, done.stderr
    assert cli(a.data_dir, "facts", "choose", "--year", "2024", "--keep", "mine").returncode == 2
    a = PC(tmp_path, "offline")
    assert facts(a).choices() == {}
    a.sync()
    b.sync()
    for pc in (a, b):
        v25, v24 = facts(pc).view(2025), facts(pc).view(2024)
        assert (v25.facts.staff_total, v25.facts.books, v25.fileable) == (5, 7000, False), pc.name
        assert (v24.facts.population, v24.fileable) == (1000, True), pc.name
    row = sync_server.query("SELECT staff_total, confirmed FROM annual_facts WHERE year = 2025")
    assert [(r["staff_total"], r["confirmed"]) for r in row] == [(5, 0)]
    for pc in (a, b):
        pc.store.close()
