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
    [team, choir] = sorted(svc.rows(), key=lambda t: t["founded"])
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


def test_activity_import_and_export_name_the_team(services, tmp_path):
    """The 演出团队 column of activity files (issue 13 §3): a team of the registry by name is
    linked; an unknown or dissolved team is a problem at that cell; the export writes the name,
    so a file exported and imported again links the same team."""

    import openpyxl

    from pzh_core import tabular

    teams = TeamService(services)
    choir = teams.save(ArtTeam(name="金沙合唱团", art_form="vocal", founded="2020-01-01"))
    teams.save(
        ArtTeam(
            name="老年腰鼓队",
            art_form="dance",
            founded="2019-01-01",
            status="dissolved",
            dissolved_on="2024-12-31",
        )
    )
    src = tmp_path / "活动.csv"
    tabular.write_table(
        src,
        ["活动名称", "日期", "活动类型", "参与人次", "演出团队"],
        [
            ["合唱展演", "2025-06-01", "文艺演出", 120, "金沙 合唱团"],
            ["腰鼓表演", "2025-07-01", "文艺演出", 80, "老年腰鼓队"],
            ["广场舞", "2025-07-02", "广场舞/群众文体", 60, "没有的队"],
            ["讲座", "2025-07-03", "讲座", 30, ""],
        ],
        fmt="csv",
    )
    svc = ActivityService(services)
    result = svc.read_import(src, today=TODAY)
    assert [(p.line, p.field) for p in result.problems] == [(3, "演出团队"), (4, "演出团队")]
    assert "已解散" in result.problems[0].message and "没有的队" in result.problems[1].message
    svc.write_import(result, skip_bad=True)
    by_title = {
        a["title"]: a for a in services.store.query("SELECT title, team_id FROM activities")
    }
    assert by_title["合唱展演"]["team_id"] == choir and by_title["讲座"]["team_id"] == ""
    out = tmp_path / "导出.xlsx"
    svc.export(out)
    ws = openpyxl.load_workbook(out).active
    header = [c.value for c in ws[1]]
    rows = {
        r[0]: dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)
    }
    assert rows["合唱展演"]["演出团队"] == "金沙合唱团" and not rows["讲座"]["演出团队"]
    svc.export(tmp_path / "导出.csv", fmt="csv")
    with open(tmp_path / "导出.csv", encoding="utf-8-sig") as fh:
        assert "金沙合唱团" in fh.read()
    again = svc.read_import(out, today=TODAY)
    assert not again.problems and {a.team_id for a in again.good} == {choir, ""}
