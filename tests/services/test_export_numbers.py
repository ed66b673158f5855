"""Numbers are numbers and rates are percentages with a number format, in every spreadsheet the
desk writes (issue 13 §2): a demo year exported every way, each sheet scanned cell by cell."""

from __future__ import annotations

import datetime as dt
import re

import openpyxl

NUMBER_AS_TEXT = re.compile(r"^\s*-?[\d,]+(\.\d+)?\s*%?\s*$")
# Columns that hold identifiers or dates, not figures (a phone is text, so 0812… keeps its 0).
NOT_FIGURES = ("电话", "编号", "日期", "手机")


def _writers(services, year: int) -> dict:
    from pzh_station.services.activities import ActivityService
    from pzh_station.services.annual_return import ReturnService
    from pzh_station.services.reports import ReportService
    from pzh_station.services.training import TrainingService
    from pzh_station.services.training_export import TrainingExport
    from pzh_station.services.volunteers import VolunteerService

    classes = [c["id"] for c in TrainingService(services).class_rows()]
    return {
        "annual": lambda p: ReportService(services).write_annual(p, year),
        "monthly": lambda p: ReportService(services).write_monthly(p, year, 1),
        "return": lambda p: ReturnService(services).write(p, year, draft=True),
        "activities": lambda p: ActivityService(services).export(p),
        "hours": lambda p: VolunteerService(services).export_hours(p, fmt="xlsx"),
        "volunteers": lambda p: VolunteerService(services).export(p),
        "attendance": lambda p: TrainingExport(services).export_attendance(p, classes),
    }


def test_every_desk_spreadsheet_writes_figures_as_numbers(services, tmp_path):
    from pzh_station.services import demo

    demo.fill(services)
    rates = 0
    for name, write in _writers(services, dt.date.today().year).items():
        out = tmp_path / f"{name}.xlsx"
        write(out)
        for ws in openpyxl.load_workbook(out):
            headers: dict[int, str] = {}
            for row in ws.iter_rows():
                for c in row:
                    text = isinstance(c.value, str)
                    if text and not NUMBER_AS_TEXT.match(c.value):
                        headers.setdefault(c.column, c.value)
                    where = (name, ws.title, c.coordinate)
                    if text and NUMBER_AS_TEXT.match(c.value):
                        assert any(w in headers.get(c.column, "") for w in NOT_FIGURES), where
                    if "%" in c.number_format:
                        assert isinstance(c.value, (int, float)), where
                        rates += 1
                    assert not (text and c.value.strip() == "%"), where  # % is in the format
    assert rates > 0  # attendance rates were written, as percentages
