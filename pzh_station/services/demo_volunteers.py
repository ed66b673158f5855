"""Demo volunteers and a year of their service records.

About 40 volunteers (people of the registry), some of them joined years ago. Their service over
the last year is linked to the demo activities where there are some, plus station duty and
reading-room work. Most records are verified by another staff member than the one who recorded
them; the last weeks are still waiting, a few were rejected, one verified record was corrected.
A handful of long-serving volunteers carry earlier verified hours, so star levels show.
"""

from __future__ import annotations

import datetime as dt
import random

from pzh_core.domain import refdata
from pzh_core.domain.certificate import resident_id
from pzh_core.domain.person import Person
from pzh_core.domain.volunteer import ServiceRecord, Volunteer
from pzh_station.services.context import Services
from pzh_station.store import volunteers as volunteer_store

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗高林"
GIVEN = [
    "秀英",
    "桂兰",
    "建华",
    "志强",
    "丽",
    "芳",
    "军",
    "伟",
    "敏",
    "静",
    "国平",
    "海燕",
    "玉梅",
    "春花",
    "德明",
    "晓东",
    "红梅",
    "文",
    "小龙",
    "子涵",
]
TEAMS = ["文艺志愿服务队", "讲解志愿服务队", "阅读推广志愿队", "非遗传承志愿队", ""]
VILLAGES = ["大田村", "团山村", "老村子村", "大田社区", "鱼塘村"]
DUTIES = [
    "文化站值班服务",
    "农家书屋图书整理",
    "文化广场秩序维护",
    "留守儿童课后陪伴",
    "老年人智能手机教学",
]


def _fill_history(
    store,
    rng: random.Random,
    vid: str,
    pid: str,
    join: dt.date,
    hours: float,  # noqa: ANN001
    before: dt.date,
    staff: list[str],
) -> int:
    """Earlier verified service (before the demo year), in 4-hour days between join and
    ``before``."""
    span = max(1, (before - join).days - 1)
    made = 0
    days = sorted({join + dt.timedelta(days=rng.randrange(span)) for _ in range(int(hours // 4))})
    for day in days:
        rec, ver = rng.sample(staff, 2) if len(staff) > 1 else (staff[0], staff[0])
        store.write(
            "service_records",
            None,
            ServiceRecord(
                volunteer_id=vid,
                person_id=pid,
                date=day.isoformat(),
                hours=4.0,
                description=rng.choice(DUTIES),
                recorded_by=rec,
                status="verified",
                verified_by=ver,
                verified_on=day.isoformat(),
            ).fields(),
        )
        made += 1
    return made


class _Records:
    """Writes demo service records: at most 12 hours a person a day; the last three weeks still
    waiting for verification, a few rejected, the rest verified by another staff member."""

    def __init__(self, store, rng: random.Random, staff: list[str], today: dt.date) -> None:  # noqa: ANN001
        self.store, self.rng, self.staff, self.today = store, rng, staff, today
        self.busy: dict[tuple[str, str], float] = {}
        self.made = 0

    def add(
        self, vid: str, pid: str, day: str, hours: float, what: str, activity_id: str = ""
    ) -> None:
        rng, staff, today = self.rng, self.staff, self.today
        if self.busy.get((vid, day), 0) + hours > 12:
            return
        self.busy[(vid, day)] = self.busy.get((vid, day), 0) + hours
        rec, ver = rng.sample(staff, 2) if len(staff) > 1 else (staff[0], staff[0])
        age = (today - dt.date.fromisoformat(day)).days
        status = "recorded" if age < 21 else ("rejected" if rng.random() < 0.03 else "verified")
        decided = status != "recorded"
        verified_on = (
            min(today, dt.date.fromisoformat(day) + dt.timedelta(days=rng.randint(1, 14)))
            if decided
            else None
        )
        self.store.write(
            "service_records",
            None,
            ServiceRecord(
                volunteer_id=vid,
                person_id=pid,
                date=day,
                hours=hours,
                description=what,
                activity_id=activity_id,
                recorded_by=rec,
                status=status,
                verified_by=ver if decided else "",
                verified_on=verified_on.isoformat() if verified_on else "",
                reject_reason="与活动签到记录不符" if status == "rejected" else "",
            ).fields(),
        )
        self.made += 1


def _volunteer(
    services: Services, rng: random.Random, i: int, count: int, skills: list[str]
) -> tuple[str, str, dt.date]:
    """The i-th demo volunteer (a person of the registry): ``(volunteer id, person id, joined)``.
    The first six are veterans who joined 4–8 years ago."""
    from pzh_station.services.people import PeopleService
    from pzh_station.services.volunteers import VolunteerService

    today = dt.date.today()
    join = today - dt.timedelta(
        days=rng.randrange(4 * 365, 8 * 365) if i < 6 else rng.randrange(30, 3 * 365)
    )
    # The month, day and serial of the made-up ID number come from i, not from rng, so
    # the rest of the demo year stays as it was.
    born = dt.date(rng.randint(1950, 2004), 1 + i % 12, 1 + i % 28)
    person = Person(
        name=rng.choice(SURNAMES) + rng.choice(GIVEN),
        gender=rng.choice("男女"),
        birth_year=born.year,
        phone=f"139{rng.randrange(10**8):08d}",
        village=rng.choice(VILLAGES),
        created_by=services.operator,
    )
    pid = PeopleService(services).save(person)
    vol = Volunteer(
        person_id=pid,
        join_date=join.isoformat(),
        skills=rng.sample(skills, k=rng.choice([1, 1, 2])),
        team=rng.choice(TEAMS),
        status="active" if i < count - 3 else rng.choice(["paused", "left"]),
        training=rng.choice(["", "文化志愿者岗前培训", "讲解员培训"]),
        awards=rng.choice(["", "", "优秀文化志愿者（县级）"]),
        created_by=services.operator,
        id_type="resident_id",  # a made-up number with a valid check character
        id_number=resident_id("510411", born, 100 + i),
    )
    return VolunteerService(services).save(vol), pid, join


def _service_in_the_year(
    records: _Records,
    rng: random.Random,
    activities: list[dict],
    active: list[tuple[str, str, dt.date]],
    start: dt.date,
    days: int,
) -> None:
    """Helpers at the demo activities, then each active volunteer's own duties."""
    for act in activities:
        helpers = [
            v
            for v in rng.sample(active, k=min(len(active), rng.choice([0, 2, 3, 4, 6])))
            if v[2].isoformat() <= act["date"]
        ]
        for vid, pid, _join in helpers:
            hours = rng.choice([2.0, 2.5, 3.0, 4.0])
            records.add(vid, pid, act["date"], hours, act["title"], act["id"])
    for vid, pid, join in active:
        for _ in range(rng.randint(3, 20)):
            day = start + dt.timedelta(days=rng.randrange(days))
            if day >= join:
                hours = rng.choice([1.0, 1.5, 2.0, 3.0, 4.0])
                records.add(vid, pid, day.isoformat(), hours, rng.choice(DUTIES))


def _one_correction(services: Services, staff: list[str], start: dt.date) -> int:
    """One verified record corrected on the volunteer's request (history kept). Recorded by the
    requester, so the approver (who becomes the verifier) is someone else."""
    from pzh_station.services.volunteers import VolunteerService

    row = volunteer_store.first_verified_by(services.store, staff[0], start.isoformat())
    if row is None or len(staff) < 2:
        return 0
    svc, today = VolunteerService(services), dt.date.today()
    cid = svc.request_correction(
        row["id"],
        {"hours": row["hours"] + 0.5},
        "志愿者本人申请：漏记活动后的整理时间",
        requested_by=staff[0],
        today=today,
    )
    svc.decide_correction(cid, approve=True, decided_by=staff[1], today=today)
    return 1


def fill(
    services: Services, rng: random.Random, *, count: int = 40, days: int = 365
) -> dict[str, int]:
    """Write volunteers and their records, in one transaction. :returns: counts made."""
    from pzh_station.services.activities import ActivityService
    from pzh_station.services.station import StationService
    from pzh_station.store.activities import ActivityFilter

    store = services.store
    today = dt.date.today()
    start = today - dt.timedelta(days=days)
    staff = StationService(services).profile().staff or [services.operator or "李明"]  # type: ignore[union-attr]
    skills = [s["code"] for s in refdata.items("volunteer_skills")]
    acts = ActivityService(services)
    activities = acts.rows(acts.ids(ActivityFilter(date_from=start.isoformat())))
    records = _Records(store, rng, staff, today)
    history = 0
    with store.transaction():
        vols: list[tuple[str, str, dt.date]] = []
        for i in range(count):
            vid, pid, join = _volunteer(services, rng, i, count, skills)
            vols.append((vid, pid, join))
            if i < 6:  # veterans: 95 … 1500 h earlier, so some cross a star level this year
                hours = rng.choice([96, 280, 296, 590, 980, 1480])
                since = max(join + dt.timedelta(days=2), start)
                history += _fill_history(store, rng, vid, pid, join, hours, since, staff)
        active = vols[: count - 3]
        _service_in_the_year(records, rng, list(activities.values()), active, start, days)
        corrections = _one_correction(services, staff, start)
    return {
        "volunteers": len(vols),
        "service_records": history + records.made,
        "service_corrections": corrections,
    }
