"""Amateur art teams (业余文艺团队) that a station cultivates: a small registry whose count the
annual return takes, and which activities can name as the team that performed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pzh_core.domain import refdata
from pzh_core.domain.record import Record
from pzh_core.i18n import tr

C = "ArtTeam"
STATUSES = {"active": "活动中", "dissolved": "已解散"}
MAX_MEMBERS = 50  # a list field of the sync protocol holds at most 50 items


@dataclass
class ArtTeam(Record):
    name: str = ""
    art_form: str = ""  # code of art_forms.json
    leader_id: str = ""  # a person of the registry, or ""
    members: list[str] = field(default_factory=list)  # people ids
    founded: str = ""  # YYYY-MM-DD or ""
    status: str = "active"
    dissolved_on: str = ""
    notes: str = ""
    created_by: str = ""
    id: str | None = None


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except (TypeError, ValueError):
        return None


def validate(team: ArtTeam, *, today: dt.date | None = None) -> dict[str, str]:
    """Check a team. :returns: ``{field: Chinese message}``, empty when it is valid."""
    today = today or dt.date.today()
    errors: dict[str, str] = {}
    if not team.name.strip():
        errors["name"] = tr(C, "请填写团队名称")
    elif len(team.name) > 100:
        errors["name"] = tr(C, "团队名称不能超过100字")
    if team.art_form not in refdata.labels("art_forms"):
        errors["art_form"] = tr(C, "请选择艺术门类")
    founded = _date(team.founded) if team.founded else None
    if team.founded and founded is None:
        errors["founded"] = tr(C, "请填写正确的日期（年-月-日）")
    elif founded and founded > today:
        errors["founded"] = tr(C, "成立日期不能晚于今天")
    if team.status not in STATUSES:
        errors["status"] = tr(C, "请选择团队状态")
    elif team.status == "dissolved":
        ended = _date(team.dissolved_on)
        if ended is None:
            errors["dissolved_on"] = tr(C, "请填写解散日期")
        elif founded and ended < founded:
            errors["dissolved_on"] = tr(C, "解散日期早于成立日期")
        elif ended > today:
            errors["dissolved_on"] = tr(C, "解散日期不能晚于今天")
    if len(team.members) > MAX_MEMBERS:
        errors["members"] = tr(C, "成员最多登记{}人").format(MAX_MEMBERS)
    elif len(set(team.members)) != len(team.members):
        errors["members"] = tr(C, "成员重复")
    if len(team.notes) > 500:
        errors["notes"] = tr(C, "内容过长")
    return errors
