"""The annual statistics report (文化站年报): which figures it shows, with what label and note, and
the .xlsx with every record behind them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pzh_core import indicators as ind
from pzh_core import tabular
from pzh_core.i18n import tr
from pzh_core.indicators.activity_figures import resolve_scope
from pzh_core.period import Period
from pzh_station.services.report_format import number_cell, sheet_unit

if TYPE_CHECKING:
    from pzh_station.services.reports import ReportService

# The annual statistics report (文化站年报): (indicator key, row label, note for the reviewer).
ANNUAL_ROWS: list[tuple[str, str, str]] = [
    ("art_activities", "组织文艺活动次数", "口径文件所列类型的活动（见年报表的指标口径）"),
    ("art_activity_visits", "组织文艺活动参加人次", "上述活动的参与人次之和"),
    ("training_classes", "举办训练班班次", "首次开课在本年的培训班，加一次性培训（每次计1班）"),
    (
        "trainee_visits",
        "培训签到人次",
        "本年已开课次的出勤、迟到签到数（年报表的培训人次按口径文件）",
    ),
    (
        "completers",
        "训练班结业人次",
        "出勤达到结业要求（默认80%）的学员，计入培训班最后一次课所在年度",
    ),
    ("exhibitions", "举办展览个数", "活动类型为“展览”的活动"),
    ("exhibition_visits", "展览参观人次", "展览的参与人次之和"),
    ("lectures", "组织公益性讲座次数", "活动类型为“讲座”的活动"),
    ("lecture_visits", "公益性讲座参加人次", "讲座的参与人次之和"),
    ("amateur_teams", "业余文艺团队", "团队登记中年底存续的团队"),
    ("volunteers_active", "文化志愿者人数", "状态为“在册”、年底前加入的志愿者"),
    ("volunteer_hours_verified", "文化志愿者服务时长", "本年已审核的服务记录时长之和（小时）"),
    ("full_time_staff", "年末从业人员", "年度基本情况中填写"),
]
# Further figures of the same report (the plan's indicators).
ANNUAL_EXTRA: list[tuple[str, str, str]] = [
    (
        "activities",
        "活动台账活动场次",
        "活动台账中的全部活动（未删除）；年报表的活动总场次另加本年开班的培训班",
    ),
    ("person_visits", "活动台账参与人次", "活动台账中全部活动的参与人次之和"),
    ("visits_per_resident", "人均参与次数", "参与人次 ÷ 年度基本情况中的常住人口"),
    (
        "special_group_activities",
        "面向特殊群体的活动场次",
        "服务对象含老年人、未成年人、残疾人、农民工、留守妇女儿童或困难群众",
    ),
    ("mobile_activities", "流动服务场次", "服务方式为“流动”"),
    ("online_activities", "线上活动场次", "服务方式为“线上”"),
    ("training_sessions", "培训课次", "未取消、已到日期的课次"),
    (
        "attendance_rate",
        "培训出勤率",
        "出勤与迟到人次 ÷（已开课次 × 花名册人数），未签到、请假、缺勤均按未出勤",
    ),
    ("new_star_levels", "新晋星级志愿者", "本年累计时长升入更高星级的志愿者"),
]


def annual_figures(
    rs: ReportService, year: int, *, as_of: dt.date | None = None
) -> list[tuple[str, str, str, Any, str]]:
    """Rows of the annual report: (key, label, unit, value, note)."""
    period = Period(year, None, as_of or dt.date.today())
    rows = []
    for key, label, note in [*ANNUAL_ROWS, *ANNUAL_EXTRA]:
        value = ind.INDICATORS[key].value(rs.db, rs.stations(), period)
        rows.append((key, label, ind.INDICATORS[key].unit, value, note))
    return rows


def write_annual(
    rs: ReportService, path: str | Path, year: int, *, as_of: dt.date | None = None
) -> Path:
    """Write the annual statistics report (.xlsx): sheet 1 the figures in the layout of the
    township station's statistics table, sheet 2 every record behind every figure.

    :param path: the .xlsx to write (replaced atomically).
    :param year: the year reported.
    :param as_of: default today.
    """
    period = Period(year, None, as_of or dt.date.today())
    figures = annual_figures(rs, year, as_of=period.as_of)
    main = []
    for n, (key, label, _unit, value, note) in enumerate(figures, start=1):
        main.append([n, label, sheet_unit(key), number_cell(key, value), note])
    main += [
        [],
        ["", "填报单位", "", rs.station_name(), ""],
        ["", "统计年度", "", f"{year}年", ""],
        ["", "数据截至", "", period.cutoff, "按截至日期统计；已删除的记录不计入"],
    ]
    detail = _annual_detail(rs, period, figures)
    tabular.write_sheets(
        path,
        [
            (
                tr("Reports", "{}年文化站年报").format(year),
                ["序号", "指标名称", "计量单位", "数值", "统计口径"],
                main,
            ),
            (
                tr("Reports", "明细"),
                ["记录类型", "日期", "名称", "说明", "计入的指标及数值", "记录编号"],
                detail,
            ),
        ],
    )
    return Path(path)


def _annual_detail(
    rs: ReportService, period: Period, figures: list[tuple[str, str, str, Any, str]]
) -> list[list[Any]]:
    """The second sheet: every record behind the figures, once, with each figure it counts
    toward and what it adds there (``组织文艺活动次数 1；组织文艺活动参加人次 120``). Ratios
    and targets have no records of their own (they are computed from the figures listed)."""
    db, stations = rs.db, rs.stations()
    entries: dict[tuple[str, str], list[Any]] = {}
    activities: dict[str, ind.Record] | None = None

    def add(r: ind.Record, label: str, amount: float) -> None:
        entry = entries.get((r.table, r.id))
        if entry is None:
            entry = entries[(r.table, r.id)] = [r, []]
        entry[1].append(f"{label} {amount:g}")

    for key, label, _unit, _value, _note in figures:
        indicator = ind.INDICATORS[key]
        if indicator.kind in ("ratio", "target"):
            continue
        if indicator.scope is not None:
            # Activity figures: ids from the index; each activity's details read once.
            if activities is None:
                activities = {r.id: r for r in ind.activity_records(db, stations, period)}
            scope = resolve_scope(indicator.scope, db)
            for aid, amount in ind.activity_amounts(db, stations, period, scope, indicator.measure):
                add(activities[aid], label, amount)
        else:
            for r in indicator.records(db, stations, period):
                add(r, label, r.amount)
    order = {t: i for i, t in enumerate(ind.TABLE_LABELS)}
    rows = sorted(
        entries.values(), key=lambda e: (order.get(e[0].table, 99), e[0].date, e[0].title)
    )
    return [
        [
            ind.TABLE_LABELS.get(r.table, r.table),
            r.date,
            r.title,
            r.detail,
            "；".join(parts),
            r.id,
        ]
        for r, parts in rows
    ]
