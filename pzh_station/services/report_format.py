"""How a figure is shown: as text to people (:func:`format_value`) and as a number with its
format in a spreadsheet (:func:`number_cell`, :func:`sheet_unit`)."""

from __future__ import annotations

from typing import Any

from pzh_core import indicators as ind
from pzh_core import tabular


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
