"""Demo people and a year of training classes, each with weekly sessions, a roster (with a few
drops and walk-ins) and attendance marked for the sessions already held."""

from __future__ import annotations

import datetime as dt
import random

from pzh_core.domain import training as d
from pzh_core.domain.person import Person
from pzh_core.domain.training import TrainingClass
from pzh_station.services.context import Services
from pzh_station.services.people import PeopleService
from pzh_station.services.training import TrainingService

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余"
    "杜叶程苏魏吕丁沈"
)
GIVEN = (
    "秀英桂兰玉梅兰芳建国志强明华丽娟红霞海燕文军永福德胜春花金凤小平光荣家乐子涵雨欣"
    "思琪浩然俊杰晓东"
)
ETHNIC_NAMES = [
    ("阿依", "彝族"),
    ("吉克", "彝族"),
    ("沙马", "彝族"),
    ("余", "傈僳族"),
    ("杨", "傈僳族"),
]
VILLAGES = ["大田村", "团山村", "大田社区", "鱼塘村", "啊喇村", "莲花村"]
CLASSES = [
    ("声乐", "vocal", "合唱基础班", "王老师"),
    ("舞蹈", "dance", "广场舞提高班", "刘丽"),
    ("书法", "calligraphy", "老年书法班", "陈志远"),
    ("剪纸", "paper_cut", "剪纸传承班", "杨秀英"),
    ("器乐", "instrument", "葫芦丝入门班", "周明"),
    ("美术", "fine_art", "少儿美术班", "黄晓东"),
    ("瑜伽", "yoga", "健身瑜伽班", "郭海燕"),
    ("戏曲", "opera", "川剧清唱班", "何德胜"),
]
VENUES = ["文化站多功能厅", "文化站排练室", "大田村文化室", "镇中心小学"]


def _person(rng: random.Random, operator: str) -> Person:
    if rng.random() < 0.12:
        prefix, ethnicity = rng.choice(ETHNIC_NAMES)
        name = prefix + rng.choice(GIVEN) + (rng.choice(GIVEN) if len(prefix) == 1 else "")
    else:
        name, ethnicity = (
            rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice([1, 2, 2]))),
            "",
        )
    phone = (
        "1" + rng.choice("3589") + "".join(rng.choices("0123456789", k=9))
        if rng.random() < 0.85
        else ""
    )
    return Person(
        name=name,
        gender=rng.choice("男女女"),
        birth_year=rng.randint(1945, 2016),
        phone=phone,
        village=rng.choice(VILLAGES),
        ethnicity=ethnicity,
        created_by=operator,
    )


def _class(
    services: Services, rng: random.Random, i: int, today: dt.date
) -> tuple[str, dt.date, int]:
    """The i-th demo class (of ``CLASSES``): ``(class id, start, weeks)``."""
    _, art, title, teacher = CLASSES[i]
    start = today - dt.timedelta(days=365 - i * 45 + rng.randint(0, 10))
    weeks = rng.choice([6, 8, 8, 10])
    end = start + dt.timedelta(days=7 * weeks - 1)
    cid = TrainingService(services).save_class(
        TrainingClass(
            name=f"{start.year}年{title}",
            art_form=art,
            teacher=teacher,
            venue=rng.choice(VENUES),
            start_date=start.isoformat(),
            end_date=end.isoformat(),
            capacity=rng.choice([0, 30, 40]),
            status="finished" if end < today else "running",
            created_by=services.operator,
        )
    )
    return cid, start, weeks


def _attendance(
    training: TrainingService,
    rng: random.Random,
    cid: str,
    roster: list[str],
    person_ids: list[str],
    today: dt.date,
) -> int:
    """Marks for every session held so far (each person keen to a degree; one or two drop out
    half-way; now and then a walk-in). :returns: marks made."""
    made = 0
    keen = {pid: rng.uniform(0.55, 0.98) for pid in roster}
    dropped = set(rng.sample(roster, k=rng.randint(0, 2)))
    held_rows = [s for s in training.sessions(cid) if d.held(s, today)]
    for n, s in enumerate(held_rows):
        for pid in roster:
            if pid in dropped and n > len(held_rows) // 2:
                continue
            if rng.random() < keen[pid]:
                mark = "late" if rng.random() < 0.08 else "present"
            else:
                mark = rng.choice(["absent", "absent", "excused"])
            training.mark(s["id"], pid, mark)
            made += 1
        if rng.random() < 0.1:
            training.add_walk_in(s["id"], rng.choice(person_ids))
            made += 1
    for pid in dropped:
        training.drop(cid, pid)
    return made


def fill(
    services: Services, rng: random.Random, *, people: int = 240, today: dt.date | None = None
) -> dict[str, int]:
    """Write ``people`` people and eight classes spread over the last year (the most recent one
    still running), in one transaction. :returns: counts per kind of record."""
    today = today or dt.date.today()
    training = TrainingService(services)
    registry = PeopleService(services)
    made = {"people": 0, "classes": 0, "sessions": 0, "attendance": 0}
    with services.store.transaction():
        person_ids = [registry.save(_person(rng, services.operator)) for _ in range(people)]
        made["people"] = len(person_ids)
        for i in range(len(CLASSES)):
            cid, start, weeks = _class(services, rng, i, today)
            made["classes"] += 1
            weekdays = rng.sample(range(6), k=2)
            dates = d.weekly_dates(start, weekdays, weeks=weeks)
            hour = rng.choice(["09:00", "14:30", "19:30"])
            end_hour = f"{int(hour[:2]) + 2:02d}{hour[2:]}"
            sessions = training.add_sessions(cid, dates, hour, end_hour)
            made["sessions"] += len(sessions)
            if len(sessions) > 4 and rng.random() < 0.5:
                training.cancel_session(rng.choice(sessions[1:-1]), reason="停电，改期")
            roster = rng.sample(person_ids, k=rng.randint(15, 32))
            for pid in roster:
                training.enroll(cid, pid, today=start)
            made["attendance"] += _attendance(training, rng, cid, roster, person_ids, today)
    return made
