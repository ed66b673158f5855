"""Issue 14 end to end with real processes: a station submits a month offline
(``pzh-station submit``), syncs; the county approves in a real browser (Chromium driven by
Playwright); the desk then refuses an edit with the approved-lock message; a second PC that was
offline during the approval pushes a conflicting edit, which is set aside (the approved figures
stay) and listed for the county; the county unlocks with a reason; the edit then goes through.
A county user of another county cannot approve."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from pzh_core.domain.errors import ValidationError
from pzh_core.schema import det_id
from pzh_station.services.context import open_services
from pzh_station.services.history import record_history
from pzh_station.store import Store
from tests import browser_support, server_fixtures
from tests.browser_support import MARKS, new_page
from tests.e2e.test_sync_epoch import cli, cli_sync, enrolled_pc, rows, write
from tests.server_fixtures import LiveServer
from tests.web_support import PASSWORD, csrf_of, web_client

pytestmark = MARKS
sync_server = server_fixtures.sync_server
browser = browser_support.browser


def _last_month() -> str:
    first = dt.date.today().replace(day=1)
    return (first - dt.timedelta(days=1)).strftime("%Y-%m")


def _edit(data_dir: Path, row_id: str, fields: dict) -> None:
    """An edit through the store, as every form's save ends (the lock is checked there)."""
    write(data_dir, "activities", row_id, fields)


def _sign_in(page, url: str, name: str) -> None:
    page.goto(f"{url}/web/")
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r".*/web/(\?.*)?$"))


def test_submit_offline_approve_in_the_browser_lock_late_edit_unlock(
    tmp_path, sync_server: LiveServer, browser
):
    shots = tmp_path / "shots"
    shots.mkdir()
    month = _last_month()
    station = sync_server.create_station("大田镇综合文化站", "仁和区")
    sync_server.create_station("银江镇综合文化站", "东区")
    for user, county in (("renhe", "仁和区"), ("dongqu", "东区")):
        sync_server.admin(
            "create-user", "--name", user, "--role", "county", "--county", county,
            "--password", PASSWORD,
        )  # fmt: skip
    a = enrolled_pc(tmp_path, "desk", sync_server, station)
    b = enrolled_pc(tmp_path, "laptop", sync_server, station)
    act = write(
        a,
        "activities",
        None,
        {"title": "广场舞展演", "date": f"{month}-12", "kind": "performance", "attendance": 80},
    )
    cli_sync(a)
    cli_sync(b)  # the laptop has the activity, then goes offline

    # Submitted offline: the incomplete list first, then the submission with who and when.
    done = cli(a, "submit", "--period", month, "--operator", "李明")
    assert done.returncode == 0, done.stderr
    assert "已报送" in done.stdout and "李明" in done.stdout
    cli_sync(a)
    pid = det_id("period", station, month)
    [srv] = sync_server.query("SELECT * FROM periods WHERE id = ?", (pid,))
    assert srv["status"] == "submitted" and srv["submitted_by"] == "李明"

    # A county user of another county cannot approve it (its page is not even found).
    with web_client(sync_server.url, "dongqu") as client:
        page = client.get("/web/periods")
        assert "大田镇" not in page.text
        r = client.post(
            f"/web/periods/{station}/{month}/approve", data={"csrf": csrf_of(page.text)}
        )
        assert r.status_code == 404
    assert sync_server.query("SELECT status FROM periods WHERE id = ?", (pid,))[0]["status"] == (
        "submitted"
    )

    ctx, page, errors = new_page(browser)
    try:
        _sign_in(page, sync_server.url, "renhe")
        page.get_by_role("link", name="报送审核").click()
        page.wait_for_url(re.compile(r".*/web/periods"))
        cell = page.locator(f'tr[data-station="{station}"] a[data-period="{month}"]')
        assert cell.inner_text() == "已报送待审核"
        page.screenshot(path=str(shots / "periods.png"), full_page=True)
        cell.click()
        assert "李明" in page.locator(".card").first.inner_text()
        page.get_by_role("button", name="审核通过").click()
        page.wait_for_url(re.compile(r".*ok=approve"))
        assert page.locator("#period-status").inner_text() == "已审核"
        page.screenshot(path=str(shots / "period_approved.png"), full_page=True)
        [srv] = sync_server.query("SELECT * FROM periods WHERE id = ?", (pid,))
        assert (srv["status"], srv["decided_by"], srv["device_id"]) == (
            "approved",
            "renhe",
            "server",
        )
        assert json.loads(srv["approved_figures"])["person_visits"] == 80

        # The desk learns of it at its next sync and refuses an edit with the right message.
        cli_sync(a)
        with pytest.raises(ValidationError) as exc:
            _edit(a, act, {"attendance": 95})
        assert "已审核锁定" in exc.value.errors["date"]
        status = cli(a, "period-status", "--year", month[:4]).stdout
        assert f"{int(month[5:])}月\t已审核（renhe" in status, status

        # The laptop was offline during the approval: its edit is set aside, not merged.
        _edit(b, act, {"attendance": 500})
        out = cli_sync(b)
        assert "有 1 条修改未被市服务器接受" in out, out
        assert rows(b, "activities")[act]["attendance"] == 80  # back to the approved value
        srv_act = sync_server.query("SELECT attendance FROM activities WHERE id = ?", (act,))
        assert srv_act[0]["attendance"] == 80
        [late] = sync_server.query("SELECT * FROM late_changes")
        assert json.loads(late["fields"]) == {"attendance": 500} and late["decision"] == "pending"

        # The county sees it and rejects it; then unlocks the month with a reason.
        page.goto(f"{sync_server.url}/web/periods")
        row = page.locator(f'tr[data-late="{late["id"]}"]')
        assert "attendance → 500" in row.inner_text()
        row.locator("input[name=note]").fill("与签到表不符")
        row.get_by_role("button", name="拒绝").click()
        page.wait_for_url(re.compile(r".*ok=late"))
        page.goto(f"{sync_server.url}/web/periods/{station}/{month}")
        page.get_by_label("解锁原因").fill("人次漏记，需补录")
        page.get_by_role("button", name="解锁").click()
        page.wait_for_url(re.compile(r".*ok=unlock"))
        assert page.locator("#period-status").inner_text() == "已解锁"
        page.screenshot(path=str(shots / "period_unlocked.png"), full_page=True)
        assert errors == []
    finally:
        ctx.close()

    # The laptop hears the decision on its change.
    cli_sync(b)
    assert "县文化馆未接受：与签到表不符" in cli(b, "period-status", "--year", month[:4]).stdout
    # After the unlock the desk's edit goes through and reaches the server.
    cli_sync(a)
    _edit(a, act, {"attendance": 95})
    cli_sync(a)
    srv_act = sync_server.query("SELECT attendance FROM activities WHERE id = ?", (act,))
    assert srv_act[0]["attendance"] == 95
    # The signed figures did not move with it.
    [srv] = sync_server.query("SELECT * FROM periods WHERE id = ?", (pid,))
    assert json.loads(srv["approved_figures"])["person_visits"] == 80
    assert (srv["status"], srv["reason"]) == ("unlocked", "人次漏记，需补录")
    store = Store(a / "station.sqlite3")
    try:
        assert store.get("periods", pid)["status"] == "unlocked"
    finally:
        store.close()

    # History shows every step, on the desk (历史) and on the web station page.
    services = open_services(a)
    try:
        period_steps = record_history(services, "periods", pid)
        act_steps = record_history(services, "activities", act)
    finally:
        services.close()
    assert [
        (st["who"], to) for st in period_steps for label, _, to in st["changes"] if label == "状态"
    ] == [
        ("renhe（市服务器）", "unlocked"),
        ("renhe（市服务器）", "approved"),
        ("李明（本机）", "submitted"),
    ]
    assert ("参与人次", "80", "95") in act_steps[0]["changes"]
    laptop = open_services(b)
    try:
        refused = [st for st in record_history(laptop, "activities", act) if st["refused"]]
    finally:
        laptop.close()
    assert [c[2] for c in refused[0]["changes"]] == ["500"]
    with web_client(sync_server.url, "renhe") as client:
        page = client.get(f"/web/station/{station}/history?table=activities&row={act}")
        assert page.status_code == 200
        assert "参与人次：80 → 95" in page.text and "未被接受" in page.text
        page = client.get(f"/web/station/{station}/history?table=periods&row={pid}")
        assert "renhe（市服务器）" in page.text and "李明" in page.text
    with web_client(sync_server.url, "dongqu") as client:
        assert client.get(f"/web/station/{station}/history").status_code == 404
    ctx, page, errors = new_page(browser)
    try:
        _sign_in(page, sync_server.url, "renhe")
        page.goto(f"{sync_server.url}/web/station/{station}")
        page.get_by_role("link", name="修改历史").click()
        page.wait_for_url(re.compile(r".*/history$"))
        page.locator("#recent-changes a").first.click()
        page.wait_for_selector("#record-history")
        page.screenshot(path=str(shots / "record_history.png"), full_page=True)
        page.goto(f"{sync_server.url}/web/station/{station}/history?table=activities&row={act}")
        assert "参与人次：80 → 95" in page.locator("#record-history").inner_text()
        page.screenshot(path=str(shots / "activity_history.png"), full_page=True)
        assert errors == []
    finally:
        ctx.close()
