"""Submitting a period on the desk and the locks that follow (issue 14), on a real station file:
the incomplete list, the submission as a synced row, and each lock's own message at the field —
submitted (withdraw to edit), approved (pulled from the server), past the county's deadline."""

from __future__ import annotations

import datetime as dt

import pytest

from pzh_core import hlc
from pzh_core.domain.activity import Activity
from pzh_core.domain.errors import ValidationError
from pzh_core.domain.training import TrainingClass
from pzh_core.schema import det_id
from pzh_station.services.activities import ActivityService
from pzh_station.services.periods import PeriodService, incomplete_lines
from pzh_station.services.training import TrainingService


def _activity(services, date: str, attendance: int = 30) -> str:
    return ActivityService(services).save(
        Activity(title="广场舞", date=date, kind="performance", attendance=attendance),
    )


_last_pull = [0]


def _pull(services, table: str, row_id: str, fields: dict) -> None:
    """A change written by the city server, as the pull applies it."""
    store = services.store
    # Each server write is later than the one before, as on the server: two pulls within one
    # millisecond would otherwise carry equal stamps, and the second would not win.
    ms = max(store.check_clock() + 60_000, _last_pull[0] + 1)
    _last_pull[0] = ms
    stamp = hlc.encode(ms, 0, "server")
    with store.transaction():
        store.apply_remote(table, row_id, store.station_id, fields, stamp)


def test_submit_lists_what_is_incomplete_and_then_refuses_edits_until_withdrawn(services):
    acts = ActivityService(services)
    ok = _activity(services, "2026-10-08")
    _activity(services, "2026-10-09", attendance=0)
    svc = PeriodService(services)
    assert incomplete_lines(svc.incomplete("2026-10")) == ["1 条活动未填参与人次"]
    assert "年度基本情况未确认" in incomplete_lines(svc.incomplete("2026"))

    state = svc.submit("2026-10")
    assert state.status == "submitted" and state.lock.reason == "submitted"
    assert state.row["submitted_by"] == "李明" and state.row["figures"]["activities"] == 2
    assert state.row["incomplete"]["activities_without_attendance"] == 1
    # The submission is in the change log, so it goes up with the next sync.
    logged = services.store.pending_changes(0, 10_000)
    assert logged[-1]["tbl"] == "periods" and logged[-1]["fields"]["status"] == "submitted"

    act = acts.get(ok)
    with pytest.raises(ValidationError) as exc:
        acts.save(Activity(**{**act.__dict__, "attendance": 40}))
    assert exc.value.errors == {
        "date": "2026年10月的数据已报送待审核，不能修改；如需修改，请先撤回报送。"
    }
    with pytest.raises(ValidationError, match="已报送待审核"):
        acts.delete(ok)
    with pytest.raises(ValidationError, match="已报送待审核"):
        _activity(services, "2026-10-20")  # adding is refused too
    # Moving a November activity into October is refused; November itself is open.
    nov = _activity(services, "2026-11-02")
    with pytest.raises(ValidationError, match="2026年10月"):
        acts.save(Activity(**{**acts.get(nov).__dict__, "date": "2026-10-30"}))

    svc.withdraw("2026-10")
    acts.save(Activity(**{**act.__dict__, "attendance": 40}))
    assert acts.get(ok).attendance == 40


def test_an_approval_pulled_from_the_server_locks_the_month_with_its_own_message(services):
    acts = ActivityService(services)
    a = _activity(services, "2026-09-03")
    svc = PeriodService(services)
    svc.submit("2026-09")
    pid = det_id("period", services.store.station_id, "2026-09")
    _pull(services, "periods", pid, {"status": "approved", "decided_by": "仁和区李"})
    assert svc.state("2026-09").status_label == "已审核"
    with pytest.raises(ValidationError) as exc:
        acts.save(Activity(**{**acts.get(a).__dict__, "title": "改名"}))
    assert (
        "已审核锁定" in exc.value.errors["date"] and "联系县文化馆解锁" in exc.value.errors["date"]
    )
    with pytest.raises(ValidationError, match="已审核"):
        svc.withdraw("2026-09")
    # The county unlocks with a reason: the edit goes through.
    _pull(services, "periods", pid, {"status": "unlocked", "reason": "人次填错"})
    acts.save(Activity(**{**acts.get(a).__dict__, "title": "改名"}))


def test_an_approved_year_locks_sessions_attendance_and_classes(services):
    training = TrainingService(services)
    cls = training.save_class(
        TrainingClass(name="舞蹈班", art_form="dance", start_date="2025-03-01")
    )
    ses = training.add_session(cls, "2025-03-08", "09:00", "10:00")
    pid = det_id("period", services.store.station_id, "2025")
    _pull(services, "periods", pid, {"period": "2025", "status": "approved"})
    with pytest.raises(ValidationError, match="2025年的数据已审核锁定"):
        training.mark(ses, "someone", "present")
    with pytest.raises(ValidationError, match="已审核锁定"):
        training.add_session(cls, "2025-03-15", "09:00", "10:00")


def test_past_the_countys_deadline_a_month_is_locked_until_unlocked(services):
    today = services.today()
    old = (today.replace(day=1) - dt.timedelta(days=40)).isoformat()
    sid = services.store.station_id
    _pull(
        services,
        "city_settings",
        det_id("city_setting", "edit_deadline_days", "仁和区", sid),
        {"key": "edit_deadline_days", "scope": "仁和区", "value": {"v": 5}},
    )
    with pytest.raises(ValidationError) as exc:
        _activity(services, old)
    assert "修改期限（期末后5天）" in exc.value.errors["date"]
    _activity(services, today.isoformat())  # this month is open


def test_the_change_log_records_the_operator(services):
    services.operator = "王芳"
    _activity(services, "2026-08-01")
    [row] = services.store.query("SELECT operator FROM changes WHERE tbl = 'activities'")
    assert row["operator"] == "王芳"


def test_an_operators_pin_is_stored_hashed_and_checked(services):
    from pzh_station.services.station import StationService

    svc = StationService(services)
    with pytest.raises(ValidationError, match="4至8位数字"):
        svc.set_pin("王芳", "12a4")
    svc.set_pin("王芳", "2468")
    [row] = services.store.query("SELECT pin_hash FROM staff WHERE name = '王芳'")
    assert row["pin_hash"].startswith("pbkdf2_sha256$") and "2468" not in row["pin_hash"]
    assert svc.profile().pins == {"王芳"}
    assert svc.check_pin("王芳", "2468") and not svc.check_pin("王芳", "1357")
    assert svc.check_pin("李明", "")  # no PIN: nothing to check
    svc.set_pin("王芳", "")
    assert svc.profile().pins == set() and svc.check_pin("王芳", "")


def test_the_year_is_not_submitted_with_unconfirmed_annual_facts(services, cli):
    """Issue 13 §1: the year's submission is the annual return; carried-over or changed facts
    must be confirmed first (the months are submitted with a list of what is incomplete)."""
    from pzh_station.services.annual_facts import AnnualFactsService
    from tests import annual_year as ay

    svc = PeriodService(services)
    facts = AnnualFactsService(services)
    facts.save(2025, ay.FACTS, today=dt.date(2026, 1, 15))  # saved, not confirmed
    with pytest.raises(ValidationError) as exc:
        svc.submit("2025")
    assert "年度基本情况尚未确认" in exc.value.errors["period"]
    assert svc.state("2025").status == ""
    services.close()
    done = cli("submit", "--period", "2025", "--operator", "李明")
    assert done.returncode != 0 and "年度基本情况尚未确认" in done.stdout + done.stderr
    from pzh_station.services.context import open_services

    again = open_services(cli.data_dir, operator="李明")
    try:
        AnnualFactsService(again).confirm(2025, today=dt.date(2026, 1, 15))
        assert PeriodService(again).submit("2025").status == "submitted"
    finally:
        again.close()
