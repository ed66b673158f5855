"""The annual return (文化站年报): its items in the base form's order, each with its unit, its 口径
and where it comes from, computed per station from the synced tables (the desk's file or the
server's replica) under the city's definition file (:mod:`pzh_core.definitions`).

One computation for the desk's return sheet, ``report summary --json`` and the county summary
on the city's web pages. Totals over stations add each station's figure; a station without a
figure (no annual facts, no 常住人口) shows "—" (None) and adds nothing — the per-resident
figure of several stations is the visits of the stations *with* a population over their
population.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from pzh_core import definitions as defs
from pzh_core import indicators as ind
from pzh_core.domain import annual_facts as facts_rules
from pzh_core.period import Period
from pzh_core.queries import annual as q

Stations = Collection[str]
SEPARATE = ("training", "exhibition", "lecture")


@dataclass(frozen=True)
class Item:
    key: str
    label: str
    unit: str
    kind: str  # count | sum | money | ratio
    part: str  # 基本情况 | 活动 | 志愿服务
    note: str  # the 口径, as printed in docs/indicators.md and the detail sheet
    source: str  # 年度基本情况 | 业余文艺团队登记 | 活动台账 | 培训班 | 计算


def _fact_items() -> list[Item]:
    kinds = {"int": "count", "real": "sum", "money": "money"}
    return [
        Item(
            s.name,
            s.label,
            s.unit,
            kinds[s.kind],
            "基本情况",
            "年度基本情况中填写（已确认）"
            + ("；不详的留空，显示“—”，不计入合计" if s.unknown_ok else ""),
            "年度基本情况",
        )
        for s in facts_rules.SPECS
        if s.kind != "text" and s.name != "population"
    ]


_LEDGER, _CLASSES = "活动台账", "活动台账、培训班"
# The activity half of the return, in the form's order: key, label, unit, kind, 口径, source.
_ACTIVITY_ROWS: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("total_activities", "活动总场次", "场", "count",
     "下列五项场次之和：组织文艺活动＋训练班班次＋展览＋讲座＋其他活动", "计算"),
    ("art_activities", "组织文艺活动次数", "次", "count", "口径文件所列活动类型的活动", _LEDGER),
    ("art_activity_visits", "组织文艺活动参加人次", "人次", "sum", "上述活动的参与人次之和",
     _LEDGER),
    ("training_classes", "举办训练班班次", "班次", "count",
     "首次开课在本年的培训班（跨年的班只计开班当年）＋活动台账中的一次性培训（每次计1班）",
     _CLASSES),
    ("trainee_visits", "培训人次", "人次", "sum",
     "按口径文件：见“培训人次口径”；一次性培训计其参与人次", _CLASSES),
    ("trainee_visits_other", "培训人次（另一口径，仅供对照）", "人次", "sum",
     "另一种计法的结果，仅供对照，不计入服务总人次", _CLASSES),
    ("exhibitions", "举办展览个数", "个", "count", "活动类型为“展览”", _LEDGER),
    ("exhibition_visits", "展览参观人次", "人次", "sum", "展览的参与人次之和", _LEDGER),
    ("lectures", "组织公益性讲座次数", "次", "count", "活动类型为“讲座”", _LEDGER),
    ("lecture_visits", "公益性讲座参加人次", "人次", "sum", "讲座的参与人次之和", _LEDGER),
    ("other_activities", "其他活动场次", "场", "count",
     "不属于以上各项的活动（如口径未计入文艺活动的阅读推广、数字文化服务、其他）", _LEDGER),
    ("other_activity_visits", "其他活动参与人次", "人次", "sum", "其他活动的参与人次之和",
     _LEDGER),
    ("total_visits", "服务总人次", "人次", "sum",
     "文艺活动、培训（本口径）、展览、讲座、其他活动的人次之和", "计算"),
    ("population", "乡镇（街道）常住人口", "人", "count",
     "年度基本情况中填写，并注明来源；未填写显示“—”", "年度基本情况"),
    ("visits_per_resident", "人均公共文化服务次数", "次", "ratio",
     "服务总人次 ÷ 常住人口；未填人口的站不计入分子和分母", "计算"),
)  # fmt: skip


def _activity_items() -> list[Item]:
    return [
        Item(k, label, unit, kind, "活动", note, src)
        for k, label, unit, kind, note, src in _ACTIVITY_ROWS
    ]


def _other_items() -> list[Item]:
    return [
        Item(
            "amateur_teams",
            "业余文艺团队",
            "个",
            "count",
            "基本情况",
            "年底存续的业余文艺团队（团队登记）",
            "业余文艺团队登记",
        ),
        Item(
            "volunteers_active",
            "文化志愿者人数",
            "人",
            "count",
            "志愿服务",
            "状态为“在册”、年底前加入的志愿者",
            "文化志愿者",
        ),
        Item(
            "volunteer_hours_verified",
            "志愿服务时长",
            "小时",
            "sum",
            "志愿服务",
            "本年已审核的服务记录时长之和",
            "文化志愿者",
        ),
    ]


def _items() -> tuple[Item, ...]:
    facts = _fact_items()
    staff = [i for i in facts if i.key.startswith("staff_")]
    rest = [i for i in facts if not i.key.startswith("staff_")]
    others = _other_items()
    return (*staff, others[0], *rest, *_activity_items(), *others[1:])


ITEMS: tuple[Item, ...] = _items()
ITEM = {i.key: i for i in ITEMS}
FACT_KEYS = tuple(s.name for s in facts_rules.SPECS if s.kind != "text")
# Figures that do not add up into totals (shown for comparison, or recomputed).
NOT_ADDED = ("trainee_visits_other", "visits_per_resident")
# Figures of one station that mean nothing summed over stations ("—" in a total).
PER_STATION_ONLY = ("weekly_open_hours",)


@dataclass
class ReturnFigures:
    """The return's figures for some stations: per station, and their total."""

    period: Period
    definitions: defs.Definitions
    stations: dict[str, dict[str, Any]]  # {station: {key: value or None}}
    facts: dict[str, dict[str, Any]]  # {station: annual_facts row} (stations with facts)
    total: dict[str, Any] = field(default_factory=dict)


def city_definitions(conn: Any) -> defs.Definitions:
    """The city's definition file as this connection holds it (default when none arrived)."""
    return defs.of(conn)


def _scope_values(conn: Any, stations: Stations, period: Period, kinds: tuple[str, ...]):
    scope = ind.ActivityScope(kinds=kinds)
    count = ind.count_activities(conn, stations, period, scope, by_station=True)
    visits = ind.sum_attendance(conn, stations, period, scope, by_station=True)
    return count, visits


def _activity_figures(
    conn: Any, stations: Stations, period: Period, d: defs.Definitions
) -> dict[str, dict[str, Any]]:
    """``{key: {station: value}}`` of the activity half."""
    from pzh_core.domain import refdata

    all_kinds = tuple(refdata.labels("activity_kinds"))
    other = tuple(k for k in all_kinds if k not in d.art_activity_kinds and k not in SEPARATE)
    out: dict[str, dict[str, Any]] = {}
    for count_key, visits_key, kinds in (
        ("art_activities", "art_activity_visits", d.art_activity_kinds),
        ("exhibitions", "exhibition_visits", ("exhibition",)),
        ("lectures", "lecture_visits", ("lecture",)),
        ("other_activities", "other_activity_visits", other),
        ("one_off_training", "one_off_training_visits", ("training",)),
    ):
        if kinds:
            out[count_key], out[visits_key] = _scope_values(conn, stations, period, kinds)
        else:  # an empty scope would mean "every kind"
            out[count_key] = dict.fromkeys(stations, 0)
            out[visits_key] = dict.fromkeys(stations, 0)
    classes = q.started_classes(conn, stations, period)
    sign_ins = ind.trainee_visits(conn, stations, period, by_station=True)
    ids = list(out["art_activities"])
    out["training_classes"] = ind.training_classes(conn, stations, period, by_station=True)
    participants = {s: out["one_off_training_visits"][s] for s in ids}
    for c in classes:
        participants[c["station_id"]] += c["participants"]
    counts = {
        "participants": participants,
        "sign_ins": {s: sign_ins.get(s, 0) + out["one_off_training_visits"][s] for s in ids},
    }
    out["trainee_visits"] = counts[d.trainee_visits]
    out["trainee_visits_other"] = counts[d.other_trainee_visits]
    out["started_classes"] = by_station(classes, ids)
    return out


def by_station(rows: list[dict[str, Any]], ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """``{station: its rows, in their order}`` for each of ``ids`` (one pass: at 4,000 stations
    a comprehension per station compared 16 million pairs)."""
    out: dict[str, list[dict[str, Any]]] = {s: [] for s in ids}
    for r in rows:
        if r["station_id"] in out:
            out[r["station_id"]].append(r)
    return out


def _station_values(
    sid: str, act: dict[str, dict[str, Any]], facts: dict[str, Any] | None, extra: dict[str, Any]
) -> dict[str, Any]:
    v: dict[str, Any] = {
        k: act[k][sid]
        for k in (
            "art_activities",
            "art_activity_visits",
            "training_classes",
            "trainee_visits",
            "trainee_visits_other",
            "exhibitions",
            "exhibition_visits",
            "lectures",
            "lecture_visits",
            "other_activities",
            "other_activity_visits",
        )
    }
    v["total_activities"] = sum(
        v[k]
        for k in (
            "art_activities",
            "training_classes",
            "exhibitions",
            "lectures",
            "other_activities",
        )
    )
    v["total_visits"] = sum(
        v[k]
        for k in (
            "art_activity_visits",
            "trainee_visits",
            "exhibition_visits",
            "lecture_visits",
            "other_activity_visits",
        )
    )
    for key in FACT_KEYS:
        v[key] = facts.get(key) if facts else None
    pop = v.get("population") or None
    v["population"] = pop
    v["visits_per_resident"] = v["total_visits"] / pop if pop else None
    v.update(extra)
    return v


def compute(
    conn: Any, stations: Stations, period: Period, *, definitions: defs.Definitions | None = None
) -> ReturnFigures:
    """The return's figures of ``stations`` for ``period`` (a year, or a month of it).

    :param definitions: the 口径 to use (the city server passes its own file); default: the
        city's definition as this connection holds it.
    """
    d = definitions or city_definitions(conn)
    ids = sorted({s for s in stations if s})
    act = _activity_figures(conn, ids, period, d)
    facts = q.facts_rows(conn, ids, period.year)
    teams: dict[str, int] = {s: 0 for s in ids}
    for t in q.team_rows(conn, ids, period):
        teams[t["station_id"]] += 1
    vols = ind.volunteers_active(conn, ids, period, by_station=True)
    hours = ind.volunteer_hours_verified(conn, ids, period, by_station=True)
    per = {
        sid: _station_values(
            sid,
            act,
            facts.get(sid),
            {
                "amateur_teams": teams[sid],
                "volunteers_active": vols[sid],
                "volunteer_hours_verified": hours[sid],
            },
        )
        for sid in ids
    }
    return ReturnFigures(period, d, per, facts, total=add_up(list(per.values())))


def add_up(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The total of several stations' figures: sums of the figures they have (a station's "—"
    adds nothing), the per-resident figure from the stations with a population only."""
    total: dict[str, Any] = {}
    for item in ITEMS:
        if item.key in NOT_ADDED:
            continue
        have = [r[item.key] for r in rows if r.get(item.key) is not None]
        total[item.key] = sum(have) if have else None
        if item.key in PER_STATION_ONLY and len(rows) != 1:
            total[item.key] = None
    total["trainee_visits_other"] = sum(r.get("trainee_visits_other") or 0 for r in rows)
    with_pop = [r for r in rows if r.get("population")]
    pop = sum(r["population"] for r in with_pop)
    total["visits_per_resident"] = sum(r["total_visits"] for r in with_pop) / pop if pop else None
    return total


def status(row: dict[str, Any] | None) -> str:
    """A station's facts for the return: complete, unconfirmed or missing (Chinese)."""
    if row is None:
        return "缺年度基本情况"
    if not row.get("confirmed"):
        return "年度基本情况未确认"
    return "完整"
