"""Exports written by pzh_core.tabular: formula-like text stays text, percentages keep a number
format, a preamble line sits above the header, and our own CSV reads back unchanged."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import openpyxl

from pzh_core.tabular import Cell, read_table, write_table

HOSTILE = ['=HYPERLINK("http://evil.example","点我")', "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"]


def test_formula_like_text_is_inert_in_csv_and_xlsx(tmp_path: Path) -> None:
    rows = [[h, Cell(12.872, "0%", "1287%"), 3] for h in HOSTILE]
    csv_path = write_table(
        tmp_path / "t.csv", ["名称", "完成率", "场次"], rows, preamble=["统计截至 2026-01-31"]
    )
    with csv_path.open(encoding="utf-8-sig", newline="") as fh:
        lines = list(csv.reader(fh))
    assert lines[0] == ["统计截至 2026-01-31"] and lines[1] == ["名称", "完成率", "场次"]
    assert [r[0] for r in lines[2:]] == ["'" + h for h in HOSTILE]
    assert {r[1] for r in lines[2:]} == {"1287%"}
    xlsx = write_table(tmp_path / "t.xlsx", ["名称", "完成率", "场次"], rows, preamble=["统计截至"])
    sheet = zipfile.ZipFile(xlsx).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet
    ws = openpyxl.load_workbook(xlsx).active
    assert ws.freeze_panes == "A3"
    assert [c.value for c in ws[2]] == ["名称", "完成率", "场次"]
    for row, h in zip(ws.iter_rows(min_row=3), HOSTILE, strict=True):
        assert row[0].value == h.replace("\r", "\n") and row[0].data_type == "s"  # XML: CR→LF
        assert row[1].value == 12.872 and row[1].number_format == "0%"


def test_our_csv_reads_back_as_written(tmp_path: Path) -> None:
    rows = [["=1+1", "普通"], ["-5", "@a"]]
    path = write_table(tmp_path / "t.csv", ["甲", "乙"], rows)
    table = read_table(path, {"a": ["甲"], "b": ["乙"]})
    assert [(r["a"], r["b"]) for _, r in table.rows] == [("=1+1", "普通"), ("-5", "@a")]
    assert "'=1+1" in open(path, encoding="utf-8-sig").read()


def test_control_characters_never_break_an_xlsx_export(tmp_path: Path) -> None:
    rows = [["坏\x01名字", "正常\t文字"]]
    xlsx = write_table(tmp_path / "t.xlsx", ["名称", "备注"], rows)
    ws = openpyxl.load_workbook(xlsx).active
    assert [c.value for c in ws[2]] == ["坏\ufffd名字", "正常\t文字"]
