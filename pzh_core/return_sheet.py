"""The return sheet (文化站年报表) laid out like the base form: a unit block, the items in the
form's order with their units and figures (numbers stored as numbers, each with a number
format), the definition used, and a signature block. One layout for a station's return (one
value column) and the county's or city's summary (one column per station plus the total).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pzh_core.annual_return import ITEMS, Item

PARTS = (("基本情况", "一、基本情况"), ("活动", "二、活动情况"), ("志愿服务", "三、志愿服务"))
FORMATS = {"count": "#,##0", "sum": "#,##0.##", "money": "#,##0.00", "ratio": "0.00"}
SIGNATURES = ("单位负责人：", "统计负责人：", "填表人：", "联系电话：", "报出日期：")
DASH = "—"


@dataclass
class Sheet:
    """What a return sheet shows."""

    title: str
    unit_block: list[tuple[str, str]]  # (label, value) in the form's order
    columns: list[str]  # value column heads ("数值", or station names and "合计")
    values: list[dict[str, Any]]  # one {key: value or None} per column
    notes: list[str] = field(default_factory=list)
    status: list[str] | None = None  # a status row under the heads (summaries)
    signature: bool = True


def item_rows() -> list[tuple[str, Item | None]]:
    """The sheet's lines in order: part headings (``(text, None)``) and items."""
    out: list[tuple[str, Item | None]] = []
    for part, heading in PARTS:
        out.append((heading, None))
        out += [(i.label, i) for i in ITEMS if i.part == part]
    return out


def cell_value(item: Item, value: Any) -> Any:
    """A figure as stored in a cell: a number (rounded as shown), or "—" when missing."""
    if value is None:
        return DASH
    if item.kind == "ratio":
        return round(value, 4)
    if item.kind == "count":
        return int(value)
    return round(float(value), 2)


def shown(item: Item, value: Any) -> str:
    """A figure as printed (PDF, web page)."""
    if value is None:
        return DASH
    if item.kind == "ratio":
        return f"{value:.2f}"
    if item.kind == "count":
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".") if item.kind == "sum" else f"{value:,.2f}"


def write_xlsx(path: str | Path, sheet: Sheet) -> Path:
    """Write the sheet as .xlsx (atomically)."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "年报"
    width = 3 + len(sheet.columns)
    head = _write_head(ws, sheet, width)
    _write_items(ws, sheet, width, head)
    _write_foot(ws, sheet, width)
    _set_layout(ws, width, head)
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    wb.save(tmp)
    tmp.replace(path)
    return path


def _write_head(ws: Any, sheet: Sheet, width: int) -> int:
    """Title, unit block and the column heads (with the status row); the heads' row number."""
    from openpyxl.styles import Alignment, Font

    ws.append([sheet.title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    for label, value in sheet.unit_block:
        ws.append([label, value])
        ws.merge_cells(start_row=ws.max_row, start_column=2, end_row=ws.max_row, end_column=width)
    ws.append([])
    ws.append(["序号", "指标名称", "计量单位", *sheet.columns])
    head = int(ws.max_row)
    for cell in ws[head]:
        cell.font = Font(bold=True)
    if sheet.status is not None:
        ws.append(["", "报送状态", "", *sheet.status])
    return head


def _write_items(ws: Any, sheet: Sheet, width: int, head: int) -> None:
    """The part headings and the numbered items with their figures, ruled from the heads on."""
    from openpyxl.styles import Alignment, Border, Font, Side

    n = 0
    for text, item in item_rows():
        if item is None:
            ws.append(["", text])
            ws.cell(ws.max_row, 2).font = Font(bold=True)
            continue
        n += 1
        ws.append([n, text, item.unit, *(cell_value(item, v.get(item.key)) for v in sheet.values)])
        for col in range(4, width + 1):
            cell = ws.cell(ws.max_row, col)
            if isinstance(cell.value, (int, float)):
                cell.number_format = FORMATS[item.kind]
            cell.alignment = Alignment(horizontal="right")
    thin = Side(style="thin")
    for row in ws.iter_rows(min_row=head, max_row=ws.max_row, max_col=width):
        for cell in row:
            cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)


def _write_foot(ws: Any, sheet: Sheet, width: int) -> None:
    """The notes (definition used, population sources) and the signature block."""
    from openpyxl.styles import Alignment

    ws.append([])
    for note in sheet.notes:
        ws.append([note])
        ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=width)
        ws.cell(ws.max_row, 1).alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[ws.max_row].height = 30
    if sheet.signature:
        ws.append([])
        ws.append(list(SIGNATURES[:3]))
        ws.append(list(SIGNATURES[3:]) + ["（单位盖章）"])


def _set_layout(ws: Any, width: int, head: int) -> None:
    """Column widths and printing: A4, one page wide, the heads repeated on every page."""
    from openpyxl.utils import get_column_letter

    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 34
    ws.column_dimensions["C"].width = 9
    for col in range(4, width + 1):
        ws.column_dimensions[get_column_letter(col)].width = 16
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.print_title_rows = f"{head}:{head}"


def unit_block(
    *, name: str, code: str, county: str, year: int, form_number: str, as_of: str
) -> list[tuple[str, str]]:
    return [
        ("单位名称", name),
        ("统一社会信用代码", code or DASH),
        ("所属县（区）", county),
        ("统计年度", f"{year}年"),
        ("表号", form_number or ""),
        ("数据截至", as_of),
    ]


def notes(definitions: Any, populations: Sequence[str] = ()) -> list[str]:
    """The lines under the figures: the definition used, and where the population came from."""
    out = [
        "指标口径：" + definitions.describe(),
        "口径说明：" + definitions.source,
        "“—”表示未填写或无法计算，不计入合计；人均公共文化服务次数只按填写了常住人口的站计算。",
    ]
    out += [f"常住人口来源：{p}" for p in populations if p]
    return out
