"""``pzh-station demo-data``: a believable year of one station, area by area."""

from __future__ import annotations

import random

from pzh_station.services import demo_activities, demo_annual, demo_training, demo_volunteers
from pzh_station.services.context import Services
from pzh_station.services.station import StationProfile, StationService

DEMO_PROFILE = StationProfile(
    name="仁和区大田镇综合文化站",
    county="仁和区",
    population=23_000,
    amateur_teams=6,
    full_time_staff=3,
    staff=["李明", "王芳", "张建国"],
)


def fill(services: Services, *, seed: int = 2026) -> dict[str, int]:
    """Fill the data dir with a year of records. :returns: ``{area: records made}``."""
    station = StationService(services)
    if not station.is_set_up():
        station.save_profile(DEMO_PROFILE)
    rng = random.Random(seed)
    if not services.operator:
        services.operator = (station.profile().staff or ["李明"])[0]  # type: ignore[union-attr]
    made = {"activities": demo_activities.fill(services, rng)}
    made.update(demo_training.fill(services, rng))
    made.update(demo_volunteers.fill(services, rng))
    made.update(demo_annual.fill(services, rng))
    return made


#: what :func:`fill` counts, in words a station worker reads
LABELS = {
    "activities": "活动",
    "people": "学员",
    "classes": "培训班",
    "sessions": "课次",
    "attendance": "签到",
    "volunteers": "志愿者",
    "service_records": "服务记录",
    "service_corrections": "更正申请",
    "art_teams": "业余文艺团队",
    "annual_facts": "年度基本情况",
}
