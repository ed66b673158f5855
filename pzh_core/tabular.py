"""Reading and writing tables (.xlsx/.csv) for every import and export.

Imports from the field are messy; this module absorbs the mess once for all of them:
the header row is found wherever it is (by matching known Chinese or English column names),
merged cells are filled, full-width digits and spaces are normalised, numbers stored as numbers
(phone 13800000000.0) become text, and files that are not what their name says get a clear
Chinese message instead of a crash.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pzh_core import text
from pzh_core.i18n import tr

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000
HEADER_SCAN_ROWS = 30


class TableError(Exception):
    """The file as a whole cannot be read; ``message`` is in Chinese."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@dataclass
class RowProblem:
    """One problem of one row of an imported file, as the per-row report shows it."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return tr("Import", "第{}行 {}：{}").format(self.line, self.field, self.message)


@dataclass
class Table:
    """Rows keyed by field name; ``line`` is the row number a user sees in Excel (1-based)."""

    rows: list[tuple[int, dict[str, str]]]
    header_line: int
    mapped: dict[str, str]  # field -> header text found in the file
    unmapped: list[str] = field(default_factory=list)  # headers in the file we did not use


def normalise_text(value: Any) -> str:
    """Cell value → clean text (``pzh_core.text.clean``, kind ``text``: full-width letters,
    digits and spaces made half-width, trimmed); 13800000000.0 → 13800000000; dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()[:10] if isinstance(value, dt.date) else value.strftime("%H:%M")
    return " ".join(text.clean(value).split())


def _header_key(value: Any) -> str:
    return re.sub(r"[\s_（）()*:：]", "", text.half_width(normalise_text(value))).lower()


def _sniff(path: Path) -> str:
    """'xlsx', 'xls' or 'csv' by content, not by name."""
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    return "csv"


def _xlsx_rows(path: Path) -> list[list[Any]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise TableError(
            tr("Import", "文件不是有效的Excel(.xlsx)文件，可能已损坏或只是改了扩展名。")
        ) from exc
    ws = wb.worksheets[0]
    merged = [(r.min_row, r.min_col, r.max_row, r.max_col) for r in ws.merged_cells.ranges]
    grid = [list(row) for row in ws.iter_rows(values_only=True)]
    for r1, c1, r2, c2 in merged:
        value = grid[r1 - 1][c1 - 1] if r1 - 1 < len(grid) and c1 - 1 < len(grid[r1 - 1]) else None
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                if r - 1 < len(grid) and c - 1 < len(grid[r - 1]):
                    grid[r - 1][c - 1] = value
    return grid


def _csv_rows(path: Path) -> list[list[Any]]:
    data = path.read_bytes()
    if b"\x00" in data[:4096]:
        raise TableError(tr("Import", "文件不是表格文件（.xlsx 或 .csv），无法读取。"))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise TableError(tr("Import", "无法识别文件的文字编码，请另存为 UTF-8 的 CSV 或 .xlsx。"))
    try:
        sniffed = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        sniffed = csv.excel

    class dialect(csv.excel):  # only the delimiter is guessed: spreadsheets quote with "
        delimiter = sniffed.delimiter

    return [[_unquote(c) for c in r] for r in csv.reader(io.StringIO(text), dialect)]


# -- cells a spreadsheet would run as formulas ---------------------------------------------------
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: Any) -> bool:
    """Text a spreadsheet would take as a formula (``=HYPERLINK(…)``, ``+1``, ``@SUM``)."""
    return isinstance(value, str) and value.startswith(FORMULA_START)


def _csv_cell(value: Any) -> Any:
    """A CSV cell: formula-like text gets a leading apostrophe (what Excel itself shows as
    text); a :class:`Cell` is written as its text (``1287%``, which Excel reads as a
    percentage)."""
    if isinstance(value, Cell):
        value = value.text or value.value
    return "'" + value if is_formula_like(value) else value


def _unquote(text: str) -> str:
    """Undo :func:`_csv_cell`'s apostrophe when a file we wrote is read back."""
    return text[1:] if text.startswith("'") and is_formula_like(text[1:]) else text


def _read_grid(path: Path) -> list[list[Any]]:
    """The cells of the first sheet (.xlsx) or the CSV; refuses a missing, too big or old
    (.xls) file, or too many rows."""
    if not path.exists():
        raise TableError(tr("Import", "找不到文件：{}").format(path))
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise TableError(
            tr(
                "Import",
                "文件太大（{:.0f} MB），超过 {} MB 的上限。请删去无关的工作表或拆分后再导入。",
            ).format(size / 1024 / 1024, MAX_BYTES // 1024 // 1024)
        )
    kind = _sniff(path)
    if kind == "xls":
        raise TableError(
            tr(
                "Import",
                "这是旧版 Excel（.xls）文件，请在 Excel 或 WPS 中“另存为” .xlsx 后再导入。",
            )
        )
    grid = _xlsx_rows(path) if kind == "xlsx" else _csv_rows(path)
    if len(grid) > MAX_ROWS:
        raise TableError(tr("Import", "行数超过 {} 行，请拆分后导入。").format(MAX_ROWS))
    return grid


def _find_header(
    grid: list[list[Any]], columns: Mapping[str, Sequence[str]]
) -> tuple[int, dict[str, int]]:
    """The header row among the first rows: the one naming the most fields, as
    ``(row index or -1, {field: column})``."""
    aliases = {f: {_header_key(a) for a in [f, *names]} for f, names in columns.items()}
    best_line, best_map = -1, dict[str, int]()
    for i, row in enumerate(grid[:HEADER_SCAN_ROWS]):
        found: dict[str, int] = {}
        for col, cell in enumerate(row):
            key = _header_key(cell) if cell is not None else ""
            if not key:
                continue
            for f, names in aliases.items():
                if key in names and f not in found:
                    found[f] = col
        if len(found) > len(best_map):
            best_line, best_map = i, found
    return best_line, best_map


def read_table(
    path: str | Path, columns: Mapping[str, Sequence[str]], *, required: Iterable[str] = ()
) -> Table:
    """Read the first sheet of an .xlsx or a .csv into rows keyed by field.

    :param columns: ``{field: [header names it may have, Chinese or English]}``.
    :param required: fields whose column must be present.
    :raises TableError: when the file cannot be used at all (with a Chinese message).
    """
    grid = _read_grid(Path(path))
    best_line, best_map = _find_header(grid, columns)
    missing = [f for f in required if f not in best_map]
    if best_line < 0 or missing:
        wanted = "、".join(columns[f][0] if columns[f] else f for f in (missing or list(required)))
        raise TableError(
            tr("Import", "没有找到表头（必需的列：{}）。请确认第一张工作表有列名行。").format(
                wanted
            )
        )
    header = grid[best_line]
    used = set(best_map.values())
    rows: list[tuple[int, dict[str, str]]] = []
    for i in range(best_line + 1, len(grid)):
        row = grid[i]
        values = {f: normalise_text(row[c]) if c < len(row) else "" for f, c in best_map.items()}
        if any(values.values()):
            rows.append((i + 1, values))
    return Table(
        rows=rows,
        header_line=best_line + 1,
        mapped={f: normalise_text(header[c]) for f, c in best_map.items()},
        unmapped=[
            normalise_text(h) for c, h in enumerate(header) if c not in used and normalise_text(h)
        ],
    )


def parse_date(value: str) -> str | None:
    """Many ways people write a date → 'YYYY-MM-DD', or None (``pzh_core.text.date_text``)."""
    return text.date_text(value)


def parse_time(value: str) -> str | None:
    """'HH:MM', '' for an empty cell, None when it is not a time (``pzh_core.text.time_text``)."""
    return text.time_text(value)


def split_list(value: str) -> list[str]:
    return [p.strip() for p in re.split(r"[、,，;；/|]", normalise_text(value)) if p.strip()]


@dataclass(frozen=True)
class Cell:
    """A value written with a number format (``"0.0%"`` for a rate, ``"#,##0"`` for a count), so
    a spreadsheet holds numbers, never numbers as text."""

    value: Any
    number_format: str = "General"
    text: str = ""  # what a .csv holds instead (e.g. "58%", which Excel reads as a percentage)

    def __str__(self) -> str:
        return self.text or ("" if self.value is None else str(self.value))


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Cell) else value


def rate_cell(value: float | None, text: str) -> Any:
    """A rate (a fraction) as a percentage cell; ``text`` (e.g. "—") when there is none."""
    return text if value is None else Cell(value, "0%", text)


def write_table(
    path: str | Path,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    fmt: str | None = None,
    sheet: str = "Sheet1",
    preamble: Sequence[str] = (),
) -> Path:
    """Write one table as .xlsx (bold header, frozen first row, widths) or .csv (UTF-8 with BOM,
    so Excel on Chinese Windows opens it correctly).

    Text that a spreadsheet would run as a formula stays text (see :func:`_csv_cell`);
    :class:`Cell` values keep their number format. ``preamble``: lines above the header
    (e.g. 统计截至 …), one cell each.
    """
    path = Path(path)
    fmt = fmt or path.suffix.lstrip(".").lower()
    if fmt == "csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            for line in preamble:
                w.writerow([_csv_cell(line)])
            w.writerow([_csv_cell(h) for h in headers])
            w.writerows([_csv_cell(v) for v in row] for row in rows)
        return path
    write_sheets(path, [(sheet, headers, rows)], preamble=preamble)
    return path


def write_sheets(
    path: str | Path,
    sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]],
    *,
    preamble: Sequence[str] = (),
) -> Path:
    """Write several tables into one .xlsx, one sheet each (``preamble``: lines above each
    sheet's header)."""
    import openpyxl
    from openpyxl.styles import Font

    # Write-only: cells stream to the file instead of living as objects (several times faster
    # for a few thousand rows). Widths and the frozen header must come before the rows, so the
    # rows are read into a list first to measure them.
    wb = openpyxl.Workbook(write_only=True)
    for title, headers, rows in sheets:
        ws = wb.create_sheet(title=re.sub(r"[\[\]:*?/\\]", "_", title)[:31] or "Sheet")
        lines = [list(row) for row in rows]
        widths = [max(6, len(str(h)) * 2 + 2) for h in headers]
        for row in lines:
            for i, v in enumerate(row[: len(widths)]):
                widths[i] = min(60, max(widths[i], len(str(v)) + 2 if v is not None else 0))
        ws.freeze_panes = f"A{len(preamble) + 2}"
        for i, wdt in enumerate(widths, start=1):
            ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width = wdt
        for line in preamble:
            ws.append(_cells(ws, [line]))
        ws.append(_cells(ws, list(headers), font=Font(bold=True)))
        for row in lines:
            ws.append(_cells(ws, row))
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    wb.save(tmp)
    tmp.replace(path)
    return path


def _xlsx_value(value: Any) -> Any:
    """What an .xlsx cell can hold: control characters (which XML cannot carry, and which once
    made an export fail every time) are shown as U+FFFD; the value itself is not changed."""
    value = _plain(value)
    if isinstance(value, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    return value


def _cells(ws: Any, values: list[Any], font: Any = None) -> list[Any]:
    """A row of write-only cells: formula-like text stays text (never a formula), percentages
    get their number format."""
    from openpyxl.cell import WriteOnlyCell

    out = []
    for v in values:
        styled = isinstance(v, Cell) and v.value is not None
        formula = not styled and is_formula_like(v)
        if not (styled or formula or font is not None):
            out.append(_xlsx_value(v))  # a plain value: no cell object needed
            continue
        cell = WriteOnlyCell(ws, value=_xlsx_value(v))
        if styled:
            cell.number_format = v.number_format
        elif formula:
            cell.data_type = "s"
            cell.quotePrefix = True
        if font is not None:
            cell.font = font
        out.append(cell)
    return out
