"""A hand-computed year of one station for the annual return's tests (desk and server).

Every figure below is counted by hand from the rows written by :func:`build`; the comments say
which rows make it. The return's default definition file counts 培训人次 by participants and
文艺活动 as 文艺演出、广场舞/群众文体、非遗传承、流动服务.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pzh_core import hlc
from pzh_core.schema import det_id

ROOT = Path(__file__).resolve().parent.parent
YEAR = 2025
AS_OF = dt.date(2026, 3, 15)

EXPECTED: dict[str, int | float | None] = {
    # activities: A1 performance 100, A7 mass_sports 60 (A8 is 2024, A9 deleted)
    "art_activities": 2,
    "art_activity_visits": 160,
    # C1 (first held session 2025-03-01) + C3 (starts 2025-12-20, runs into 2026) + A6 one-off
    # training; C2 started 2024-12-20 and counts in 2024 only; C4 is deleted
    "training_classes": 3,
    # participants: C1 P1 P2 P3 (3) + C3 P4 P5 (2, one of them only in 2026) + A6's 20 = 25
    "trainee_visits": 25,
    # sign-ins dated 2025: C1 3 + 1, C2's 2025-01-10 session 3, C3's 2025-12-20 session 1 = 8;
    # + A6's 20 = 28
    "trainee_visits_other": 28,
    "exhibitions": 1,  # A4
    "exhibition_visits": 30,
    "lectures": 1,  # A5
    "lecture_visits": 50,
    "other_activities": 2,  # A2 reading 40, A3 digital 25 (not 文艺活动 by the default file)
    "other_activity_visits": 65,
    "total_activities": 9,  # 2 + 3 + 1 + 1 + 2
    "total_visits": 330,  # 160 + 25 + 30 + 50 + 65
    "population": 1_000,
    "visits_per_resident": 0.33,  # 330 / 1000
    "amateur_teams": 2,  # T1 (2020), T2 (2025-06); T3 dissolved 2025-03, T4 founded 2026
    "staff_total": 4,
    "staff_full_time": 3,
    "staff_part_time": 1,
    "staff_senior": 1,
    "staff_intermediate": 2,
    "floor_area": 850.0,
    "floor_area_activity": None,  # left empty: not known ("—", adds nothing)
    "floor_area_office": 0.0,  # a 0 typed by a person stays 0
    "computers": 12,
    "computers_public": 8,
    "books": 6200,
    "stage_vehicles": 1,
    "weekly_open_hours": 56.0,
    "income_total": 320.0,
    "income_fiscal": 300.0,
    "income_other": 20.0,
    "expense_total": 310.5,
    "expense_basic": 200.0,
    "expense_project": 110.5,
    "assets_total": 1500.0,
    "fixed_assets": 1800.0,
}
FACTS = {
    k: "" if v is None else str(v)
    for k, v in EXPECTED.items()
    if k.startswith(
        ("staff_", "floor", "computers", "books", "stage", "weekly", "income", "expense")
    )
    or k in ("assets_total", "fixed_assets", "population")
}
FACTS["population_source"] = "2024年攀枝花市统计公报"
# The figures as a return sheet shows them: "—" for what is not known.
SHEET = {k: "—" if v is None else v for k, v in EXPECTED.items()}


def _act(store, title, date, kind, attendance, *, deleted=False):
    aid = store.write(
        "activities",
        None,
        {
            "title": title,
            "date": date,
            "kind": kind,
            "delivery": "station",
            "attendance": attendance,
        },
    )
    if deleted:
        store.delete("activities", aid)
    return aid


def build(store) -> dict[str, str]:
    """Write the year's records (activities, classes, teams) into a set-up station's store."""
    ids: dict[str, str] = {}
    with store.transaction():
        for name, date, kind, n in (
            ("A1", "2025-01-10", "performance", 100),
            ("A2", "2025-02-01", "reading", 40),
            ("A3", "2025-03-01", "digital", 25),
            ("A4", "2025-04-01", "exhibition", 30),
            ("A5", "2025-05-01", "lecture", 50),
            ("A6", "2025-06-01", "training", 20),
            ("A7", "2025-07-01", "mass_sports", 60),
            ("A8", "2024-12-31", "performance", 999),
        ):
            ids[name] = _act(store, f"活动{name}", date, kind, n)
        ids["A9"] = _act(store, "删掉的非遗活动", "2025-08-01", "heritage", 15, deleted=True)
        people = {
            p: store.write("people", None, {"name": f"学员{p}"})
            for p in ("P1", "P2", "P3", "P4", "P5")
        }

        def klass(name, sessions, *, deleted=False):
            cid = store.write("classes", None, {"name": name, "status": "running"})
            for date, marks, cancelled in sessions:
                sid = store.write(
                    "sessions", None, {"class_id": cid, "date": date, "cancelled": cancelled}
                )
                for p, mark in marks.items():
                    store.write(
                        "attendance",
                        det_id("attendance", sid, people[p]),
                        {"session_id": sid, "class_id": cid, "person_id": people[p], "mark": mark},
                    )
            if deleted:
                store.delete("classes", cid)
            return cid

        ids["C1"] = klass(
            "声乐班",
            [
                ("2025-03-01", {"P1": "present", "P2": "present", "P3": "late"}, False),
                ("2025-03-08", {"P1": "present", "P2": "absent"}, False),
                ("2025-03-15", {"P3": "present"}, True),  # cancelled
            ],
        )
        ids["C2"] = klass(
            "舞蹈班（2024年开班）",
            [
                ("2024-12-20", {"P1": "present", "P4": "present"}, False),
                ("2025-01-10", {"P1": "present", "P4": "present", "P2": "present"}, False),
            ],
        )
        ids["C3"] = klass(
            "书法班（跨年）",
            [
                ("2025-12-20", {"P4": "present"}, False),
                ("2026-01-05", {"P4": "present", "P5": "present"}, False),
            ],
        )
        ids["C4"] = klass("删掉的班", [("2025-05-01", {"P1": "present"}, False)], deleted=True)
        for name, founded, status, dissolved in (
            ("T1", "2020-05-01", "active", ""),
            ("T2", "2025-06-01", "active", ""),
            ("T3", "2019-01-01", "dissolved", "2025-03-01"),
            ("T4", "2026-01-10", "active", ""),
        ):
            ids[name] = store.write(
                "art_teams",
                None,
                {
                    "name": f"团队{name}",
                    "art_form": "dance",
                    "founded": founded,
                    "status": status,
                    "dissolved_on": dissolved,
                },
            )
    return ids


def receive_definitions(store, data: dict, *, ms: int | None = None) -> None:
    """Apply a city definition file as the desk receives it from the server (a row of the
    server's device, merged like any pulled change)."""
    sid = store.station_id
    stamp = hlc.encode(ms or hlc.wall_ms(), 0, "server")
    row_id = det_id("city_setting", "indicator_definitions", "city", sid)
    with store.transaction():
        store.apply_remote(
            "city_settings",
            row_id,
            sid,
            {"key": "indicator_definitions", "scope": "city", "value": data},
            stamp,
        )
