"""End to end in a real headless browser (Debian's Chromium driven by Playwright) against a real
server on loopback: sign in, overview, station page, issue a code, revoke a device; phone and
1366×768 layouts."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import httpx
import pytest

from tests.server_fixtures import start_server
from tests.web_support import PASSWORD, make_world

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium (/usr/bin/chromium): apt-get install chromium",
    ),
]
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
YEAR = dt.date.today().year - 1


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):
    with start_server(tmp_path_factory.mktemp("webui") / "server") as server:
        yield server, make_world(server, YEAR)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


def _page(browser, *, width: int = 1366, height: int = 768, mobile: bool = False):
    ctx = browser.new_context(
        viewport={"width": width, "height": height},
        is_mobile=mobile,
        has_touch=mobile,
        locale="zh-CN",
    )
    page = ctx.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return ctx, page, errors


def _sign_in(page, url: str, name: str) -> None:
    page.goto(f"{url}/web/")
    assert "/web/login" in page.url
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r".*/web/(\?.*)?$"))


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_sign_in_overview_station_code_and_revoke(world, browser) -> None:
    server, w = world
    ctx, page, errors = _page(browser)
    try:
        _sign_in(page, server.url, "renhe")
        page.get_by_label("年份").select_option(str(YEAR))  # the page reloads for that year
        page.wait_for_url(f"**/web/?year={YEAR}")
        rows = page.locator("#station-table tbody tr")
        assert rows.count() == 2
        datian = rows.filter(has_text="大田镇综合文化站")
        assert datian.locator("td").nth(2).inner_text() == "3"
        assert page.locator("#station-table").inner_text().count("攀莲镇") == 0
        # The charts are drawn (ECharts from this server: a canvas in each box).
        page.wait_for_selector("#chart-counties canvas")
        page.wait_for_selector("#chart-stations canvas")
        # Sorting by a header: descending activities puts 大田镇 (3) above 同德镇 (0).
        header = page.locator("#station-table thead th", has_text="活动场次")
        header.click()
        header.click()
        assert header.get_attribute("aria-sort") == "descending"
        assert "大田镇" in rows.nth(0).inner_text()
        header.click()
        assert "同德镇" in rows.nth(0).inner_text()
        assert _no_horizontal_scroll(page)

        # The station page.
        page.locator("#station-table").get_by_role("link", name="大田镇综合文化站").click()
        page.wait_for_url(f"**/web/station/{w.stations['大田镇综合文化站']}?year={YEAR}")
        assert "大田镇综合文化站" in page.locator("h1").inner_text()
        jan = page.locator("#month-table tbody tr").first
        assert jan.locator("td").nth(1).inner_text() == "3"
        assert page.locator("#latest-table tbody tr").count() == 3
        page.wait_for_selector("#chart-months canvas")

        # Issue an enrollment code: the printable card shows it with the server address.
        page.get_by_label("有效天数").fill("10")
        page.get_by_role("button", name="发放邀请码").click()
        page.wait_for_url("**/web/admin/codes/*")
        code = page.locator("#card-code").inner_text().strip()
        assert re.fullmatch(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}", code)
        assert page.locator("#card-server").inner_text().strip() == server.url
        enroll = httpx.post(
            f"{server.url}/v1/enroll",
            json={
                "protocol": 1,
                "code": code.lower(),
                "device_name": "新笔记本",
                "app_version": "t",
            },
        )
        assert (
            enroll.status_code == 200
            and enroll.json()["station"]["id"] == w.stations["大田镇综合文化站"]
        )

        # Revoke the station's first device (confirming the dialog); it can no longer sync.
        page.get_by_role("link", name=re.compile("返回")).click()
        device = w.devices["大田镇综合文化站"]
        page.once("dialog", lambda d: d.accept())
        row = page.locator("#device-table tbody tr", has_text=device.id)
        row.get_by_role("button", name="停用").click()
        page.wait_for_url("**?ok=revoked")
        assert "设备已停用" in page.locator(".notice").inner_text()
        assert "已停用" in page.locator("#device-table tbody tr", has_text=device.id).inner_text()
        r = httpx.post(
            f"{server.url}/v1/sync",
            json={"protocol": 1, "push": [], "cursor": 0},
            headers={"Authorization": f"Bearer {device.token}"},
        )
        assert r.status_code == 403
        # The new laptop is listed and still works.
        assert "新笔记本" in page.locator("#device-table").inner_text()

        # Sign out: back to the sign-in page, and the pages are closed again.
        page.get_by_role("button", name="退出").click()
        page.wait_for_url("**/web/login")
        page.goto(f"{server.url}/web/health")
        assert "/web/login" in page.url
        assert errors == []  # no script errors, no blocked scripts (CSP)
    finally:
        ctx.close()


def test_sync_health_and_admin_pages_in_the_browser(world, browser) -> None:
    server, w = world
    ctx, page, errors = _page(browser)
    try:
        _sign_in(page, server.url, "city")
        page.get_by_role("link", name="同步状态").click()
        page.wait_for_url("**/web/health")
        silent = page.locator("#health-stations tbody tr.silent")
        assert silent.filter(has_text="同德镇综合文化站").count() == 1
        assert page.locator("#health-stations tbody tr", has_text="攀莲镇综合文化站").count() == 1

        page.get_by_role("link", name="管理").click()
        page.wait_for_url("**/web/admin")
        page.locator("#station-form").get_by_label("名称").fill("格里坪镇综合文化站")
        page.locator("#station-form").get_by_label("县（区）").select_option("西区")
        page.locator("#station-form").get_by_role("button", name="创建").click()
        page.wait_for_url("**/web/station/*?ok=station")
        assert "格里坪镇综合文化站" in page.locator("h1").inner_text()
        assert "西区" in page.locator("h1").inner_text()
        assert errors == []
    finally:
        ctx.close()


def test_phone_layout(world, browser) -> None:
    server, w = world
    ctx, page, errors = _page(browser, width=390, height=844, mobile=True)
    try:
        _sign_in(page, server.url, "city")
        assert _no_horizontal_scroll(page)  # wide tables scroll inside their own box
        assert page.get_by_role("link", name="同步状态").is_visible()
        assert page.locator("#station-table").is_visible()
        page.wait_for_selector("#chart-counties canvas")
        page.goto(f"{server.url}/web/station/{w.stations['大田镇综合文化站']}?year={YEAR}")
        assert _no_horizontal_scroll(page)
        assert page.get_by_role("button", name="发放邀请码").is_visible()
        assert errors == []
    finally:
        ctx.close()
