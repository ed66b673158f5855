"""The amateur art teams registry: rules at the field, members from the people registry, the
return's count from the registry, activities naming the team that performed."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from pzh_core.domain.activity import Activity
from pzh_core.domain.art_team import ArtTeam
from pzh_core.domain.errors import ValidationError
from pzh_station.services.activities import ActivityService
from pzh_station.services.annual_return import ReturnService
from pzh_station.services.teams import TeamService

TODAY = dt.date(2026, 3, 1)


def test_team_rules_at_the_field(services):
    svc = TeamService(services)
    with pytest.raises(ValidationError) as err:
        svc.save(
            ArtTeam(name="", art_form="rap", status="dissolved", members=["nobody"]), today=TODAY
        )
    assert err.value.errors == {
        "name": "请填写团队名称",
        "art_form": "请选择艺术门类",
        "dissolved_on": "请填写解散日期",
        "members": "有成员不在人员名单中",
    }
    with pytest.raises(ValidationError) as err:
        svc.save(
            ArtTeam(
                name="舞蹈队",
                art_form="dance",
                founded="2024-05-01",
                status="dissolved",
                dissolved_on="2023-01-01",
            ),
            today=TODAY,
        )
    assert err.value.errors == {"dissolved_on": "解散日期早于成立日期"}


def test_members_leader_count_and_activity_team(services):
    store = services.store
    a = store.write("people", None, {"name": "张一"})
    b = store.write("people", None, {"name": "李二"})
    svc = TeamService(services)
    tid = svc.save(
        ArtTeam(
            name="金沙江畔舞蹈队",
            art_form="dance",
            leader_id=a,
            members=[a, b],
            founded="2023-04-01",
        ),
        today=TODAY,
    )
    svc.save(ArtTeam(name="老年合唱团", art_form="vocal", founded="2026-01-05"), today=TODAY)
    [team, choir] = sorted(svc.list(), key=lambda t: t["founded"])
    assert (team["leader_name"], team["member_names"]) == ("张一", ["张一", "李二"])
    # the 2025 return counts the teams existing at the end of 2025
    assert ReturnService(services).figures(2025, as_of=TODAY).total["amateur_teams"] == 1
    assert ReturnService(services).figures(2026, as_of=TODAY).total["amateur_teams"] == 2
    assert [n for _i, n in svc.choices("2025-06-01")] == ["老年合唱团", "金沙江畔舞蹈队"]
    # an activity names the team that performed; an unknown team is refused at the field
    act = Activity(
        title="广场展演", date="2025-06-01", kind="performance", attendance=80, team_id=tid
    )
    aid = ActivityService(services).save(act)
    assert ActivityService(services).get(aid).team_id == tid
    with pytest.raises(ValidationError) as err:
        ActivityService(services).save(
            Activity(title="x", date="2025-06-01", kind="performance", team_id="nope")
        )
    assert err.value.errors == {"team_id": "没有这个文艺团队"}
    svc.delete(choir["id"])
    assert ReturnService(services).figures(2026, as_of=TODAY).total["amateur_teams"] == 1


def test_cli_teams(cli, services):
    services.close()
    bad = cli("teams", "add", "--name", "腰鼓队", "--art-form", "说唱")
    assert bad.returncode == 2 and "请选择艺术门类" in bad.stderr
    cli(
        "teams",
        "add",
        "--name",
        "腰鼓队",
        "--art-form",
        "舞蹈",
        "--founded",
        "2020-01-01",
        check=True,
    )
    teams = json.loads(cli("teams", "list", "--json", check=True).stdout)
    assert [(t["name"], t["art_form"], t["status"]) for t in teams] == [
        ("腰鼓队", "dance", "active")
    ]


def test_merging_people_moves_team_membership(services):
    from pzh_station.services.people import PeopleService

    store = services.store
    keep = store.write("people", None, {"name": "张一"})
    drop = store.write("people", None, {"name": "张一（重复）"})
    other = store.write("people", None, {"name": "李二"})
    svc = TeamService(services)
    tid = svc.save(
        ArtTeam(name="舞蹈队", art_form="dance", leader_id=drop, members=[drop, other, keep]),
        today=TODAY,
    )
    PeopleService(services).merge(keep, drop)
    team = svc.get(tid)
    assert (team.leader_id, team.members) == (keep, [keep, other])
