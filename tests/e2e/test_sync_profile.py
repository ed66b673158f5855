"""A PC joining an existing station adopts the server's profile for the fields the server has;
what it typed offline is kept only for the fields the server lacks — never a silent overwrite of
the station's profile (issue 12, situation 8). Real server on loopback, ``pzh-station`` processes
on real files."""

from __future__ import annotations

from tests import server_fixtures
from tests.e2e.test_sync_epoch import cli, cli_sync, replica, rows
from tests.server_fixtures import LiveServer
from tests.sync_helpers import PC, server_rows

sync_server = server_fixtures.sync_server


def test_joining_pcs_adopt_the_stations_profile(tmp_path, sync_server: LiveServer):
    station = sync_server.create_station("大田镇综合文化站", "仁和区")
    # The first PC worked offline under another name, with the population typed in.
    first = PC(tmp_path, "desk")
    first.set_up_offline("测试镇综合文化站")  # population 20,000
    first.store.close()
    a = first.data_dir
    done = cli(a, "enroll", "--server", sync_server.url, "--code", sync_server.issue_code(station))
    assert done.returncode == 0, done.stderr
    assert "测试镇综合文化站" in done.stdout and "已采用服务器上的“大田镇综合文化站”" in done.stdout
    cli_sync(a)
    # A second PC set up with init (no population) then enrolled and synced.
    b = tmp_path / "laptop"
    init = cli(b, "init", "--station", "大田镇综合文化站", "--county", "仁和区")
    assert init.returncode == 0, init.stderr
    assert (
        cli(
            b, "enroll", "--server", sync_server.url, "--code", sync_server.issue_code(station)
        ).returncode
        == 0
    )
    cli_sync(b)
    cli_sync(a)
    for pc in (a, b):
        profile = rows(pc, "stations")[station]
        assert (profile["name"], profile["population"]) == ("大田镇综合文化站", 20_000), pc
    srv = server_rows(sync_server, "stations", station)[station]
    assert (srv["name"], srv["population"]) == ("大田镇综合文化站", 20_000)
    assert replica(a) == replica(b)
