"""The county's summary of its stations' annual returns as a county user gets it (issue 13 §4),
in a real headless Chromium against a real server on loopback: sign in, 年报汇总 in the menu,
pick the year, read each station's status and figures, download the .xlsx and find the
hand-computed year in it. A station's figures reached the server by a real sync."""

from __future__ import annotations

import os
import re
from pathlib import Path

import openpyxl
import pytest

from pzh_core.annual_return import ITEM
from pzh_station.services.annual_facts import AnnualFactsService
from pzh_station.services.context import Services
from pzh_station.services.station import StationProfile, StationService
from tests import annual_year as ay
from tests import browser_support
from tests.browser_support import MARKS, new_page
from tests.server_fixtures import start_server
from tests.sync_helpers import PC
from tests.web_support import PASSWORD

pytestmark = MARKS
browser = browser_support.browser


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("returns")
    with start_server(root / "server") as server:
        sid = server.create_station("甲镇综合文化站", "东区")
        server.create_station("乙镇综合文化站", "东区")  # never synced
        pc = PC(root, "desk")
        services = Services(pc.data_dir, pc.store, "李明")
        StationService(services).save_profile(
            StationProfile(name="甲镇综合文化站", county="东区", staff=["李明"])
        )
        pc.enroll(server.url, server.issue_code(sid))
        ay.build(pc.store)
        AnnualFactsService(services).save(ay.YEAR, ay.FACTS, confirm=True, today=ay.AS_OF)
        pc.sync()
        pc.store.close()
        server.admin(
            "create-user", "--name", "dongqu", "--role", "county", "--county", "东区",
            "--password", PASSWORD,
        )  # fmt: skip
        yield server


def test_county_user_reads_and_downloads_the_summary(county, browser, tmp_path) -> None:
    ctx, page, errors = new_page(browser)
    try:
        page.goto(f"{county.url}/web/")
        page.get_by_label("用户名").fill("dongqu")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(re.compile(r".*/web/(\?.*)?$"))
        page.get_by_role("link", name="年报汇总").click()
        page.get_by_label("年度").select_option(str(ay.YEAR))
        page.get_by_role("button", name="查看").click()
        page.wait_for_url(f"**/web/returns?year={ay.YEAR}*")
        heads = page.locator("#returns thead th").all_inner_texts()
        assert heads[3:] == ["甲镇综合文化站", "乙镇综合文化站", "东区合计"]
        status = page.locator("#returns tr.status td").all_inner_texts()[3:]
        assert status[0] == "完整" and status[1] == "从未同步", status
        total = page.locator('#returns tr[data-key="total_activities"] td').all_inner_texts()
        assert total[3] == str(ay.EXPECTED["total_activities"]) and total[4] == "0"
        staff = page.locator('#returns tr[data-key="staff_total"] td').all_inner_texts()
        assert staff[3] == str(ay.EXPECTED["staff_total"]) and staff[4] == "—"  # no facts
        part = page.locator('#returns tr[data-key="floor_area_activity"] td').all_inner_texts()
        assert part[3:] == ["—", "—", "—"]  # not known; adds nothing
        part = page.locator('#returns tr[data-key="floor_area_office"] td').all_inner_texts()
        assert part[3] == "0" and part[5] == "0"  # a typed 0
        folder = Path(os.environ.get("PZH_SCREENSHOTS", tmp_path))
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / "county-returns.png"))
        with page.expect_download() as done:
            page.get_by_role("link", name="下载汇总表（Excel）").click()
        saved = tmp_path / done.value.suggested_filename
        done.value.save_as(saved)
        ws = openpyxl.load_workbook(saved).active
        rows = {r[1]: r[3] for r in ws.iter_rows(values_only=True) if isinstance(r[0], int)}
        for key, expected in ay.SHEET.items():
            assert rows[ITEM[key].label] == pytest.approx(expected), key
        assert errors == []
    finally:
        ctx.close()
