"""A4 paper for training classes: the sign-in sheet (签到表) of a session and the roster sheet
(花名册) of a class. Plain data in, PDF out (through the shared helper ``io.pdf``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from pzh_core.domain.person import masked_phone
from pzh_core.i18n import tr
from pzh_station.io import pdf

C = "RosterPdf"


def _heading(station: str, class_name: str, what: str) -> list:
    return [
        pdf.title(escape(f"{station} {class_name} {what}".strip()), 16),
        pdf.Spacer(1, 4 * pdf.mm),
    ]


def _info(parts: Sequence[tuple[str, str]]) -> Any:
    text = "　　".join(f"{k}：{escape(v)}" for k, v in parts if v)
    return pdf.para(text or " ", 10.5)


def _class_info(art_form: str, teacher: str, venue: str, when: str) -> Any:
    """The line under the title: 门类, 授课老师, 地点, 时间 (those given)."""
    return _info(
        [
            (tr(C, "门类"), art_form),
            (tr(C, "授课老师"), teacher),
            (tr(C, "地点"), venue),
            (tr(C, "时间"), when),
        ]
    )


def sign_in_sheet(
    path: str | Path,
    *,
    station: str,
    class_name: str,
    art_form: str,
    teacher: str,
    venue: str,
    when: str,
    people: Sequence[dict[str, Any]],
    blank_rows: int = 8,
    show_phones: bool = False,
) -> Path:
    """Write a sign-in sheet: 序号, 姓名, 联系电话, 村(社区), 签到（签名）, 备注 — one row per
    participant, then ``blank_rows`` empty rows for walk-ins. Rows are tall enough to sign in.

    :param show_phones: print phone numbers whole; by default the middle digits are hidden
        (``138****5678``): the sheet lies on a table where everyone signs.
    """

    def phone(p: dict[str, Any]) -> str:
        number = p.get("phone") or ""
        return number if show_phones or not number else masked_phone(number)

    rows = [
        [i, escape(p["name"]), escape(phone(p)), escape(p.get("village") or ""), "", ""]
        for i, p in enumerate(people, start=1)
    ]
    rows += [[len(people) + i, "", "", "", "", ""] for i in range(1, blank_rows + 1)]
    mm = pdf.mm
    story = _heading(station, class_name, tr(C, "签到表")) + [
        _class_info(art_form, teacher, venue, when),
        pdf.Spacer(1, 3 * mm),
        pdf.table(
            [tr(C, h) for h in ("序号", "姓名", "联系电话", "村(社区)", "签到（签名）", "备注")],
            rows,
            widths=[12 * mm, 28 * mm, 32 * mm, 36 * mm, 46 * mm, 26 * mm],
            row_height=9 * mm,
        ),
        pdf.Spacer(1, 4 * mm),
        pdf.para(
            tr(C, "应到 {} 人　　实到 ____ 人　　插班 ____ 人　　记录人：________").format(
                len(people)
            ),
            10.5,
        ),
    ]
    return pdf.build(
        path, story, doc_title=f"{class_name} " + tr(C, "签到表"), footer=f"{class_name} {when}"
    )


# the roster sheet's columns and their widths (mm); 备注 says 插班 for a walk-in
ROSTER_COLUMNS = [
    ("序号", 11),
    ("姓名", 22),
    ("性别", 11),
    ("出生年份", 17),
    ("联系电话", 27),
    ("村(社区)", 30),
    ("民族", 15),
    ("报名日期", 22),
    ("备注", 25),
]


def _roster_row(i: int, p: dict[str, Any]) -> list[Any]:
    return [
        i,
        escape(p["name"]),
        p.get("gender") or "",
        p.get("birth_year") or "",
        escape(p.get("phone") or ""),
        escape(p.get("village") or ""),
        escape(p.get("ethnicity") or ""),
        p.get("enrolled_on") or "",
        tr(C, "插班") if p.get("walk_in") else "",
    ]


def roster_sheet(
    path: str | Path,
    *,
    station: str,
    class_name: str,
    art_form: str,
    teacher: str,
    venue: str,
    period: str,
    people: Sequence[dict[str, Any]],
) -> Path:
    """Write a roster sheet: the columns of ``ROSTER_COLUMNS``, one row per participant."""
    mm = pdf.mm
    story = _heading(station, class_name, tr(C, "学员花名册")) + [
        _class_info(art_form, teacher, venue, period),
        pdf.Spacer(1, 3 * mm),
        pdf.table(
            [tr(C, h) for h, _ in ROSTER_COLUMNS],
            [_roster_row(i, p) for i, p in enumerate(people, start=1)],
            widths=[w * mm for _, w in ROSTER_COLUMNS],
            row_height=7 * mm,
            size=9.5,
        ),
        pdf.Spacer(1, 4 * mm),
        pdf.para(tr(C, "共 {} 人").format(len(people)), 10.5),
    ]
    return pdf.build(path, story, doc_title=f"{class_name} " + tr(C, "花名册"), footer=class_name)
