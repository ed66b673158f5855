"""The database worker is the station file's only owner: while the app runs, enrolls, syncs both
ways, saves records, backs up and shows the overview, exactly one read-write sqlite connection
is ever opened on the station file, on the database worker's thread (issue 11 §2)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading

from pzh_core.domain.activity import Activity
from pzh_station.services import maintenance
from pzh_station.services.activities import ActivityService
from pzh_station.ui.app import Launcher
from pzh_station.ui.sync_page.agent import agent_for
from tests.server_fixtures import ROOT, _env, start_server
from tests.sync_helpers import PC
from tests.ui_helpers import settle


def test_one_read_write_connection_on_the_station_file_while_the_app_runs_and_syncs(
    qtbot, tmp_path, monkeypatch
):
    data_dir = tmp_path / "desk"
    subprocess.run(
        [sys.executable, "-m", "pzh_station", "--data-dir", str(data_dir), "init"]
        + ["--station", "大田镇综合文化站", "--county", "仁和区"],
        check=True,
        env=_env(),
        cwd=ROOT,
        capture_output=True,
    )
    station_file = str((data_dir / "station.sqlite3").resolve())
    opened: list[tuple[int, bool]] = []  # (thread ident, read-only) of each connection
    real_connect = sqlite3.connect

    def connect(database, *args, **kwargs):  # noqa: ANN001, ANN202
        name = str(database)
        if name.startswith("file:"):
            readonly = "mode=ro" in name
            from urllib.parse import unquote, urlparse

            name = unquote(urlparse(name.split("?")[0]).path)
        else:
            readonly = False
        if name == station_file:
            opened.append((threading.get_ident(), readonly))
        return real_connect(database, *args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", connect)

    with start_server(tmp_path / "server") as server:
        station = server.create_station("大田镇综合文化站", "仁和区")
        launcher = Launcher(data_dir)
        launcher.start()
        try:
            qtbot.waitUntil(lambda: launcher.window is not None, timeout=10_000)
            ctx = launcher.ctx
            worker_thread = ctx.tasks.call(lambda s: threading.get_ident())
            agent = agent_for(ctx)
            with qtbot.waitSignal(agent.enrolled, timeout=20_000):
                agent.enroll(server.url, server.issue_code(station))
            # A record saved here goes up; a record from another PC comes down.
            saved: list[str] = []
            ctx.tasks.run(
                lambda s: ActivityService(s).save(
                    Activity(title="秧歌比赛", date="2026-11-01", kind="lecture")
                ),
                success=saved.append,
            )
            other = PC(tmp_path, "laptop")
            other.enroll(server.url, server.issue_code(station))
            rid = other.store.write("people", None, {"name": "别的电脑登记"})
            other.sync()
            qtbot.waitUntil(lambda: not agent.busy, timeout=20_000)
            with qtbot.waitSignal(
                ctx.tasks.changed, timeout=20_000, check_params_cb=lambda c: "people" in c.pulled
            ):
                agent.sync_now()
            qtbot.waitUntil(
                lambda: not agent.busy and agent.status.phase == "online", timeout=20_000
            )
            assert agent.status.pending == 0
            # Backups and the overview's report read the file too.
            done: list[object] = []
            ctx.tasks.run(lambda s: maintenance.backup_now(s.data_dir), success=done.append)
            launcher.window.show_page("overview")
            settle(qtbot, ctx)
            qtbot.waitUntil(lambda: bool(done), timeout=10_000)
            pulled = ctx.tasks.call(lambda s: s.store.get("people", rid))
            assert pulled["name"] == "别的电脑登记"
            other.sync()
            agent.shutdown()
        finally:
            if launcher.window is not None:
                launcher.window.close()
            launcher.shutdown()

    writers = [ident for ident, readonly in opened if not readonly]
    assert writers == [worker_thread], opened
    assert other.store.get("activities", saved[0])["title"] == "秧歌比赛"
