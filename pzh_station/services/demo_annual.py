"""Demo annual facts and amateur art teams: last year's facts confirmed, this year's carried
over and not confirmed yet (as a real station would have them in the middle of a year)."""

from __future__ import annotations

import datetime as dt
import random

from pzh_core.domain.art_team import ArtTeam
from pzh_station.services.annual_facts import AnnualFactsService
from pzh_station.services.context import Services
from pzh_station.services.teams import TeamService
from pzh_station.store import people as people_q

TEAMS = (
    ("金沙江畔广场舞队", "dance", "2018-04-01"),
    ("大田镇老年合唱团", "vocal", "2019-09-10"),
    ("彝族达体舞队", "dance", "2021-03-15"),
    ("书画爱好者协会", "calligraphy", "2017-05-20"),
    ("川剧围鼓队", "opera", "2022-10-01"),
    ("少儿器乐队", "instrument", "2024-06-01"),
)
FACTS = {
    "staff_total": "4",
    "staff_full_time": "3",
    "staff_part_time": "1",
    "staff_senior": "0",
    "staff_intermediate": "1",
    "floor_area": "860",
    "floor_area_activity": "620",
    "floor_area_office": "90",
    "computers": "12",
    "computers_public": "8",
    "books": "6200",
    "stage_vehicles": "0",
    "weekly_open_hours": "56",
    "income_total": "420",
    "income_fiscal": "396",
    "income_other": "24",
    "expense_total": "411.5",
    "expense_basic": "268",
    "expense_project": "143.5",
    "assets_total": "1860",
    "fixed_assets": "2350",
    "population": "23100",
    "population_source": "攀枝花市统计局 人口统计公报",
}


def fill(services: Services, rng: random.Random, *, today: dt.date | None = None) -> dict[str, int]:
    today = today or dt.date.today()
    people = [r["id"] for r in people_q.all_live(services.store)]
    teams = TeamService(services)
    made = 0
    for name, art, founded in TEAMS:
        members = rng.sample(people, min(len(people), rng.randint(6, 14))) if people else []
        teams.save(
            ArtTeam(
                name=name,
                art_form=art,
                founded=founded,
                members=members,
                leader_id=members[0] if members else "",
            ),
            today=today,
        )
        made += 1
    facts = AnnualFactsService(services)
    facts.save(today.year - 1, FACTS, confirm=True, today=today)
    facts.save(today.year, {}, today=today)  # carried over from last year, to be confirmed
    return {"art_teams": made, "annual_facts": 2}
