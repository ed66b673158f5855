"""Demo activities: about 15 a month over the last year, in this station's kinds and places."""

from __future__ import annotations

import datetime as dt
import random

from pzh_core.domain import refdata
from pzh_core.domain.activity import Activity
from pzh_station.services.context import Services

TITLES = {
    "performance": [
        "百姓大舞台文艺汇演",
        "金沙放歌群众歌咏比赛",
        "新春文艺演出",
        "彝族火把节歌舞展演",
    ],
    "lecture": ["健康养生知识讲座", "防范电信诈骗讲座", "家风家训讲座", "非遗保护知识讲座"],
    "exhibition": ["农民画作品展", "书法摄影作品展", "乡村振兴成果图片展"],
    "training": ["广场舞骨干培训", "葫芦丝公益培训", "剪纸技艺培训"],
    "reading": ["亲子阅读推广活动", "全民阅读分享会", "农家书屋读书会"],
    "mass_sports": ["广场舞展示", "群众篮球友谊赛", "太极拳表演"],
    "heritage": ["傈僳族刺绣传承课", "彝族漆器技艺展示"],
    "mobile_service": ["文化进村流动服务", "流动图书车进社区", "戏曲进乡村巡演"],
    "digital": ["数字文化馆线上课堂", "线上非遗直播"],
}
PLACES = ["文化站多功能厅", "镇文化广场", "大田村文化室", "团山村活动中心", "镇中心小学", "敬老院"]


def make(rng: random.Random, day: dt.date, operator: str) -> Activity:
    kind = rng.choice(list(TITLES))
    delivery = (
        "mobile"
        if kind == "mobile_service"
        else ("online" if kind == "digital" else rng.choice(["station"] * 4 + ["mobile"]))
    )
    groups = rng.sample(
        [g["code"] for g in refdata.items("target_groups")], k=rng.choice([0, 1, 1, 2])
    )
    brand = rng.choice(["", "", "", "baixing_stage", "jinsha_song", "opera_village"])
    start_h = rng.choice([9, 10, 14, 15, 19])
    return Activity(
        title=rng.choice(TITLES[kind]),
        date=day.isoformat(),
        start_time=f"{start_h:02d}:00",
        end_time=f"{start_h + rng.choice([1, 2, 2, 3]):02d}:{rng.choice(['00', '30'])}",
        place="线上" if delivery == "online" else rng.choice(PLACES),
        kind=kind,
        delivery=delivery,
        organiser="大田镇综合文化站",
        partners=rng.choice(["", "", "镇中心小学", "县文化馆", "志愿者协会"]),
        attendance=rng.randint(20, 400) if kind != "performance" else rng.randint(150, 1500),
        target_groups=groups,
        brand=brand,
        notes=rng.choice(["", "", "活动照片已存档", "群众反响良好"]),
        created_by=operator,
    )


def fill(services: Services, rng: random.Random, *, count: int = 180, days: int = 365) -> int:
    """Write ``count`` activities spread over the last ``days`` days, in one transaction."""
    today = dt.date.today()
    store = services.store
    with store.transaction():
        for _ in range(count):
            act = make(rng, today - dt.timedelta(days=rng.randrange(days)), services.operator)
            store.write("activities", None, act.fields())
    return count
