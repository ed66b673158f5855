"""Submitting, approving and locking a period on the server (issue 14): a pushed change to a
locked period is set aside with code ``locked`` and kept as a late change for the county; the
county's decisions are server writes with a snapshot; a county cannot decide for another's."""

from __future__ import annotations

import json
import uuid

import pytest

from pzh_core import approval, hlc
from sync.server import admin, auth
from sync.server.approvals import Actor, ApprovalError, decide, decide_late, grid, period_id

T0 = 1_795_000_000_000  # 2026-11-18 (China)
CITY = Actor("市文化馆张", "city")
RENHE = Actor("仁和区李", "county", "仁和区")
DONGQU = Actor("东区王", "county", "东区")


@pytest.fixture
def world(make_storage):
    clock = {"ms": T0}
    storage = make_storage(now=lambda: clock["ms"])
    station = admin.create_station(storage, "大田镇综合文化站", "仁和区").id
    code = admin.issue_code(storage, station).code
    dev = storage.enroll(
        code, token_hash=auth.hash_token(code), device_name="", app_version="", device_id=None
    )[0]
    seq = {"n": 0}

    def push(table: str, row: str, fields: dict):
        seq["n"] += 1
        clock["ms"] += 1000
        change = {
            "seq": seq["n"],
            "t": table,
            "id": row,
            "s": hlc.encode(clock["ms"], 0, dev.id),
            "f": fields,
        }
        return storage.push(dev, [change], client_time_ms=clock["ms"])

    return storage, station, dev, push, clock


def _row(storage, table, row_id):
    rows = storage.query(f"SELECT * FROM {table} WHERE id = ?", (row_id,))
    return rows[0] if rows else None


def test_submitted_then_approved_period_refuses_changes_and_keeps_them_for_the_county(world):
    storage, station, dev, push, _ = world
    act = str(uuid.uuid4())
    push("activities", act, {"title": "广场舞", "date": "2026-10-12", "attendance": 80})
    pid = period_id(station, "2026-10")
    result = push("periods", pid, {"period": "2026-10", "status": "submitted"})
    assert not result.set_aside
    # Waiting for the county: an edit is refused with the "submitted" reason.
    refused = push("activities", act, {"attendance": 90})
    [item] = refused.set_aside
    assert item["code"] == "locked" and "已报送待审核" in item["message"]

    fields = decide(storage, station, "2026-10", "approve", RENHE)
    assert fields["approved_figures"]["activities"] == 1
    assert fields["approved_figures"]["person_visits"] == 80
    row = _row(storage, "periods", pid)
    assert (row["status"], row["decided_by"], row["device_id"]) == (
        "approved",
        "仁和区李",
        "server",
    )

    # Offline PC's edit (and a move of the date out of the period) arrive after approval.
    late = push("activities", act, {"attendance": 500})
    moved = push("activities", act, {"date": "2026-11-02"})
    assert [i["code"] for i in late.set_aside + moved.set_aside] == ["locked", "locked"]
    assert "已审核锁定" in late.set_aside[0]["message"]
    assert _row(storage, "activities", act)["attendance"] == 80  # the approved value stays
    # A new activity dated in the approved month is refused too; one in November is not.
    assert push("activities", str(uuid.uuid4()), {"title": "新", "date": "2026-10-30"}).set_aside
    assert not push(
        "activities", str(uuid.uuid4()), {"title": "新", "date": "2026-11-03"}
    ).set_aside
    # The desk cannot withdraw an approved period.
    assert push("periods", pid, {"status": "withdrawn"}).set_aside[0]["code"] == "locked"

    lates = storage.list_late_changes([station])
    # Kept for the county: every change refused as locked (also the one while submitted).
    assert sorted(r["seq"] for r in lates) == [3, 4, 5, 6, 8]
    by_seq = {r["seq"]: r for r in lates}
    assert by_seq[4]["fields"] == {"attendance": 500} and by_seq[4]["device"] == dev.id
    assert all(r["decision"] == "pending" for r in lates)

    # The county rejects one and accepts another: the accepted value is applied by the server.
    decide_late(storage, by_seq[4]["id"], False, RENHE, note="与签到表不符")
    decide_late(storage, by_seq[5]["id"], True, RENHE)
    assert _row(storage, "activities", act)["date"] == "2026-11-02"
    assert _row(storage, "activities", act)["attendance"] == 80
    with pytest.raises(ApprovalError, match="已经处理过"):
        decide_late(storage, by_seq[4]["id"], True, RENHE)
    # What was signed does not move with the records.
    signed = json.loads(_row(storage, "periods", pid)["approved_figures"])
    assert (signed["activities"], signed["person_visits"]) == (1, 80)


def test_unlock_with_reason_reopens_and_later_changes_merge(world):
    storage, station, dev, push, _ = world
    act = str(uuid.uuid4())
    push("activities", act, {"title": "讲座", "date": "2026-09-03", "attendance": 20})
    push("periods", period_id(station, "2026-09"), {"period": "2026-09", "status": "submitted"})
    decide(storage, station, "2026-09", "approve", RENHE)
    with pytest.raises(ApprovalError, match="须填写原因"):
        decide(storage, station, "2026-09", "unlock", RENHE)
    decide(storage, station, "2026-09", "unlock", RENHE, reason="人次填错")
    # Each decision is in the audit log, in the transaction of its write.
    log = storage.list_audit(station_ids=[station])
    assert [(e.action, e.actor) for e in log[:2]] == [
        ("period.unlock", "admin"),
        ("period.approve", "admin"),
    ]
    assert "2026年9月：人次填错" in log[0].detail and "仁和区李" in log[0].detail
    assert not push("activities", act, {"attendance": 25}).set_aside
    assert _row(storage, "activities", act)["attendance"] == 25
    row = _row(storage, "periods", period_id(station, "2026-09"))
    assert (row["status"], row["reason"]) == ("unlocked", "人次填错")


def test_a_county_user_cannot_decide_for_another_countys_station(world):
    storage, station, _, push, _ = world
    push("periods", period_id(station, "2026-08"), {"period": "2026-08", "status": "submitted"})
    with pytest.raises(ApprovalError, match="本县"):
        decide(storage, station, "2026-08", "approve", DONGQU)
    with pytest.raises(ApprovalError, match="只有市文化馆"):
        decide(storage, station, "2026-08", "accept", RENHE)
    assert _row(storage, "periods", period_id(station, "2026-08"))["status"] == "submitted"
    decide(storage, station, "2026-08", "approve", RENHE)
    decide(storage, station, "2026-08", "accept", CITY)
    with pytest.raises(ApprovalError, match="须由市文化馆解锁"):
        decide(storage, station, "2026-08", "unlock", RENHE, reason="x")


def test_only_a_submitted_period_can_be_approved_or_returned(world):
    storage, station, _, push, _ = world
    with pytest.raises(ApprovalError, match="未报送"):
        decide(storage, station, "2026-07", "approve", RENHE)
    push("periods", period_id(station, "2026-07"), {"period": "2026-07", "status": "submitted"})
    decide(storage, station, "2026-07", "return", RENHE, reason="缺少活动照片")
    cells = grid(storage, storage.list_stations(), 2026)
    assert cells[station]["2026-07"] == "returned"
    # The desk may resubmit a returned period, but not write the county's fields.
    assert not push("periods", period_id(station, "2026-07"), {"status": "submitted"}).set_aside
    bad = push("periods", period_id(station, "2026-07"), {"status": "approved"})
    assert bad.set_aside[0]["code"] == "invalid"


def test_the_year_locks_its_months_and_annual_facts_and_sessions_lock_attendance(world):
    storage, station, _, push, _ = world
    cls, ses, person = (str(uuid.uuid4()) for _ in range(3))
    push("classes", cls, {"name": "舞蹈班", "start_date": "2025-03-01"})
    push("sessions", ses, {"class_id": cls, "date": "2025-03-08"})
    facts = str(uuid.uuid4())
    push("annual_facts", facts, {"year": 2025, "staff_total": 3})
    push("periods", period_id(station, "2025"), {"period": "2025", "status": "submitted"})
    decide(storage, station, "2025", "approve", RENHE)
    att = push(
        "attendance", str(uuid.uuid4()), {"session_id": ses, "person_id": person, "mark": "present"}
    )
    assert att.set_aside[0]["code"] == "locked"
    assert push("annual_facts", facts, {"staff_total": 4}).set_aside[0]["code"] == "locked"
    assert push("classes", cls, {"teacher": "王"}).set_aside[0]["code"] == "locked"


def test_the_countys_edit_deadline_locks_an_undecided_period(world):
    storage, station, _, push, clock = world
    storage.server_write(
        station,
        "city_settings",
        str(uuid.uuid4()),
        {"key": "edit_deadline_days", "scope": "仁和区", "value": {"v": 10}},
    )
    # 2026-11-18: October ended 18 days ago (> 10), November is open.
    r = push("activities", str(uuid.uuid4()), {"title": "补录", "date": "2026-10-05"})
    [item] = r.set_aside
    assert item["code"] == "locked" and "修改期限（期末后10天）" in item["message"]
    assert not push(
        "activities", str(uuid.uuid4()), {"title": "新", "date": "2026-11-05"}
    ).set_aside
    # An unlock lifts the deadline for that month.
    push("periods", period_id(station, "2026-10"), {"period": "2026-10", "status": "submitted"})
    decide(storage, station, "2026-10", "approve", RENHE)
    decide(storage, station, "2026-10", "unlock", RENHE, reason="补录")
    assert not push(
        "activities", str(uuid.uuid4()), {"title": "补录", "date": "2026-10-05"}
    ).set_aside
    assert approval.period_label("2026-10") == "2026年10月"
