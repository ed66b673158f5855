"""The city's long lists in a real browser (Debian's Chromium, Playwright) against a real server
(issue 16), with the server's PZH_SYNC_STATIONS_ON_PAGE lowered so that 60 stations count as a
province: the city narrows 同步状态, 管理 and 报送审核 to a county, pages through the devices and
revokes a device on the second page, coming back to that page. Screenshots at 1366×768 in
build/screenshots/."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from tests import browser_support
from tests.browser_support import MARKS, new_page
from tests.server_fixtures import start_server
from tests.web_support import PASSWORD, fill_lists

pytestmark = MARKS
browser = browser_support.browser
YEAR = dt.date.today().year - 1
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    env = {"PZH_SYNC_STATIONS_ON_PAGE": "20"}
    with start_server(tmp_path_factory.mktemp("lists") / "server", env=env) as server:
        fill_lists(server, {"仁和区": 30, "米易县": 30}, YEAR)
        server.admin("create-user", "--name", "city", "--role", "city", "--password", PASSWORD)
        yield server


def _sign_in(page, url: str) -> None:  # noqa: ANN001
    page.goto(f"{url}/web/")
    page.get_by_label("用户名").fill("city")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r".*/web/(\?.*)?$"))


def _devices(page) -> list[str]:  # noqa: ANN001
    return page.locator("#health-devices tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.device)"
    )


def test_the_city_narrows_pages_and_revokes_on_a_later_page(server, browser) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    ctx, page, errors = new_page(browser)
    page.on("dialog", lambda d: d.accept())  # 停用 asks to confirm
    try:
        _sign_in(page, server.url)
        page.get_by_role("link", name="同步状态").click()
        page.wait_for_url("**/web/health")
        assert page.locator("#health-counties tbody tr").count() == 2
        page.screenshot(path=str(SHOTS / "lists-health-city-1366.png"))
        page.locator("#health-counties").get_by_role("link", name="米易县").click()
        page.wait_for_url(re.compile(r".*/web/health\?county=.*"))
        assert "米易县" in page.locator("h1").inner_text()
        assert "共60台" in page.locator("#devices-count").inner_text()
        first = _devices(page)
        assert len(first) == 50
        page.get_by_role("navigation", name="各设备分页").get_by_role("link", name="下一页").click()
        page.wait_for_url(re.compile(r".*dp=2.*"))
        second = _devices(page)
        assert len(second) == 10 and not set(first) & set(second)
        page.screenshot(path=str(SHOTS / "lists-health-county-page2-1366.png"), full_page=True)
        # Revoke the first device in use on this page: back on the same page of the same list.
        row = page.locator("#health-devices tbody tr", has=page.get_by_role("button", name="停用"))
        target = row.first.get_attribute("data-device")
        row.first.get_by_role("button", name="停用").click()
        page.wait_for_url(re.compile(r".*ok=revoked.*"))
        assert "county=" in page.url and "dp=2" in page.url
        assert page.locator("p.notice").inner_text().startswith("设备已停用")
        gone = page.locator(f'#health-devices tr[data-device="{target}"]')
        assert "已停用" in gone.inner_text()  # the revoked ones come last: still on page 2

        page.get_by_role("link", name="管理").click()
        page.wait_for_url("**/web/admin")
        assert "请先在上方选择县（区）" in page.locator("#code-form").inner_text()
        page.locator("#admin-counties").get_by_role("link", name="米易县").click()
        page.wait_for_url(re.compile(r".*/web/admin\?county=.*"))
        assert page.locator("#code-form option").count() == 30
        page.screenshot(path=str(SHOTS / "lists-admin-county-1366.png"))

        page.get_by_role("link", name="报送审核").click()
        page.wait_for_url("**/web/periods")
        page.locator("#periods-counties").get_by_role("link", name="仁和区").click()
        page.wait_for_url(re.compile(r".*/web/periods\?.*county=.*"))
        assert page.locator("#periods-grid tbody tr").count() == 30
        page.screenshot(path=str(SHOTS / "lists-periods-county-1366.png"))
        assert errors == []  # no script errors, no blocked scripts (CSP)
    finally:
        ctx.close()
