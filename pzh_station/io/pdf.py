"""A4 PDFs in Chinese (sign-in sheets, rosters, certificates, monthly reports) with reportlab.

One place decides the Chinese font: WenQuanYi Micro Hei (文泉驿微米黑), a TrueType CJK font
shipped with the app in ``resources/fonts`` (Apache-2.0, so it may be bundled; 5.2 MB), embedded
as a subset of the characters used, so every PDF reader shows and prints the same without an Asian
font pack. reportlab embeds TrueType (glyf) fonts only, not CFF ones such as Noto CJK. Without the
bundled file: a TrueType font of the system (SimHei, SimSun, YaHei, WenQuanYi …), then reportlab's
CID font ``STSong-Light`` as a last resort (referenced, not embedded).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from pzh_core.resources import resources_dir

FONT = "PZHChinese"
BUNDLED = "wqy-microhei.ttc"
_CANDIDATES = [
    # (path, subfont index for .ttc); the bundled font is tried first (see font_name)
    (r"C:\Windows\Fonts\simhei.ttf", 0),
    (r"C:\Windows\Fonts\simsun.ttc", 0),
    (r"C:\Windows\Fonts\msyh.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
]


@cache
def font_name() -> str:
    """Register and return the name of the Chinese font used by every PDF."""
    extra = os.environ.get("PZH_PDF_FONT")
    bundled = (str(resources_dir() / "fonts" / BUNDLED), 0)
    for path, index in ([(extra, 0)] if extra else []) + [bundled] + _CANDIDATES:
        if path and Path(path).exists():
            try:
                pdfmetrics.registerFont(TTFont(FONT, path, subfontIndex=index))
                return FONT
            except Exception:  # noqa: BLE001 - a font reportlab cannot read: try the next one
                continue
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def style(
    size: float = 10.5, *, bold: bool = False, align: int = 0, leading: float | None = None
) -> ParagraphStyle:
    return ParagraphStyle(
        "pzh",
        fontName=font_name(),
        fontSize=size,
        leading=leading or size * 1.45,
        alignment=align,
        wordWrap="CJK",
    )


def title(text: str, size: float = 16) -> Paragraph:
    return Paragraph(text, style(size, align=1))


def para(text: str, size: float = 10.5, *, align: int = 0) -> Paragraph:
    return Paragraph(text.replace("\n", "<br/>"), style(size, align=align))


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    widths: Sequence[float] | None = None,
    size: float = 10,
    row_height: float | None = None,
) -> Table:
    """A ruled table with a repeated header row; cells wrap Chinese text."""
    cell = style(size)
    data = [[Paragraph(str(h), cell) for h in headers]]
    data += [[Paragraph("" if v is None else str(v), cell) for v in r] for r in rows]
    t = Table(
        data,
        colWidths=widths,
        repeatRows=1,
        rowHeights=None if row_height is None else [None] + [row_height] * len(rows),
    )
    t.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return t


def build(
    path: str | Path, story: Sequence[Flowable], *, doc_title: str = "", footer: str = ""
) -> Path:
    """Write an A4 PDF (15 mm margins, page numbers) atomically."""
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    font = font_name()

    def on_page(canvas, doc) -> None:  # noqa: ANN001
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.drawRightString(A4[0] - 15 * mm, 8 * mm, f"{footer}  第 {doc.page} 页")
        canvas.restoreState()

    doc = SimpleDocTemplate(
        str(tmp),
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=doc_title,
        author="文化站工作台",
    )
    doc.build(list(story), onFirstPage=on_page, onLaterPages=on_page)
    tmp.replace(path)
    return path


__all__ = ["A4", "Spacer", "build", "font_name", "mm", "para", "style", "table", "title"]
