"""What staff see of the sync besides its state: changes the city server set aside (what, why,
what to do), shared by the sync page and ``pzh-station sync-status``."""

from __future__ import annotations

from dataclasses import dataclass

from pzh_core.domain import erasure
from pzh_core.domain.rules import TABLE_LABELS
from pzh_station.services.context import Services
from pzh_station.store import set_aside

RESTORED = "本机已恢复为服务器上的内容。"


@dataclass
class SetAsideItem:
    id: int
    table: str
    row_id: str
    what: str  # the refused values, shortened
    why: str  # the server's reason, in Chinese
    code: str

    @property
    def text(self) -> str:
        # The server's message says what, why and what to do (pzh_core.domain.rules).
        label = TABLE_LABELS.get(self.table, self.table)
        return f"［{label}］{self.what}：{self.why} {RESTORED}"


class SyncStatusService:
    def __init__(self, services: Services) -> None:
        self.store = services.store

    def set_aside(self) -> list[SetAsideItem]:
        """The changes the server refused and nobody dismissed yet, newest first."""
        out = []
        for r in set_aside.open_items(self.store):
            values = "、".join(_short(v) for v in r["fields"].values())
            if r["code"] == erasure.CODE:  # what was typed is erased as well (issue 13, §5)
                values = "已注销人员的个人信息"
            why = r["message"] or "；".join(r["errors"].values())
            out.append(SetAsideItem(r["id"], r["tbl"], r["row_id"], values, why, r["code"]))
        return out

    def dismiss(self, item_id: int) -> None:
        set_aside.dismiss(self.store, item_id)


def _short(value: object) -> str:
    text = str(value)
    return text if len(text) <= 20 else f"{text[:20]}…（共{len(text)}字）"
