"""Reports use-cases: the overview's figures, the summary for scripts, the service-standard
checklist, the annual statistics report (文化站年报) and the monthly report.

Every figure comes from :mod:`pzh_core.indicators`; this module only chooses which
figures a report shows and lays them out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pzh_core import indicators as ind
from pzh_core import tabular
from pzh_core.domain import refdata
from pzh_core.domain.errors import ValidationError
from pzh_core.i18n import tr
from pzh_core.indicators.activity_figures import resolve_scope
from pzh_core.period import Period
from pzh_core.queries import Db
from pzh_station.services.context import Services
from pzh_station.store import StoreError
from pzh_station.store.figures import indicator_db

# The figures the overview page shows, in order (key, group).
OVERVIEW_KEYS = [
    "activities",
    "person_visits",
    "visits_per_resident",
    "special_group_activities",
    "mobile_activities",
    "online_activities",
    "training_classes",
    "training_sessions",
    "trainee_visits",
    "attendance_rate",
    "completers",
    "volunteers_active",
    "volunteer_hours_verified",
    "new_star_levels",
]
CHART_KEYS = ("activities", "person_visits")

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

MONTHLY_KEYS = [
    "activities",
    "person_visits",
    "special_group_activities",
    "mobile_activities",
    "online_activities",
    "training_classes",
    "training_sessions",
    "trainee_visits",
    "attendance_rate",
    "completers",
    "volunteers_serving",
    "volunteer_hours_verified",
    "new_star_levels",
]


def format_value(key: str, value: Any) -> str:
    """A figure as shown to people (rates in %, ratios with two decimals, hours with one)."""
    if value is None:
        return "—"
    if key == "attendance_rate":
        return f"{value * 100:.1f}%"
    kind = ind.INDICATORS[key].kind if key in ind.INDICATORS else "count"
    if kind in ("ratio", "target") or isinstance(value, float):
        if key == "volunteer_hours_verified":
            return f"{value:g}"
        return f"{value:.2f}" if kind == "ratio" else f"{value:.1f}"
    return str(value)


def number_cell(key: str, value: Any) -> Any:
    """A figure for a spreadsheet: a number with its number format (a rate as a fraction shown
    as a percentage), or "—" when there is none."""
    if value is None:
        return "—"
    if key == "attendance_rate":
        return tabular.Cell(value, "0.0%")
    kind = ind.INDICATORS[key].kind if key in ind.INDICATORS else "count"
    if kind == "ratio":
        return tabular.Cell(round(value, 4), "0.00")
    if isinstance(value, float):
        return tabular.Cell(round(value, 2), "#,##0.0#")
    return tabular.Cell(value, "#,##0")


def sheet_unit(key: str) -> str:
    """The unit column of a spreadsheet (a rate's % is in its number format, not repeated)."""
    unit = ind.INDICATORS[key].unit if key in ind.INDICATORS else ""
    return "" if unit == "%" else unit


class ReportService:
    """Figures and report files of this station."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.store = services.store

    @property
    def db(self) -> Db:
        """What the core's indicator queries run on."""
        return indicator_db(self.store)

    def stations(self) -> list[str]:
        sid = self.store.station_id
        if not sid:
            raise StoreError("no_station", tr("Reports", "尚未设置文化站信息，请先完成首次设置。"))
        return [sid]

    def station_name(self) -> str:
        row = self.store.get("stations", self.stations()[0]) or {}
        return row.get("name", "")

    # -- figures -------------------------------------------------------------------------
    def summary(
        self, year: int, *, month: int | None = None, as_of: dt.date | None = None
    ) -> dict[str, Any]:
        """Every indicator for the year (or one month) as one JSON-ready dict.

        :param year: calendar year.
        :param month: 1–12 for one month.
        :param as_of: the day the figures are looked at (default today); sessions after it are
            not held yet and the plan's targets are pro-rated to it.
        """
        period = Period(year, month, as_of or dt.date.today())
        out: dict[str, Any] = {
            "year": year,
            "month": month,
            "as_of": period.as_of.isoformat(),
            "station": self.station_name(),
        }
        out.update(ind.compute(self.db, self.stations(), period))
        out["checklist"] = ind.checklist(self.db, self.stations(), period)
        from pzh_station.services.annual_return import ReturnService

        # The annual return's figures under the city's definition file (issue 13).
        out["annual_return"] = ReturnService(self.services).summary(
            year, month=month, as_of=period.as_of
        )
        return out

    def overview(
        self, year: int, *, month: int | None = None, as_of: dt.date | None = None
    ) -> dict[str, Any]:
        """What the overview page shows: this period and the same period a year earlier, the
        months of the year for the chart, the plan's targets and the checklist.

        :param year: calendar year.
        :param month: 1–12 for one month, None for the year.
        :param as_of: default today.
        """
        period = Period(year, month, as_of or dt.date.today())
        stations = self.stations()
        keys = [*OVERVIEW_KEYS, "activities_target", "visits_target", "population"]
        return {
            "period": period,
            "current": ind.compute(self.db, stations, period, keys),
            "previous": ind.compute(self.db, stations, period.previous_year(), keys),
            "monthly": ind.monthly(self.db, stations, year, CHART_KEYS, as_of=period.as_of),
            "monthly_previous": ind.monthly(
                self.db, stations, year - 1, CHART_KEYS, as_of=period.as_of
            ),
            "checklist": ind.checklist(self.db, stations, Period(year, None, period.as_of)),
        }

    def records(
        self, key: str, year: int, *, month: int | None = None, as_of: dt.date | None = None
    ) -> list[ind.Record]:
        """The records behind one figure (``key`` of INDICATORS, or ``checklist:<code>``).

        :param key: the indicator.
        :param year: calendar year.
        :param month: 1–12 or None.
        :param as_of: default today.
        """
        period = Period(year, month, as_of or dt.date.today())
        if key.startswith("checklist:"):
            return ind.checklist_records(
                self.db, self.stations(), Period(year, None, period.as_of), key.split(":", 1)[1]
            )
        return ind.records(self.db, key, self.stations(), period)

    # -- annual report ---------------------------------------------------------------------
    def annual_figures(
        self, year: int, *, as_of: dt.date | None = None
    ) -> list[tuple[str, str, str, Any, str]]:
        """Rows of the annual report: (key, label, unit, value, note)."""
        period = Period(year, None, as_of or dt.date.today())
        rows = []
        for key, label, note in [*ANNUAL_ROWS, *ANNUAL_EXTRA]:
            value = ind.INDICATORS[key].value(self.db, self.stations(), period)
            rows.append((key, label, ind.INDICATORS[key].unit, value, note))
        return rows

    def write_annual(self, path: str | Path, year: int, *, as_of: dt.date | None = None) -> Path:
        """Write the annual statistics report (.xlsx): sheet 1 the figures in the layout of the
        township station's statistics table, sheet 2 every record behind every figure.

        :param path: the .xlsx to write (replaced atomically).
        :param year: the year reported.
        :param as_of: default today.
        """
        period = Period(year, None, as_of or dt.date.today())
        figures = self.annual_figures(year, as_of=period.as_of)
        main = []
        for n, (key, label, _unit, value, note) in enumerate(figures, start=1):
            main.append([n, label, sheet_unit(key), number_cell(key, value), note])
        main += [
            [],
            ["", "填报单位", "", self.station_name(), ""],
            ["", "统计年度", "", f"{year}年", ""],
            ["", "数据截至", "", period.cutoff, "按截至日期统计；已删除的记录不计入"],
        ]
        detail = self._annual_detail(period, figures)
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
        self, period: Period, figures: list[tuple[str, str, str, Any, str]]
    ) -> list[list[Any]]:
        """The second sheet: every record behind the figures, once, with each figure it counts
        toward and what it adds there (``组织文艺活动次数 1；组织文艺活动参加人次 120``). Ratios
        and targets have no records of their own (they are computed from the figures listed)."""
        db, stations = self.db, self.stations()
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
                for aid, amount in ind.activity_amounts(
                    db, stations, period, scope, indicator.measure
                ):
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

    # -- monthly report --------------------------------------------------------------------
    def monthly_data(
        self, year: int, month: int, *, as_of: dt.date | None = None
    ) -> dict[str, Any]:
        period = Period(year, month, as_of or dt.date.today())
        stations = self.stations()
        return {
            "period": period,
            "figures": ind.compute(self.db, stations, period, MONTHLY_KEYS),
            "activities": ind.activity_rows(self.db, stations, period),
            "classes": ind.class_breakdown(self.db, stations, period),
            "volunteers": ind.volunteer_breakdown(self.db, stations, period),
        }

    def write_monthly(
        self, path: str | Path, year: int, month: int, *, as_of: dt.date | None = None
    ) -> Path:
        """Write the monthly report as .xlsx or A4 .pdf (by the file's suffix).

        :param path: ``*.xlsx`` or ``*.pdf``.
        :param year: the year.
        :param month: 1–12.
        :param as_of: default today.
        """
        path = Path(path)
        if path.suffix.lower() not in (".xlsx", ".pdf"):
            raise ValidationError({"path": tr("Reports", "月报只能保存为 .xlsx 或 .pdf 文件。")})
        data = self.monthly_data(year, month, as_of=as_of)
        kinds, modes, groups = (
            refdata.labels("activity_kinds"),
            refdata.labels("delivery_modes"),
            refdata.labels("target_groups"),
        )
        as_number = path.suffix.lower() == ".xlsx"  # a spreadsheet holds numbers, a PDF text
        figures = [
            [
                ind.INDICATORS[k].label,
                number_cell(k, v) if as_number else format_value(k, v),
                sheet_unit(k) if as_number else ind.INDICATORS[k].unit,
            ]
            for k, v in data["figures"].items()
        ]
        acts = [
            [
                a["date"],
                f"{a['start_time']}-{a['end_time']}".strip("-"),
                a["title"],
                kinds.get(a["kind"], a["kind"]),
                modes.get(a["delivery"], a["delivery"]),
                a["place"],
                a["attendance"],
                "、".join(groups.get(g, g) for g in a["target_groups"]),
            ]
            for a in data["activities"]
        ]
        classes = [
            [
                c["name"],
                c["teacher"],
                c["sessions"],
                c["trainee_visits"],
                number_cell("attendance_rate", c["attendance_rate"])
                if as_number
                else format_value("attendance_rate", c["attendance_rate"]),
            ]
            for c in data["classes"]
        ]
        vols = [[v["name"] or "", v["services"], v["hours"]] for v in data["volunteers"]]
        heads = {
            "figures": ["指标", "数值", "单位"],
            "activities": [
                "日期",
                "时间",
                "活动名称",
                "类型",
                "方式",
                "地点",
                "参与人次",
                "服务对象",
            ],
            "classes": ["培训班", "教师", "开课次数", "培训签到人次", "出勤率"],
            "volunteers": ["志愿者", "服务次数", "已审核时长（小时）"],
        }
        title = tr("Reports", "{}{}月工作月报").format(self.station_name(), f"{year}年{month}")
        suffix = path.suffix.lower()
        if suffix == ".pdf":
            from pzh_station.io import pdf  # reportlab: loaded when a PDF is made, not at start

            story = [
                pdf.title(title),
                pdf.Spacer(1, 4 * pdf.mm),
                pdf.para(tr("Reports", "一、主要指标")),
                pdf.table(
                    heads["figures"], figures, widths=[80 * pdf.mm, 40 * pdf.mm, 30 * pdf.mm]
                ),
                pdf.Spacer(1, 4 * pdf.mm),
                pdf.para(tr("Reports", "二、活动（{}场）").format(len(acts))),
                pdf.table(
                    heads["activities"],
                    acts,
                    size=8,
                    widths=[
                        20 * pdf.mm,
                        20 * pdf.mm,
                        40 * pdf.mm,
                        18 * pdf.mm,
                        12 * pdf.mm,
                        24 * pdf.mm,
                        16 * pdf.mm,
                        30 * pdf.mm,
                    ],
                ),
                pdf.Spacer(1, 4 * pdf.mm),
                pdf.para(tr("Reports", "三、培训")),
                pdf.table(heads["classes"], classes, size=9)
                if classes
                else pdf.para(tr("Reports", "本月无培训课次。")),
                pdf.Spacer(1, 4 * pdf.mm),
                pdf.para(tr("Reports", "四、志愿服务")),
                pdf.table(heads["volunteers"], vols, size=9)
                if vols
                else pdf.para(tr("Reports", "本月无已审核的志愿服务。")),
            ]
            return pdf.build(path, story, doc_title=title, footer=title)
        return tabular.write_sheets(
            path,
            [
                (tr("Reports", "月报"), heads["figures"], figures),
                (tr("Reports", "活动"), heads["activities"], acts),
                (tr("Reports", "培训"), heads["classes"], classes),
                (tr("Reports", "志愿服务"), heads["volunteers"], vols),
            ],
        )


def record_dict(r: ind.Record) -> dict[str, Any]:
    return asdict(r)
