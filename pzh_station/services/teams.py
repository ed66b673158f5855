"""The amateur art teams registry (业余文艺团队): list, save (validated by the core's rules),
delete to the trash and restore."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pzh_core.domain import art_team as rules
from pzh_core.domain.art_team import ArtTeam
from pzh_core.domain.errors import ValidationError
from pzh_core.i18n import tr
from pzh_station.services.context import Services
from pzh_station.store import teams as q


class TeamService:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.store = services.store

    def rows(self, *, trash: bool = False) -> list[dict[str, Any]]:
        """Teams with ``leader_name`` and ``member_names``."""
        teams = q.rows(self.store, trash=trash)
        ids = sorted({p for t in teams for p in t["members"]})
        names = q.names(self.store, ids)
        for t in teams:
            t["member_names"] = [names.get(p, "（已删除）") for p in t["members"]]
        return teams

    def get(self, team_id: str) -> ArtTeam | None:
        row = self.store.get("art_teams", team_id)
        return ArtTeam.from_row(row) if row and not row["deleted"] else None

    def save(self, team: ArtTeam, *, today: dt.date | None = None) -> str:
        """Create or change a team. :raises ValidationError: nothing is written."""
        errors = rules.validate(team, today=today or self.services.today())
        people = q.names(self.store, [p for p in [team.leader_id, *team.members] if p])
        if team.leader_id and team.leader_id not in people:
            errors["leader_id"] = tr("ArtTeam", "负责人不在人员名单中")
        if any(p not in people for p in team.members):
            errors.setdefault("members", tr("ArtTeam", "有成员不在人员名单中"))
        if errors:
            raise ValidationError(errors)
        fields = team.fields()
        if team.id is None:
            fields["created_by"] = self.services.operator
        else:
            fields.pop("created_by", None)
        return self.store.write("art_teams", team.id, fields)

    def delete(self, team_id: str) -> None:
        self.store.delete("art_teams", team_id)

    def restore(self, team_id: str) -> None:
        self.store.restore("art_teams", team_id)

    def choices(self, day: str = "") -> list[tuple[str, str]]:
        """Teams an activity on ``day`` can name: ``(id, name)``."""
        return q.active_choices(self.store, day)
