"""What a county sees, in a real headless Chromium (Playwright) against a real server on loopback
whose clock the test moves: silent stations flagged in words, clocks far off, devices told apart,
the phone's first screen, keyboard sorting, contrast, empty and crowded charts, and a session
that expires while a form is open."""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from pzh_core import hlc
from tests.web_support import PASSWORD, Device, activity, facts

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (/usr/bin/chromium)"),
]
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--no-first-run", "--disable-sync"]
DAY = 24 * 3600 * 1000
YEAR = dt.date.today().year
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
MANY = 64  # stations of 东区 (the per-station chart must stay readable)


class Clock:
    """The server's clock: real time plus an offset the test moves."""

    def __init__(self) -> None:
        self.offset = 0

    def __call__(self) -> int:
        return hlc.wall_ms() + self.offset


class World:
    def __init__(self, url: str, clock: Clock, app) -> None:
        self.url = url
        self.clock = clock
        self.app = app
        self.stations: dict[str, str] = {}


def _serve(app) -> tuple[str, object, threading.Thread]:
    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    return f"http://127.0.0.1:{port}", server, thread


def _enroll(w: World, sid: str, name: str) -> Device:
    from sync.server import admin

    code = admin.issue_code(w.app.state.storage, sid).code
    r = httpx.post(
        f"{w.url}/v1/enroll",
        json={"protocol": 1, "code": code, "device_name": name, "app_version": "t"},
        timeout=30,
    )
    r.raise_for_status()
    return Device(r.json()["device_id"], r.json()["token"], sid)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):
    from sync.server import admin
    from sync.server.app import ServerSettings, create_app
    from sync.server.web.accounts import AccountStore

    data = tmp_path_factory.mktemp("county") / "server"
    clock = Clock()
    app = create_app(data, now=clock, settings=ServerSettings(enroll_burst=1000, sync_burst=1000))
    url, server, thread = _serve(app)
    w = World(url, clock, app)
    storage = app.state.storage
    accounts = AccountStore(data / "web.sqlite3")
    accounts.create_user("city", "city", PASSWORD)
    accounts.create_user("renhe", "county", PASSWORD, county="仁和区")
    accounts.create_user("yanbian", "county", PASSWORD, county="盐边县")  # no stations
    for name in ("大田镇综合文化站", "同德镇综合文化站", "平地镇综合文化站"):
        w.stations[name] = admin.create_station(storage, name, "仁和区").id
    # 大田镇 synced twelve days ago (two PCs both called "vm"), then fell silent.
    clock.offset = -12 * DAY - 3600 * 1000
    for pc in ("vm", "vm"):
        dev = _enroll(w, w.stations["大田镇综合文化站"], pc)
        dev.push(
            url,
            [
                facts(dev.station_id, YEAR, 8000),
                ("activities", str(uuid.uuid4()), activity(f"{YEAR}-01-15", attendance=60)),
            ],
        )
    clock.offset = 0
    # 平地镇 syncs today, from a PC whose clock is 400 days behind.
    pd = _enroll(w, w.stations["平地镇综合文化站"], "办公室电脑")
    pd.push(
        url,
        [facts(pd.station_id, YEAR, 6000)]
        + [
            ("activities", str(uuid.uuid4()), activity(f"{YEAR}-01-{d:02d}", attendance=90))
            for d in range(1, 21)
        ],
        client_time_ms=hlc.wall_ms() - 400 * DAY,
    )
    # 同德镇 never synced. 东区: many stations, each synced today with its population.
    for i in range(MANY):
        sid = admin.create_station(storage, f"东区第{i + 1:02d}社区综合文化站", "东区").id
        dev = _enroll(w, sid, f"电脑{i + 1}")
        dev.push(
            url,
            [
                facts(sid, YEAR, 1000 + 37 * i),
                *(
                    ("activities", str(uuid.uuid4()), activity(f"{YEAR}-01-02", attendance=50 + i))
                    for _ in range(i % 4)
                ),
            ],
        )
    yield w
    server.should_exit = True
    thread.join(timeout=10)


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


def _sign_in(page, url: str, name: str, start: str = "/web/") -> None:
    page.goto(f"{url}{start}")
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r".*/web/(?!login).*"))


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


# Every piece of text on the page against the background it is drawn on (WCAG 2: 4.5:1 below
# 18.66px bold / 24px; 3:1 above). Backgrounds are found by walking up to an opaque one.
CONTRAST_JS = """() => {
  function rgb(s) { const m = s.match(/[\\d.]+/g); return m ? m.map(Number) : [0, 0, 0, 0]; }
  function lum(c) {
    const v = c.slice(0, 3).map(x => {
      x /= 255;
      return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
  }
  function bg(el) {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length < 4 || c[3] > 0.9) return c;
    }
    return [255, 255, 255];
  }
  const bad = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.textContent.trim()) continue;
    const el = n.parentElement, st = getComputedStyle(el);
    if (st.visibility === "hidden" || st.display === "none") continue;
    if (!el.getClientRects().length) continue;
    if (el.closest("canvas, svg, [aria-hidden=true], option")) continue;
    const fg = rgb(st.color), b = bg(el);
    const l1 = lum(fg), l2 = lum(b);
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    const size = parseFloat(st.fontSize), bold = parseInt(st.fontWeight) >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    const what = n.textContent.trim().slice(0, 30);
    if (ratio < need) bad.push(what + " " + ratio.toFixed(2) + " " + st.color + " on " + b);
  }
  return bad;
}"""


def test_silent_stations_and_far_off_clocks_are_said_in_words(world, browser) -> None:
    ctx, page, errors = _page(browser)
    try:
        _sign_in(page, world.url, "renhe")
        rows = page.locator("#station-table tbody tr")
        datian = rows.filter(has_text="大田镇综合文化站")
        tongde = rows.filter(has_text="同德镇综合文化站")
        pingdi = rows.filter(has_text="平地镇综合文化站")
        assert "超过12天未同步" in datian.locator("td").first.inner_text()
        assert "从未同步" in tongde.locator("td").first.inner_text()
        assert "未同步" not in pingdi.inner_text()
        silent = page.locator("#attention-silent").inner_text()
        assert "大田镇综合文化站" in silent and "同德镇综合文化站" in silent
        assert "平地镇" not in silent
        # A tile behind its target says so, not only by its yellow edge.
        assert all("低于目标" in t for t in page.locator(".tile.warn").all_inner_texts())
        assert page.locator(".tile.warn").count() >= 1
        assert page.evaluate(CONTRAST_JS) == []
        _shot(page, "overview-county-1366")

        page.get_by_role("link", name="同德镇综合文化站").first.click()
        page.wait_for_selector("#sync-flag")
        assert "从未同步" in page.locator("#sync-flag").inner_text()
        assert page.locator("#chart-months").inner_text().find("暂无数据") >= 0
        assert page.evaluate(CONTRAST_JS) == []
        page.goto(f"{world.url}/web/station/{world.stations['大田镇综合文化站']}")
        assert "超过12天未同步" in page.locator("#sync-flag").inner_text()
        # Two PCs both called "vm" are told apart, and each 停用 button says which one it stops.
        names = page.locator("#device-table tbody tr td:first-child").all_inner_texts()
        labels = [n.splitlines()[0] for n in names]
        assert len(labels) == 2 and len(set(labels)) == 2 and all("vm" in x for x in labels)
        buttons = page.get_by_role("button", name=re.compile("^停用设备 vm"))
        assert buttons.count() == 2
        _shot(page, "station-silent-1366")

        page.goto(f"{world.url}/web/health")
        pd = page.locator("#health-devices tbody tr", has_text="平地镇综合文化站")
        assert "时钟不准" in pd.inner_text() and "慢400天" in pd.inner_text()
        summary = page.locator("#health-stations tbody tr", has_text="平地镇综合文化站")
        assert summary.locator("td").nth(5).inner_text() == "1"  # devices with problems
        for b in page.locator("#health-devices button.danger").all():
            assert b.get_attribute("aria-label").startswith("停用设备 ")
        assert page.evaluate(CONTRAST_JS) == []
        _shot(page, "health-county-1366")
        page.goto(f"{world.url}/web/admin")
        assert page.evaluate(CONTRAST_JS) == []
        _shot(page, "admin-county-1366")
        assert errors == []
    finally:
        ctx.close()


def test_phone_first_screen_answers_who_is_behind_and_who_is_silent(world, browser) -> None:
    ctx, page, errors = _page(browser, width=390, height=844, mobile=True)
    try:
        _sign_in(page, world.url, "city")
        _shot(page, "overview-city-390")
        for sel in ("#attention-silent", "#attention-behind"):
            box = page.locator(sel).bounding_box()
            assert box is not None and box["y"] < 844, sel
        silent = page.locator("#attention-silent").inner_text()
        assert "大田镇综合文化站" in silent and "同德镇综合文化站" in silent
        behind = page.locator("#attention-behind").inner_text()
        assert "完成" in behind and "%" in behind
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        page.goto(f"{world.url}/web/station/{world.stations['大田镇综合文化站']}")
        assert page.locator("#sync-flag").bounding_box()["y"] < 844
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        _shot(page, "station-silent-390")
        page.goto(f"{world.url}/web/admin/users")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        assert page.evaluate(CONTRAST_JS) == []
        _shot(page, "users-390")
        assert errors == []
    finally:
        ctx.close()


def test_sortable_headers_work_from_the_keyboard(world, browser) -> None:
    ctx, page, errors = _page(browser)
    try:
        _sign_in(page, world.url, "renhe")
        rows = page.locator("#station-table tbody tr")
        # Tab through the page until the 活动场次 header of the stations table has the focus.
        for _ in range(150):
            page.keyboard.press("Tab")
            if page.evaluate(
                "(() => { const e = document.activeElement;"
                " return !!e && e.closest('#station-table thead') !== null"
                " && e.textContent.trim() === '活动场次'; })()"
            ):
                break
        else:
            raise AssertionError("the header cannot be reached with Tab")
        header = page.locator("#station-table thead th", has_text="活动场次")
        page.keyboard.press("Enter")
        assert header.get_attribute("aria-sort") == "ascending"
        assert "同德镇" in rows.nth(0).inner_text()
        page.keyboard.press("Space")
        assert header.get_attribute("aria-sort") == "descending"
        assert "平地镇" in rows.nth(0).inner_text()
        assert errors == []
    finally:
        ctx.close()


def test_charts_empty_and_crowded(world, browser) -> None:
    ctx, page, errors = _page(browser)
    try:
        _sign_in(page, world.url, "yanbian")  # a county without stations yet
        for box in ("#chart-counties", "#chart-stations"):
            assert "暂无数据" in page.locator(box).inner_text()
        page.get_by_role("button", name="退出").click()
        page.wait_for_url("**/web/login")
        _sign_in(page, world.url, "city")
        page.wait_for_selector("#chart-stations canvas")
        box = page.locator("#chart-stations").bounding_box()
        assert box is not None and box["height"] >= MANY * 20  # room for every name
        option = page.evaluate(
            "(() => { const o = echarts.getInstanceByDom(document.getElementById('chart-stations'))"
            ".getOption(); return {y: o.yAxis[0], data: o.series[0].data,"
            " mark: o.series[0].markLine}; })()"
        )
        assert option["y"]["type"] == "category" and option["y"]["axisLabel"]["interval"] == 0
        assert len(option["y"]["data"]) >= MANY
        assert option["data"] == sorted(option["data"])  # lowest first
        assert option["mark"]["label"]["position"] == "insideStartTop"  # at the top
        page.locator("#chart-stations").scroll_into_view_if_needed()
        page.locator("#chart-stations").screenshot(path=str(SHOTS / "chart-stations-city.png"))
        assert errors == []
    finally:
        ctx.close()


def test_session_expired_while_a_form_was_open(world, browser) -> None:
    from sync.server.web.accounts import IDLE_MS

    ctx, page, errors = _page(browser)
    try:
        _sign_in(page, world.url, "renhe", start="/web/admin")
        page.locator("#station-form").get_by_label("名称").fill("新开站综合文化站")
        world.clock.offset += IDLE_MS + 60_000  # the form stayed open too long
        try:
            page.locator("#station-form").get_by_role("button", name="创建").click()
            page.wait_for_url("**/web/login**")
            assert "会话已过期" in page.locator("main").inner_text()
            page.get_by_label("用户名").fill("renhe")
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_role("button", name="登录").click()
            page.wait_for_url("**/web/admin?expired=1")
            assert "会话已过期，请重新操作" in page.locator(".notice").inner_text()
            assert page.locator("#station-form").is_visible()
            assert "新开站" not in page.locator("#admin-stations").inner_text()
        finally:
            world.clock.offset = 0
        assert errors == []
    finally:
        ctx.close()


def test_sign_in_page_left_open_past_its_cookie_works_first_time(world, browser) -> None:
    ctx, page, errors = _page(browser)
    try:
        page.goto(f"{world.url}/web/")
        ctx.clear_cookies()  # the browser dropped the form's cookie while the page stayed open
        page.get_by_label("用户名").fill("renhe")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(re.compile(r".*/web/$"))
        assert page.locator("#station-table").is_visible()
        assert errors == []
    finally:
        ctx.close()
