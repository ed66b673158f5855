"""A record's history (审计, issue 14), computed once for the desk's 历史 view and the web
station page: from the change log each side already has (the desk's own ``changes`` and the
changes it received; the server's feed), who (operator and device), when, and which field went
from what to what. Read-only: nothing here writes.

Entries are replayed in stamp order (the merge rule's order), so "from" is the value the field
had before that change won; a change that lost a field to a newer one shows only what it won.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pzh_core import hlc, merge
from pzh_core.china_tz import china_time

SERVER = "server"

FIELD_LABELS = {
    "title": "活动名称",
    "date": "日期",
    "start_time": "开始时间",
    "end_time": "结束时间",
    "place": "地点",
    "kind": "活动类型",
    "delivery": "服务方式",
    "organiser": "主办单位",
    "partners": "合作单位",
    "attendance": "参与人次",
    "target_groups": "服务对象",
    "brand": "活动品牌",
    "notes": "备注",
    "created_by": "录入人",
    "team_id": "表演团队",
    "deleted": "删除",
    "name": "名称",
    "teacher": "教师",
    "venue": "上课地点",
    "start_date": "开始日期",
    "end_date": "结束日期",
    "status": "状态",
    "mark": "签到",
    "marked_by": "签到录入人",
    "hours": "时长",
    "description": "服务内容",
    "verified_by": "审核人",
    "verified_on": "审核日期",
    "period": "时段",
    "submitted_by": "报送人",
    "submitted_at": "报送时间",
    "decided_by": "审核人",
    "decided_at": "审核时间",
    "reason": "原因",
    "figures": "报送时的数字",
    "approved_figures": "审核时的数字",
    "incomplete": "报送时不完整的内容",
    "accepted_by": "市级确认人",
    "accepted_at": "市级确认时间",
    "year": "年份",
    "confirmed": "已确认",
    "confirmed_by": "确认人",
}


@dataclass(frozen=True)
class Entry:
    """One change of the record as a log holds it."""

    stamp: str
    fields: Mapping[str, Any]
    operator: str = ""
    refused: bool = False  # set aside by the city server (never merged)


@dataclass
class Step:
    when: str  # China time, minutes
    device: str  # the device id, or "server"
    operator: str
    changes: list[tuple[str, Any, Any]] = field(default_factory=list)  # (field, from, to)
    refused: bool = False

    @property
    def who(self) -> str:
        if self.device == SERVER:
            return f"{self.operator}（市服务器）" if self.operator else "市服务器"
        short = self.device[:8]
        return f"{self.operator}（设备 {short}）" if self.operator else f"设备 {short}"


def when(stamp: str) -> str:
    ms = hlc.parse(stamp).ms
    return china_time(ms)


def steps(entries: Iterable[Entry]) -> list[Step]:
    """The record's steps, oldest first (a stamp seen twice counts once)."""
    clocks: dict[str, str] = {}
    values: dict[str, Any] = {}
    out: list[Step] = []
    seen: set[str] = set()
    for e in sorted(entries, key=lambda e: e.stamp):
        if e.stamp in seen:
            continue
        seen.add(e.stamp)
        step = Step(when(e.stamp), hlc.parse(e.stamp).device, e.operator, refused=e.refused)
        if e.refused:
            step.changes = [(k, values.get(k), v) for k, v in e.fields.items()]
        else:
            won, clocks = merge.merge(clocks, dict(e.fields), e.stamp)
            # a field written again with the value it had is no change to show
            step.changes = [
                (k, values.get(k), v)
                for k, v in won.items()
                if (values[k] != v if k in values else not _empty(v))
            ]
            values.update(won)
        if step.changes:
            out.append(step)
    return out


def _empty(value: Any) -> bool:
    """A new record's field left as it starts: nothing to show."""
    return value is None or value == "" or value == [] or value == {} or value is False


# Fields stored by code, shown by label (resources/refdata).
CODED = {
    "kind": "activity_kinds",
    "delivery": "delivery_modes",
    "target_groups": "target_groups",
    "brand": "brands",
    "art_form": "art_forms",
}


def label(name: str) -> str:
    return FIELD_LABELS.get(name, name)


def show(value: Any, name: str = "") -> str:
    """A value as the history shows it (a code of field ``name`` by its label)."""
    if name in CODED and value:
        from pzh_core.domain import refdata

        labels = refdata.labels(CODED[name])
        value = (
            [labels.get(v, v) for v in value]
            if isinstance(value, list)
            else labels.get(value, value)
        )
    if value is None or value == "":
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(str(v) for v in value) or "（空）"
    if isinstance(value, dict):
        return "，".join(f"{label(k)} {v}" for k, v in value.items()) or "（空）"
    return str(value)
