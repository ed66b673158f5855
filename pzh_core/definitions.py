"""The 口径 (definitions) of the annual return's figures: one definition file for the city.

The city server holds the file (shipped default: ``resources/refdata/indicator_definitions.json``)
and writes it as the city setting ``indicator_definitions``; every desk receives it in the sync
answer. The indicator functions read it from the connection they run on, so the desk and the
server count the same way, and the return states which definition it used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pzh_core.domain import refdata

# How 培训人次 is counted.
TRAINEE_VISITS = {
    "participants": "按参加培训的人数（每班每人计1人次）",
    "sign_ins": "按每次课的签到人次累计",
}


class DefinitionError(ValueError):
    """A definition file that cannot be used; the message says why in Chinese."""


@dataclass(frozen=True)
class Definitions:
    name: str
    version: str
    trainee_visits: str  # a key of TRAINEE_VISITS
    art_activity_kinds: tuple[str, ...]  # activity kinds counted as 组织文艺活动
    source: str

    @property
    def other_trainee_visits(self) -> str:
        """The 口径 shown beside the one used, so the county can compare."""
        return next(k for k in TRAINEE_VISITS if k != self.trainee_visits)

    def describe(self) -> str:
        kinds = refdata.labels("activity_kinds")
        art = "、".join(kinds.get(k, k) for k in self.art_activity_kinds)
        return (
            f"{self.name}（{self.version}）：培训人次{TRAINEE_VISITS[self.trainee_visits]}；"
            f"组织文艺活动计入：{art}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "trainee_visits": self.trainee_visits,
            "art_activity_kinds": list(self.art_activity_kinds),
            "source": self.source,
        }


def parse(data: Mapping[str, Any]) -> Definitions:
    """A definition file's content → :class:`Definitions`. :raises DefinitionError:"""
    if not isinstance(data, Mapping):
        raise DefinitionError("口径文件应为一个JSON对象")
    kinds = refdata.labels("activity_kinds")
    tv = data.get("trainee_visits")
    if tv not in TRAINEE_VISITS:
        raise DefinitionError(
            "trainee_visits 应为 " + " 或 ".join(TRAINEE_VISITS) + f"，而不是 {tv!r}"
        )
    art = data.get("art_activity_kinds")
    if not isinstance(art, list) or not art or not all(isinstance(k, str) for k in art):
        raise DefinitionError("art_activity_kinds 应为活动类型代码的列表")
    unknown = [k for k in art if k not in kinds]
    if unknown:
        raise DefinitionError("未知的活动类型：" + "、".join(unknown))
    separate = {"training", "exhibition", "lecture"} & set(art)
    if separate:
        raise DefinitionError("培训、展览、讲座在年报中单列，不能计入组织文艺活动")
    name, version, source = (str(data.get(k) or "").strip() for k in ("name", "version", "source"))
    if not name or not version:
        raise DefinitionError("口径文件须有 name 和 version")
    return Definitions(name, version, tv, tuple(art), source)


def default() -> Definitions:
    return parse(refdata.load("indicator_definitions"))


def of(conn: Any) -> Definitions:
    """The city's definition as this connection holds it (a city setting written by the
    server); the shipped default when none arrived or it cannot be used."""
    from pzh_core.queries import annual as q

    value = q.city_setting(conn, "indicator_definitions")
    if value is None:
        return default()
    try:
        return parse(value)
    except DefinitionError:
        return default()
