"""Roster and attendance out of the app: .xlsx/.csv tables and A4 PDFs for paper sign-in.

Attendance is laid out the way a county office reads it: one sheet per class, one row per
participant, one column per session (dated), then attended / held / rate / completed, and a
last row with the number present at each session.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from pzh_core import tabular
from pzh_core.domain import refdata
from pzh_core.domain import training as d
from pzh_core.i18n import tr
from pzh_station.io import roster_pdf
from pzh_station.services.context import Services
from pzh_station.services.training import TrainingService

ROSTER_HEADERS = [
    "序号",
    "姓名",
    "性别",
    "出生年份",
    "联系电话",
    "村(社区)",
    "民族",
    "报名日期",
    "状态",
    "备注",
]


def _status(p: dict[str, Any]) -> str:
    if not p["active"]:
        return tr("Export", "已退班")
    return tr("Export", "插班") if p["walk_in"] else tr("Export", "在册")


def session_header(s: dict[str, Any]) -> str:
    """``3/5 19:30`` — short enough for a column; the year is in the sheet's title row."""
    day = dt.date.fromisoformat(s["date"])
    text = f"{day.month}/{day.day}" + (f" {s['start_time']}" if s["start_time"] else "")
    return text + (tr("Export", "(取消)") if s["cancelled"] else "")


class TrainingExport:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.training = TrainingService(services)

    def _class(self, class_id: str) -> Any:
        cls = self.training.get_class(class_id)
        if cls is None:
            raise KeyError(class_id)
        return cls

    def roster_rows(self, class_id: str) -> list[list[Any]]:
        rows = []
        for i, p in enumerate(self.training.roster(class_id), start=1):
            rows.append(
                [
                    i,
                    p["name"],
                    p["gender"],
                    p["birth_year"] or "",
                    p["phone"],
                    p["village"],
                    p["ethnicity"],
                    p["enrolled_on"],
                    _status(p),
                    p["notes"],
                ]
            )
        return rows

    def export_roster(self, path: str | Path, class_id: str, *, fmt: str | None = None) -> int:
        """Write the roster of a class (dropped people included, marked 已退班).

        :param fmt: ``xlsx`` or ``csv`` (default: from the file name).
        :returns: rows written.
        """
        cls = self._class(class_id)
        rows = self.roster_rows(class_id)
        tabular.write_table(path, ROSTER_HEADERS, rows, fmt=fmt, sheet=cls.name)
        return len(rows)

    def attendance_table(
        self, class_id: str, *, today: dt.date | None = None
    ) -> tuple[list[str], list[list[Any]]]:
        """Headers and rows of one class's attendance sheet."""
        g = self.training.grid(class_id, today=today)
        held_n = len(g.held_sessions())
        headers = [
            "序号",
            "姓名",
            "联系电话",
            *[session_header(s) for s in g.sessions],
            "出勤次数",
            "应出勤次数",
            "出勤率",
            "是否结业",
        ]
        rows: list[list[Any]] = []
        for i, p in enumerate(g.people, start=1):
            marks = [d.MARK_LABELS[g.mark(p["id"], s["id"])] for s in g.sessions]
            name = p["name"] + ("" if p["active"] else tr("Export", "（已退班）"))
            rows.append(
                [
                    i,
                    name,
                    p["phone"],
                    *marks,
                    g.attended(p["id"]),
                    held_n,
                    tabular.rate_cell(g.row_rate(p["id"]), d.format_rate(g.row_rate(p["id"]))),
                    "是" if g.completed(p["id"]) else "否",
                ]
            )
        totals = [
            "",
            tr("Export", "出勤人数"),
            "",
            *[("" if s["cancelled"] else g.column_attended(s["id"])) for s in g.sessions],
            "",
            "",
            tabular.rate_cell(g.overall_rate(), d.format_rate(g.overall_rate())),
            "",
        ]
        rows.append(totals)
        return headers, rows

    def export_attendance(
        self,
        path: str | Path,
        class_ids: list[str],
        *,
        fmt: str | None = None,
        today: dt.date | None = None,
    ) -> int:
        """Write attendance of one or more classes; .xlsx gets one sheet per class (a .csv holds
        one class only). :returns: participant rows written."""
        fmt = fmt or Path(path).suffix.lstrip(".").lower()
        if fmt == "csv" and len(class_ids) != 1:
            raise ValueError(tr("Export", "CSV 文件只能导出一个培训班，请选择 .xlsx"))
        sheets = []
        n = 0
        used: set[str] = set()
        for cid in class_ids:
            cls = self._class(cid)
            headers, rows = self.attendance_table(cid, today=today)
            n += len(rows) - 1
            title = cls.name[:28]
            k = 2
            while title in used:  # two classes of the same name still get a sheet each
                title = f"{cls.name[:26]}-{k}"
                k += 1
            used.add(title)
            sheets.append((title, headers, rows))
        if fmt == "csv":
            tabular.write_table(path, sheets[0][1], sheets[0][2], fmt="csv")
        else:
            tabular.write_sheets(path, sheets)
        return n

    def export_completers(
        self,
        path: str | Path,
        class_id: str,
        *,
        fmt: str | None = None,
        today: dt.date | None = None,
    ) -> int:
        """Write the completers of a class (for certificates): 序号, 姓名, 性别, 联系电话, 村(社区),
        出勤次数, 应出勤次数, 出勤率. :returns: rows written."""
        cls = self._class(class_id)
        rows = []
        for i, p in enumerate(self.training.completers(class_id, today=today), start=1):
            rows.append(
                [
                    i,
                    p["name"],
                    p["gender"],
                    p["phone"],
                    p["village"],
                    p["attended"],
                    p["held"],
                    tabular.rate_cell(
                        d.rate(p["attended"], p["held"]),
                        d.format_rate(d.rate(p["attended"], p["held"])),
                    ),
                ]
            )
        headers = [
            "序号",
            "姓名",
            "性别",
            "联系电话",
            "村(社区)",
            "出勤次数",
            "应出勤次数",
            "出勤率",
        ]
        tabular.write_table(
            path, headers, rows, fmt=fmt, sheet=tr("Export", "{}结业名单").format(cls.name)[:31]
        )
        return len(rows)

    # -- paper ---------------------------------------------------------------------------
    def _station_name(self) -> str:
        sid = self.services.store.station_id
        row = self.services.store.get("stations", sid) if sid else None
        return row["name"] if row else ""

    def write_sign_in_sheet(
        self, path: str | Path, session_id: str, *, blank_rows: int = 8, show_phones: bool = False
    ) -> Path:
        """A4 sign-in sheet (签到表) of a session: the roster with a signature column, then
        blank rows for walk-ins."""
        session = self.services.store.get("sessions", session_id)
        if session is None:
            raise KeyError(session_id)
        cls = self._class(session["class_id"])
        people = self.training.roster(cls.id, include_dropped=False)
        when = (
            session["date"]
            + (f" {session['start_time']}" if session["start_time"] else "")
            + (f"–{session['end_time']}" if session["end_time"] else "")
        )
        return roster_pdf.sign_in_sheet(
            path,
            station=self._station_name(),
            class_name=cls.name,
            art_form=refdata.label("art_forms", cls.art_form),
            teacher=cls.teacher,
            venue=cls.venue,
            when=when,
            people=people,
            blank_rows=blank_rows,
            show_phones=show_phones,
        )

    def write_roster_sheet(self, path: str | Path, class_id: str) -> Path:
        """A4 roster sheet (花名册) of a class (active participants)."""
        cls = self._class(class_id)
        people = self.training.roster(class_id, include_dropped=False)
        period = " — ".join(x for x in (cls.start_date, cls.end_date) if x)
        return roster_pdf.roster_sheet(
            path,
            station=self._station_name(),
            class_name=cls.name,
            art_form=refdata.label("art_forms", cls.art_form),
            teacher=cls.teacher,
            venue=cls.venue,
            period=period,
            people=people,
        )
