"""The return sheet as an A4 PDF (the same layout as the .xlsx: unit block, items, notes,
signature block with space for the seal)."""

from __future__ import annotations

from pathlib import Path

from pzh_core import return_sheet
from pzh_station.io import pdf


def write_pdf(path: str | Path, sheet: return_sheet.Sheet) -> Path:
    mm = pdf.mm
    unit = pdf.table(
        ["项目", "内容"], [[k, v] for k, v in sheet.unit_block], widths=[40 * mm, 140 * mm], size=9
    )
    rows = []
    n = 0
    for text, item in return_sheet.item_rows():
        if item is None:
            rows.append(["", text, "", *[""] * len(sheet.values)])
            continue
        n += 1
        rows.append(
            [n, text, item.unit, *(return_sheet.shown(item, v.get(item.key)) for v in sheet.values)]
        )
    value_width = 76.0 / max(1, len(sheet.columns))  # 180 mm between the margins
    items = pdf.table(
        ["序号", "指标名称", "计量单位", *sheet.columns],
        rows,
        widths=[12 * mm, 74 * mm, 18 * mm, *[value_width * mm] * len(sheet.columns)],
        size=8.5,
    )
    sign = pdf.table(
        ["单位负责人", "统计负责人", "填表人", "联系电话", "报出日期"],
        [["", "", "", "", ""]],
        widths=[36 * mm] * 5,
        size=9,
        row_height=12 * mm,
    )
    story = [
        pdf.title(sheet.title, 15),
        pdf.Spacer(1, 3 * mm),
        unit,
        pdf.Spacer(1, 3 * mm),
        items,
        pdf.Spacer(1, 2 * mm),
        *[pdf.para(note, 8) for note in sheet.notes],
        pdf.Spacer(1, 3 * mm),
        sign,
        pdf.Spacer(1, 2 * mm),
        pdf.para("（单位盖章）", 9, align=2),
    ]
    return pdf.build(path, story, doc_title=sheet.title, footer=sheet.title)
