"""The annual facts service and CLI on a real station file: carried over unconfirmed, saved
whole or not at all, confirmed by a named person."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from pzh_core.domain.errors import ValidationError
from pzh_station.services.annual_facts import AnnualFactsService
from pzh_station.store import annual as q

TODAY = dt.date(2026, 3, 1)


def test_first_year_is_a_guess_from_the_profile_then_carried_over(services):
    svc = AnnualFactsService(services)
    first = svc.view(2025)
    # Nothing stored: staff registered on the PCs (李明, 王芳) and the profile's population,
    # shown as a starting point, not confirmed and not written.
    assert (first.stored, first.facts.staff_total, first.facts.population) == (False, 2, 20_000)
    assert not first.fileable and "年度基本情况未确认" in first.missing
    assert q.facts_row(services.store, services.store.station_id, 2025) is None

    saved = svc.save(
        2025,
        {
            "staff_total": "4",
            "staff_full_time": "3",
            "books": "6200",
            "income_total": "300",
            "population": "23100",
            "population_source": "2024年统计公报",
        },
        confirm=True,
        today=TODAY,
    )
    assert saved.fileable and saved.facts.confirmed_by == "李明"
    assert saved.facts.confirmed_on == "2026-03-01"

    carried = svc.view(2026)
    assert (carried.stored, carried.facts.carried_from, carried.facts.confirmed) == (
        False,
        2025,
        False,
    )
    assert (carried.facts.staff_total, carried.facts.books, carried.facts.income_total) == (
        4,
        6200,
        0,
    )
    assert "由2025年带入" in carried.origin
    # Saving without confirming keeps it unconfirmed (the return cannot be filed with it).
    kept = svc.save(2026, {"books": "6300"}, today=TODAY)
    assert kept.stored and not kept.fileable and kept.facts.carried_from == 2025


def test_bad_input_writes_nothing(services):
    svc = AnnualFactsService(services)
    before = services.store.query("SELECT count(*) AS n FROM changes")[0]["n"]
    with pytest.raises(ValidationError) as err:
        svc.save(
            2025,
            {
                "staff_total": "2",
                "staff_full_time": "3",
                "income_total": "一百",
                "expense_basic": "-1",
            },
            today=TODAY,
        )
    assert err.value.errors == {
        "staff_full_time": "专职人员不能多于年末从业人员",
        "income_total": "请输入数字（不带单位）",
        "expense_basic": "金额不能为负数",
    }
    assert services.store.query("SELECT count(*) AS n FROM changes")[0]["n"] == before
    assert q.facts_row(services.store, services.store.station_id, 2025) is None


def test_cli_set_show_confirm(cli, services):
    services.close()
    out = cli("facts", "set", "--year", "2025", "年末从业人员=3", "专职人员=5", "藏书=多")
    assert out.returncode == 2
    assert "其中：专职人员：专职人员不能多于年末从业人员" in out.stdout
    assert "藏书：请输入数字（不带单位）" in out.stdout
    cli("facts", "set", "--year", "2025", "staff_total=3", "专职人员=2", check=True)
    shown = json.loads(cli("facts", "show", "--year", "2025", "--json", check=True).stdout)
    assert (shown["staff_total"], shown["staff_full_time"], shown["confirmed"]) == (3, 2, False)
    cli("facts", "confirm", "--year", "2025", "--operator", "王芳", check=True)
    shown = json.loads(cli("facts", "show", "--year", "2025", "--json", check=True).stdout)
    assert (shown["confirmed"], shown["confirmed_by"], shown["missing"]) == (True, "王芳", [])
