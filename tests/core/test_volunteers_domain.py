"""Volunteer rules without a database: star levels at the exact thresholds, hours checks."""

from __future__ import annotations

import datetime as dt

import pytest

from pzh_core.domain.volunteer import (
    ServiceRecord,
    check_record,
    hours_error,
    may_decide,
    new_level_reached,
    next_threshold,
    parse_hours,
    star_label,
    star_level,
)

TODAY = dt.date(2026, 6, 15)


@pytest.mark.parametrize(
    ("hours", "stars"),
    [
        (0, 0),
        (99.5, 0),
        (100, 1),
        (299.5, 1),
        (300, 2),
        (599.5, 2),
        (600, 3),
        (999.5, 3),
        (1000, 4),
        (1499.5, 4),
        (1500, 5),
        (10_000, 5),
    ],
)
def test_star_level_at_exact_thresholds(hours, stars):
    assert star_level(hours) == stars


def test_star_labels_and_next_threshold_come_from_refdata():
    assert star_label(1) == "一星级志愿者"
    assert star_label(5) == "五星级志愿者"
    assert star_label(0) == ""
    assert next_threshold(0) == 100
    assert next_threshold(100) == 300
    assert next_threshold(1500) is None


def test_new_level_reached_only_when_crossing():
    assert new_level_reached(99.5, 100) == 1
    assert new_level_reached(100, 299.5) == 0
    assert new_level_reached(250, 650) == 3  # two levels in one year: the one reached counts
    assert new_level_reached(0, 0) == 0


@pytest.mark.parametrize(
    ("hours", "ok"),
    [
        (0.5, True),
        (1, True),
        (2.5, True),
        (24, True),
        (0, False),
        (-1, False),
        (1.25, False),
        (24.5, False),
        ("2", False),
        (True, False),
    ],
)
def test_hours_in_steps_of_half_an_hour(hours, ok):
    assert (hours_error(hours) is None) is ok


def test_parse_hours_accepts_full_width_and_unit():
    assert parse_hours("２．５") == 2.5
    assert parse_hours("3小时") == 3
    assert parse_hours("abc") is None


def _rec(**kw):
    base = dict(volunteer_id="v", date="2026-06-10", hours=2.0, description="讲解")
    return ServiceRecord(**{**base, **kw})


def test_checks_day_total_future_and_join_date():
    ok = check_record(_rec(), join_date="2026-01-01", other_hours_that_day=0, today=TODAY)
    assert ok.ok and not ok.warnings
    warn = check_record(
        _rec(hours=4), join_date="2026-01-01", other_hours_that_day=8.5, today=TODAY
    )
    assert warn.ok and "12" in warn.warnings["hours"]
    at_12 = check_record(_rec(hours=4), join_date="2026-01-01", other_hours_that_day=8, today=TODAY)
    assert at_12.ok and not at_12.warnings  # 12 exactly is not "above 12"
    at_24 = check_record(
        _rec(hours=4), join_date="2026-01-01", other_hours_that_day=20, today=TODAY
    )
    assert at_24.ok
    over = check_record(
        _rec(hours=4.5), join_date="2026-01-01", other_hours_that_day=20, today=TODAY
    )
    assert "24" in over.errors["hours"]
    future = check_record(
        _rec(date="2026-06-16"), join_date="2026-01-01", other_hours_that_day=0, today=TODAY
    )
    assert "晚于今天" in future.errors["date"]
    early = check_record(
        _rec(date="2025-12-31"), join_date="2026-01-01", other_hours_that_day=0, today=TODAY
    )
    assert "加入日期" in early.errors["date"]
    empty = check_record(
        _rec(description=""), join_date="2026-01-01", other_hours_that_day=0, today=TODAY
    )
    assert "description" in empty.errors
    linked = check_record(
        _rec(description="", activity_id="a1"),
        join_date="2026-01-01",
        other_hours_that_day=0,
        today=TODAY,
    )
    assert linked.ok


def test_verifier_must_differ_where_the_station_has_several_staff():
    assert may_decide(recorder="李明", decider="王芳", staff=["李明", "王芳"]) is None
    assert "不能审核自己" in may_decide(recorder="李明", decider="李明", staff=["李明", "王芳"])
    assert may_decide(recorder="李明", decider="李明", staff=["李明"]) is None  # one-person station
    assert "不是本站" in may_decide(recorder="李明", decider="外人", staff=["李明", "王芳"])
    assert may_decide(recorder="李明", decider="", staff=["李明"]) is not None


def test_volunteer_core_modules_import_no_qt():
    import subprocess
    import sys

    mods = [
        "pzh_core.domain.volunteer",
        "pzh_station.store.volunteers",
        "pzh_station.services.volunteers",
        "pzh_station.services.demo_volunteers",
        "pzh_station.io.certificate",
        "pzh_station.cli.volunteers",
    ]
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in mods)
        + ("assert not [m for m in sys.modules if m.startswith('PySide6')]\n")
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
