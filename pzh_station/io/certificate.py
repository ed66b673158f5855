"""The volunteer service certificate (志愿服务证明): one A4 PDF per certificate issued.

Built from :class:`CertificateData` (what the services computed: verified records of the period
only) with the shared Chinese PDF helper :mod:`pzh_station.io.pdf`. It carries what
《志愿服务记录与证明出具办法（试行）》 (民政部令第67号) and 民发〔2015〕149号 ask:
the certificate number
from the register, name, ID type and number, volunteer number, service content and hours with
the period, the issuing unit with its 负责人 and 经办人, the contact phone, the issue date and an
empty ring for the unit's seal (stamped on paper). The only place the full ID number is printed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportlab.graphics.shapes import Circle, Drawing, String

from pzh_station.io import pdf


@dataclass
class CertificateData:
    station: str
    name: str
    gender: str
    number: str
    join_date: str
    id_type: str = ""  # label, e.g. 居民身份证
    id_number: str = ""  # in full: the certificate is the one place it is printed
    period_from: str = ""
    period_to: str = ""
    records: list[tuple[str, str, float, str]] = field(
        default_factory=list
    )  # date, what, hours, verified by
    total: float = 0.0  # verified hours of the records listed
    total_all_time: float = 0.0
    star_label: str = ""
    issued_on: str = ""  # YYYY-MM-DD
    certificate_number: str = ""
    head: str = ""  # 单位负责人
    handler: str = ""  # 经办人
    phone: str = ""  # the issuing unit's contact phone

    def content_summary(self) -> str:
        """The service content in one line: the distinct contents, most frequent first."""
        counts: dict[str, int] = {}
        for r in self.records:
            what = (r[1] or "").strip()
            if what:
                counts[what] = counts.get(what, 0) + 1
        ranked = sorted(counts, key=lambda w: -counts[w])
        text = "、".join(ranked[:5]) + ("等" if len(ranked) > 5 else "")
        return text or "文化志愿服务"


def _cn_date(iso: str) -> str:
    if len(iso) >= 10:
        return f"{int(iso[:4])}年{int(iso[5:7])}月{int(iso[8:10])}日"
    return iso


def _hours(h: float) -> str:
    return f"{h:g}"


def body_text(d: CertificateData) -> str:
    """The certifying sentence (also used by tests and previews)."""
    star = f"，累计已审核服务时长已达到“{d.star_label}”时长标准" if d.star_label else ""
    return (
        f"兹证明 {d.name}（{d.id_type}：{d.id_number}；志愿者编号：{d.number}）于"
        f"{_cn_date(d.period_from)}至{_cn_date(d.period_to)}在{d.station}参加文化志愿服务，"
        f"服务内容为{d.content_summary()}，经本单位审核记录的志愿服务时长为 "
        f"{_hours(d.total)} 小时（累计 {_hours(d.total_all_time)} 小时）{star}。"
        "服务记录如下："
    )


def _facts(d: CertificateData) -> list[list[str]]:
    """The identifying block at the top, two pairs a line."""
    return [
        ["证明编号", d.certificate_number, "出具日期", _cn_date(d.issued_on)],
        ["姓名", d.name, "志愿者编号", d.number],
        ["证件类型", d.id_type, "证件号码", d.id_number],
        [
            "服务期间",
            f"{_cn_date(d.period_from)}至{_cn_date(d.period_to)}",
            "服务时长",
            f"{_hours(d.total)} 小时",
        ],
    ]


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


def _facts_table(d: CertificateData) -> Any:
    """Who and which organisation: label / value pairs, two to a row, labels shaded."""
    from reportlab.platypus import Table, TableStyle

    facts = Table(
        [[pdf.para(c, 10.5) for c in row] for row in _facts(d)],
        colWidths=[24 * pdf.mm, 62 * pdf.mm, 24 * pdf.mm, 70 * pdf.mm],
    )
    facts.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, "#555555"),
                ("BACKGROUND", (0, 0), (0, -1), "#eeeeee"),
                ("BACKGROUND", (2, 0), (2, -1), "#eeeeee"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return facts


def _records_table(d: CertificateData) -> Any:
    """The verified records counted, one a row."""
    rows = [[i, r[0], r[1], _hours(r[2]), r[3]] for i, r in enumerate(d.records, start=1)]
    if not rows:
        rows = [["", "", "（无已审核的服务记录）", "", ""]]
    return pdf.table(
        ["序号", "服务日期", "服务内容", "时长(小时)", "审核人"],
        rows,
        widths=[14 * pdf.mm, 28 * pdf.mm, 88 * pdf.mm, 24 * pdf.mm, 26 * pdf.mm],
        size=9.5,
    )


def _signature(d: CertificateData) -> Any:
    """The seal's place beside the issuing unit, its head, the handler, phone and date."""
    from reportlab.platypus import Table, TableStyle

    sign = Table(
        [
            [
                _seal_place(d.station),
                pdf.para(
                    f"出具单位：{d.station}（盖章）<br/>单位负责人：{d.head}<br/>"
                    f"经办人：{d.handler}<br/>联系电话：{d.phone}<br/>{_cn_date(d.issued_on)}",
                    11,
                ),
            ]
        ],
        colWidths=[50 * pdf.mm, 90 * pdf.mm],
        hAlign="RIGHT",
    )
    sign.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    return sign


def write_certificate(path: str | Path, d: CertificateData) -> Path:
    """Write the certificate PDF (A4) atomically. :returns: the path."""
    story = [
        pdf.title("志愿服务证明", 20),
        pdf.Spacer(1, 6 * pdf.mm),
        _facts_table(d),
        pdf.Spacer(1, 5 * pdf.mm),
        pdf.para(body_text(d), 12),
        pdf.Spacer(1, 4 * pdf.mm),
        _records_table(d),
        pdf.Spacer(1, 3 * pdf.mm),
        pdf.para(f"合计：{_hours(d.total)} 小时（共 {len(d.records)} 条已审核记录）", 11),
        pdf.Spacer(1, 4 * pdf.mm),
        pdf.para("特此证明。", 12),
        pdf.Spacer(1, 6 * pdf.mm),
        _signature(d),
        pdf.Spacer(1, 6 * pdf.mm),
        pdf.para(
            "说明：本证明依据《志愿服务记录与证明出具办法（试行）》（民政部令第67号）和"
            "民发〔2015〕149号出具，时长仅计已审核的服务记录；证明编号见本单位志愿服务证明登记簿。"
            "星级志愿者由志愿服务组织依本人申请认定。",
            9,
        ),
    ]
    return pdf.build(
        path, story, doc_title=f"志愿服务证明 {d.certificate_number}", footer=d.station
    )
