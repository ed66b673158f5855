"""The service-hours certificate (志愿服务时长证明): one A4 PDF per volunteer.

Built from :class:`CertificateData` (what the services computed: verified records only) with the
shared Chinese PDF helper :mod:`pzh_station.io.pdf`. The station name, the issue date and an
empty ring for the station's seal close the certificate; the seal itself is stamped on paper.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reportlab.graphics.shapes import Circle, Drawing, String

from pzh_station.io import pdf


@dataclass
class CertificateData:
    station: str
    name: str
    gender: str
    number: str
    join_date: str
    year: int | None  # the year covered, or None for all time
    records: list[tuple[str, str, float, str]] = field(
        default_factory=list
    )  # date, what, hours, verified by
    total: float = 0.0  # verified hours of the records listed
    total_all_time: float = 0.0
    star_label: str = ""
    issued_on: str = ""  # YYYY-MM-DD


def _cn_date(iso: str) -> str:
    if len(iso) >= 10:
        return f"{int(iso[:4])}年{int(iso[5:7])}月{int(iso[8:10])}日"
    return iso


def _hours(h: float) -> str:
    return f"{h:g}"


def body_text(d: CertificateData) -> str:
    """The certifying sentence (also used by tests and previews)."""
    period = f"{d.year}年度" if d.year else "累计"
    star = f"，已达到“{d.star_label}”标准" if d.star_label else ""
    since = f"自{_cn_date(d.join_date)}起" if d.join_date else ""
    return (
        f"兹证明 {d.name}（志愿者编号：{d.number}）{since}在{d.station}参加文化志愿服务，"
        f"经本站审核，{period}志愿服务时长为 {_hours(d.total)} 小时"
        + (f"（累计 {_hours(d.total_all_time)} 小时）" if d.year else "")
        + f"{star}。服务记录如下："
    )


def _seal_place(station: str) -> Drawing:
    """A dashed ring where the station's seal goes, with the station name and date beside it."""
    size = 42 * pdf.mm
    d = Drawing(size, size)
    d.add(
        Circle(
            size / 2,
            size / 2,
            size / 2 - 2,
            strokeDashArray=[3, 3],
            fillColor=None,
            strokeWidth=0.6,
        )
    )
    d.add(
        String(
            size / 2,
            size / 2 - 4,
            "（盖章处）",
            fontName=pdf.font_name(),
            fontSize=10,
            textAnchor="middle",
        )
    )
    return d


def write_certificate(path: str | Path, d: CertificateData) -> Path:
    """Write the certificate PDF (A4) atomically. :returns: the path."""
    from reportlab.platypus import Table, TableStyle

    rows = [[i, r[0], r[1], _hours(r[2]), r[3]] for i, r in enumerate(d.records, start=1)]
    if not rows:
        rows = [["", "", "（无已审核的服务记录）", "", ""]]
    story = [
        pdf.title("志愿服务时长证明", 20),
        pdf.Spacer(1, 8 * pdf.mm),
        pdf.para(body_text(d), 12),
        pdf.Spacer(1, 4 * pdf.mm),
        pdf.table(
            ["序号", "服务日期", "服务内容", "时长(小时)", "审核人"],
            rows,
            widths=[14 * pdf.mm, 28 * pdf.mm, 88 * pdf.mm, 24 * pdf.mm, 26 * pdf.mm],
            size=9.5,
        ),
        pdf.Spacer(1, 3 * pdf.mm),
        pdf.para(f"合计：{_hours(d.total)} 小时（共 {len(d.records)} 条已审核记录）", 11),
        pdf.Spacer(1, 4 * pdf.mm),
        pdf.para("特此证明。", 12),
        pdf.Spacer(1, 6 * pdf.mm),
    ]
    sign = Table(
        [
            [
                _seal_place(d.station),
                pdf.para(f"{d.station}\n（盖章）\n{_cn_date(d.issued_on)}", 12, align=1),
            ]
        ],
        colWidths=[50 * pdf.mm, 70 * pdf.mm],
        hAlign="RIGHT",
    )
    sign.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    story.append(sign)
    story.append(pdf.Spacer(1, 6 * pdf.mm))
    story.append(
        pdf.para(
            "说明：本证明依据《志愿服务记录与证明出具办法》出具，时长仅计已审核的服务记录。", 9
        )
    )
    return pdf.build(path, story, doc_title=f"志愿服务时长证明 {d.name}", footer=d.station)
