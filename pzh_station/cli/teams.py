"""teams list / teams add: the amateur art teams registry (业余文艺团队)."""

from __future__ import annotations

import argparse
import json

from pzh_core.domain import art_team as rules
from pzh_core.domain import refdata
from pzh_core.domain.art_team import ArtTeam
from pzh_core.domain.errors import ValidationError
from pzh_station.cli.common import fail, services_for
from pzh_station.services.teams import TeamService


def cmd_list(args: argparse.Namespace) -> int:
    services = services_for(args)
    try:
        teams = TeamService(services).rows()
    finally:
        services.close()
    if args.json:
        print(json.dumps(teams, ensure_ascii=False, indent=2))
        return 0
    forms = refdata.labels("art_forms")
    for t in teams:
        state = rules.STATUSES.get(t["status"], t["status"])
        print(
            f"{t['name']}\t{forms.get(t['art_form'], t['art_form'])}\t{t['leader_name'] or '—'}"
            f"\t{len(t['members'])}人\t{t['founded'] or '成立日期不详'}\t{state}\t{t['id']}"
        )
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    art = refdata.code_for("art_forms", args.art_form) or args.art_form
    team = ArtTeam(
        name=args.name.strip(),
        art_form=art,
        founded=args.founded or "",
        notes=args.notes or "",
    )
    services = services_for(args)
    try:
        team_id = TeamService(services).save(team)
    except ValidationError as exc:
        return fail("错误：" + "；".join(exc.errors.values()))
    finally:
        services.close()
    print(f"已登记团队：{team.name}")
    print(team_id)
    return 0


def register(cli) -> None:  # noqa: ANN001
    p = cli.command("list", "列出业余文艺团队", cmd_list, group="teams")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p = cli.command("add", "登记一个业余文艺团队（成员在桌面程序中添加）", cmd_add, group="teams")
    p.add_argument("--name", required=True, help="团队名称")
    p.add_argument("--art-form", required=True, help="艺术门类：代码或名称，如 舞蹈")
    p.add_argument("--founded", help="成立日期 YYYY-MM-DD")
    p.add_argument("--notes", help="备注")
    p.add_argument("--operator", help="录入人")
