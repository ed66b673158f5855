"""The web overview's figures: the desktop reports' definitions, over records synced from PCs."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest

from pzh_core import indicators
from pzh_core.period import Period
from tests import server_fixtures
from tests.server_fixtures import start_server
from tests.web_support import make_world, web_client

YEAR = dt.date.today().year - 1
sync_server = server_fixtures.sync_server


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, module_database):
    where = tmp_path_factory.mktemp("webfig") / "server"
    with start_server(where, database=module_database) as server:
        yield server, make_world(server, YEAR)


def _csv(client, year: int) -> dict[str, list[str]]:
    r = client.get(f"/web/export/overview.csv?year={year}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(rows[0]) == 1 and "统计截至" in rows[0][0]  # what the sheet covers
    return {row[1]: row for row in rows[2:]} | {"__header__": rows[1]}


def test_overview_counts_what_the_stations_synced(world) -> None:
    server, w = world
    with web_client(server.url, "city") as c:
        table = _csv(c, YEAR)
        head = table["__header__"]
        dt_row = dict(zip(head, table["大田镇综合文化站"], strict=True))
        # 3 activities in the year: the deleted one and last year's do not count.
        assert dt_row["活动场次"] == "3"
        assert dt_row["参与人次"] == "255"
        assert dt_row["常住人口"] == "10000"
        assert float(dt_row["人均参与次数"]) == pytest.approx(0.026, abs=0.001)
        # Only the activity for 老年人 is for a special group (少数民族 alone is not).
        assert dt_row["特殊群体活动场次"] == "1"
        assert float(dt_row["活动场次目标（按时间折算）"]) == pytest.approx(14.6)
        assert float(dt_row["人均参与次数目标（折算）"]) == pytest.approx(1.25)
        renhe = dict(zip(head, table["仁和区（2个站）"], strict=True))
        assert renhe["活动场次"] == "3" and float(
            renhe["活动场次目标（按时间折算）"]
        ) == pytest.approx(29.2)
        total = dict(zip(head, table["全市合计（3个站）"], strict=True))
        assert (
            total["活动场次"] == "4" and total["参与人次"] == "295" and total["常住人口"] == "15000"
        )
        assert float(total["人均参与次数"]) == pytest.approx(295 / 15000, abs=0.001)
        # The year before: only that one activity.
        before = dict(zip(head, _csv(c, YEAR - 1)["大田镇综合文化站"], strict=True))
        assert before["活动场次"] == "1" and before["参与人次"] == "999"

        # The same numbers as the indicator functions give on the server's replica tables.
        storage = server._storage()
        try:
            want = indicators.compute(
                storage.indicator_db(),
                list(w.stations.values()),
                Period(YEAR, None, dt.date.today()),
                ["activities", "person_visits", "special_group_activities", "trainee_visits"],
            )
        finally:
            storage.close()
        assert [
            int(total[k]) for k in ("活动场次", "参与人次", "特殊群体活动场次", "培训签到人次")
        ] == list(want.values())

        xlsx = c.get(f"/web/export/overview.xlsx?year={YEAR}")
        assert xlsx.status_code == 200
        ws = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
        values = [[cell.value for cell in row] for row in ws.iter_rows()]
        assert values[0][0].startswith("全市文化站概览") and values[1] == head
        xrow = next(r for r in values if r[1] == "大田镇综合文化站")
        assert xrow[2] == 3 and xrow[5] == 255 and xrow[6] == 10000
        # Rates are percentages with a number format (the page's 21%, not 0.205).
        rate = head.index("活动完成率")
        assert dt_row["活动完成率"] == "21%"
        cell = next(r for r in ws.iter_rows() if r[1].value == "大田镇综合文化站")[rate]
        assert cell.number_format == "0%" and cell.value == pytest.approx(3 / 14.6, abs=1e-4)
        # Each station's last sync; the one that never synced says so.
        assert dt_row["最近同步"].startswith(str(dt.date.today().year))
        assert dict(zip(head, table["同德镇综合文化站"], strict=True))["最近同步"] == "从未同步"

        html = c.get(f"/web/?year={YEAR}").text
        assert "全市合计" in html and 'id="chart-counties"' in html and "echarts.min.js" in html


def test_station_page_months_and_latest_activities(world) -> None:
    server, w = world
    sid = w.stations["大田镇综合文化站"]
    with web_client(server.url, "renhe") as c:
        html = c.get(f"/web/station/{sid}?year={YEAR}").text
        month_table = html.split('id="month-table"')[1].split("</table>")[0]
        jan = month_table.split("<td>1月</td>")[1].split("</tr>")[0]
        assert '<td class="n">3</td>' in jan and '<td class="n">255</td>' in jan
        feb = month_table.split("<td>2月</td>")[1].split("</tr>")[0]
        assert '<td class="n">0</td>' in feb
        latest = html.split('id="latest-table"')[1].split("</table>")[0]
        assert latest.count("<tr>") == 1 + 3  # header + the year's three activities, newest first
        assert latest.index(f"{YEAR}-01-25") < latest.index(f"{YEAR}-01-15")
        assert "文艺演出" in latest


def test_sync_health_shows_devices_skew_and_silent_stations(world) -> None:
    server, w = world
    with web_client(server.url, "city") as c:
        html = c.get("/web/health").text
        dev = w.devices["大田镇综合文化站"]
        row = html.split(f'data-device="{dev.id}"')[1].split("</tr>")[0]
        assert "快3.0小时" in row and "正常" in row
        # 同德镇's device enrolled but never synced: it stands out.
        stations = html.split('id="health-stations"')[1].split("</table>")[0]
        tongde = [r for r in stations.split("<tr") if "同德镇综合文化站" in r][0]
        assert 'class="silent"' in tongde and "从未同步" in tongde
        datian = [r for r in stations.split("<tr") if "大田镇综合文化站" in r][0]
        assert "silent" not in datian


COMPARED = (
    "activities",
    "activities_target",
    "person_visits",
    "population",
    "visits_per_resident",
    "special_group_activities",
    "special_group_visits",
    "training_classes",
    "training_sessions",
    "trainee_visits",
    "volunteers_active",
    "volunteers_serving",
    "volunteer_hours_verified",
)


def test_web_figures_equal_the_desktop_reports_after_a_real_sync(sync_server, cli) -> None:
    """A station PC with a year of demo records syncs with ``pzh-station sync``; the web overview
    shows for that station exactly what ``pzh-station report summary`` computes on the PC."""
    import json

    from pzh_core.china_tz import china_today

    sid = sync_server.create_station("测试镇综合文化站", "仁和区")
    cli(
        "init",
        "--station",
        "测试镇综合文化站",
        "--county",
        "仁和区",
        "--population",
        "20000",
        check=True,
    )
    cli("demo-data", check=True)
    cli("enroll", "--server", sync_server.url, "--code", sync_server.issue_code(sid), check=True)
    cli("sync", check=True)
    sync_server.admin(
        "create-user", "--name", "city", "--role", "city", "--password", "correct-horse-9"
    )
    today = china_today(int(dt.datetime.now().timestamp() * 1000))  # the server's "today" (China)
    with web_client(sync_server.url, "city") as c:
        for year in (today.year, today.year - 1):
            desk = json.loads(
                cli(
                    "report",
                    "summary",
                    "--year",
                    str(year),
                    "--as-of",
                    today.isoformat(),
                    "--json",
                    check=True,
                ).stdout
            )
            table = _csv(c, year)
            row = dict(zip(table["__header__"], table["测试镇综合文化站"], strict=True))
            assert int(row["活动场次"]) > 0 or year < today.year
            for key in COMPARED:
                label = indicators.INDICATORS[key].label
                want = desk[key]
                got = row[label]
                if want is None:
                    assert got == "", (year, key)
                else:
                    assert float(got) == pytest.approx(want, abs=0.051), (year, key, got, want)
            # The station page shows the figures left out of the overview, by the same rules.
            html = c.get(f"/web/station/{sid}?year={year}").text
            assert f"结业 {desk['completers']:,}）" in html, (year, desk["completers"])


def test_sync_flags_clock_and_device_labels() -> None:
    from sync.server.storage import Device
    from sync.server.web import figures

    day = figures.DAY_MS
    now = 1_780_000_000_000
    assert figures.sync_flag(None, now) == "从未同步"
    assert figures.sync_flag(now - 3 * day, now) == ""
    assert figures.sync_flag(now - 12 * day - 5, now) == "超过12天未同步"
    assert figures.clock_far_off(-400 * day) and figures.clock_far_off(2 * 3600 * 1000)
    assert not figures.clock_far_off(4 * 60 * 1000) and not figures.clock_far_off(None)
    devs = [
        Device("aaaaaa11", "s1", "vm", "1", now),
        Device("bbbbbb22", "s1", "VM ", "1", now + day),
        Device("cccccc33", "s2", "vm", "1", now),
        Device("dddddd44", "s2", "", "1", now),
    ]
    labels = figures.device_labels(devs)
    assert labels["aaaaaa11"] != labels["bbbbbb22"]
    assert labels["aaaaaa11"].startswith("vm（aaaaaa") and labels["bbbbbb22"].startswith(
        "VM（bbbbbb"
    )
    assert labels["cccccc33"] == "vm"  # alone in its station: its own name
    assert labels["dddddd44"].startswith("未命名设备（dddddd")
