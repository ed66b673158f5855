"""The monthly report (工作月报): the month's figures, activities, classes and volunteers, as .xlsx
or A4 .pdf."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pzh_core import indicators as ind
from pzh_core import tabular
from pzh_core.domain import refdata
from pzh_core.domain.errors import ValidationError
from pzh_core.i18n import tr
from pzh_core.period import Period
from pzh_station.services.report_format import format_value, number_cell, sheet_unit

if TYPE_CHECKING:
    from pzh_station.services.reports import ReportService

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


def monthly_data(
    rs: ReportService, year: int, month: int, *, as_of: dt.date | None = None
) -> dict[str, Any]:
    period = Period(year, month, as_of or dt.date.today())
    stations = rs.stations()
    return {
        "period": period,
        "figures": ind.compute(rs.db, stations, period, MONTHLY_KEYS),
        "activities": ind.activity_rows(rs.db, stations, period),
        "classes": ind.class_breakdown(rs.db, stations, period),
        "volunteers": ind.volunteer_breakdown(rs.db, stations, period),
    }


HEADS = {
    "figures": ["指标", "数值", "单位"],
    "activities": ["日期", "时间", "活动名称", "类型", "方式", "地点", "参与人次", "服务对象"],
    "classes": ["培训班", "教师", "开课次数", "培训签到人次", "出勤率"],
    "volunteers": ["志愿者", "服务次数", "已审核时长（小时）"],
}


def write_monthly(
    rs: ReportService, path: str | Path, year: int, month: int, *, as_of: dt.date | None = None
) -> Path:
    """Write the monthly report as .xlsx or A4 .pdf (by the file's suffix).

    :param path: ``*.xlsx`` or ``*.pdf``.
    :param year: the year.
    :param month: 1–12.
    :param as_of: default today.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".pdf"):
        raise ValidationError({"path": tr("Reports", "月报只能保存为 .xlsx 或 .pdf 文件。")})
    # a spreadsheet holds numbers, a PDF text
    tables = _tables(monthly_data(rs, year, month, as_of=as_of), as_number=suffix == ".xlsx")
    title = tr("Reports", "{}{}月工作月报").format(rs.station_name(), f"{year}年{month}")
    if suffix == ".pdf":
        return _write_pdf(path, title, tables)
    names = {
        "figures": tr("Reports", "月报"),
        "activities": tr("Reports", "活动"),
        "classes": tr("Reports", "培训"),
        "volunteers": tr("Reports", "志愿服务"),
    }
    return tabular.write_sheets(path, [(names[k], HEADS[k], rows) for k, rows in tables.items()])


def _tables(data: dict[str, Any], *, as_number: bool) -> dict[str, list[list[Any]]]:
    """The report's four tables (rows as :data:`HEADS` names their columns)."""

    def figure(key: str, value: Any) -> Any:
        return number_cell(key, value) if as_number else format_value(key, value)

    kinds, modes, groups = (
        refdata.labels("activity_kinds"),
        refdata.labels("delivery_modes"),
        refdata.labels("target_groups"),
    )
    return {
        "figures": [
            [
                ind.INDICATORS[k].label,
                figure(k, v),
                sheet_unit(k) if as_number else ind.INDICATORS[k].unit,
            ]
            for k, v in data["figures"].items()
        ],
        "activities": [
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
        ],
        "classes": [
            [
                c["name"],
                c["teacher"],
                c["sessions"],
                c["trainee_visits"],
                figure("attendance_rate", c["attendance_rate"]),
            ]
            for c in data["classes"]
        ],
        "volunteers": [[v["name"] or "", v["services"], v["hours"]] for v in data["volunteers"]],
    }


def _write_pdf(path: Path, title: str, tables: dict[str, list[list[Any]]]) -> Path:
    from pzh_station.io import pdf  # reportlab: loaded when a PDF is made, not at start

    mm = pdf.mm
    acts, classes, vols = tables["activities"], tables["classes"], tables["volunteers"]
    story = [
        pdf.title(title),
        pdf.Spacer(1, 4 * mm),
        pdf.para(tr("Reports", "一、主要指标")),
        pdf.table(HEADS["figures"], tables["figures"], widths=[80 * mm, 40 * mm, 30 * mm]),
        pdf.Spacer(1, 4 * mm),
        pdf.para(tr("Reports", "二、活动（{}场）").format(len(acts))),
        pdf.table(
            HEADS["activities"],
            acts,
            size=8,
            widths=[w * mm for w in (20, 20, 40, 18, 12, 24, 16, 30)],
        ),
        pdf.Spacer(1, 4 * mm),
        pdf.para(tr("Reports", "三、培训")),
        pdf.table(HEADS["classes"], classes, size=9)
        if classes
        else pdf.para(tr("Reports", "本月无培训课次。")),
        pdf.Spacer(1, 4 * mm),
        pdf.para(tr("Reports", "四、志愿服务")),
        pdf.table(HEADS["volunteers"], vols, size=9)
        if vols
        else pdf.para(tr("Reports", "本月无已审核的志愿服务。")),
    ]
    return pdf.build(path, story, doc_title=title, footer=title)
