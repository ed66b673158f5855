"""The one text normaliser (pzh_core.text): what a Chinese input method types, cleaned by kind."""

from __future__ import annotations

import pytest

from pzh_core import tabular, text
from pzh_core.domain.activity import Activity
from pzh_core.domain.person import Person, normalise_phone


@pytest.mark.parametrize(
    ("typed", "kind", "clean"),
    [
        ("１４：３０", "time", "14:30"),
        ("14：30", "time", "14:30"),
        ("9:30", "time", "09:30"),
        ("14点30", "time", "14:30"),
        ("１４３０", "time", "14:30"),
        ("25:00", "time", "25:00"),  # not a time: left for the rule to refuse, never dropped
        ("２０２６年３月５日", "date", "2026-03-05"),
        ("2026/3/5", "date", "2026-03-05"),
        ("２０２６０３０５", "date", "2026-03-05"),
        ("１３８ ０００-０００００", "digits", "13800000000"),
        ("５１０４０２１９９０１２３４５６７ｘ", "id", "51040219901234567X"),
        ("１，２００", "number", "1200"),
        ("\u3000张\u3000三\u3000", "name", "张三"),
        ("  John   Smith ", "name", "John Smith"),
        ("\u3000第３期：书法班（初级）\u3000", "text", "第3期：书法班（初级）"),
        ("第一行\u3000\n  第二行  ", "text", "第一行\n第二行"),
    ],
)
def test_clean_by_kind(typed, kind, clean):
    assert text.clean(typed, kind) == clean


def test_chinese_punctuation_stays_in_free_text():
    assert text.clean("主题：春节，欢乐！", "text") == "主题：春节，欢乐！"


def test_records_normalise_every_field_by_its_kind():
    a = Activity(
        title="\u3000广场舞\u3000", date="２０２５年１０月２９日", start_time="１４：３０"
    ).normalise()
    assert (a.title, a.date, a.start_time) == ("广场舞", "2025-10-29", "14:30")
    p = Person(name="王\u3000芳", phone="１３９ ００００ ００００").normalise()
    assert (p.name, p.phone) == ("王芳", "13900000000")


def test_imports_and_fields_share_the_definition():
    assert tabular.parse_time("１４：３０") == text.time_text("14:30") == "14:30"
    assert tabular.parse_date("２０２６．３．５") == "2026-03-05"
    assert normalise_phone("１３８-0000-0000") == text.clean("138 0000 0000", "digits")
    # a cell keeps its Chinese punctuation and loses full-width digits and spaces
    assert tabular.normalise_text("\u3000第２期：书法\u3000") == "第2期：书法"


@pytest.mark.parametrize("kind", text.KINDS)
def test_control_characters_are_cleaned_at_input_for_every_kind(kind):
    # What a paste from a web page or an old system can carry: invisible, and one of them once
    # made the city's xlsx export fail. The server refuses them (pzh_core.protocol), so the
    # desk takes them out as they are typed or imported and never syncs one.
    for bad in ("\x01", "\x08", "\x0b", "\x1b", "\x7f", "\x85", "\x9f"):
        cleaned = text.clean(f"12{bad}3", kind)
        assert not text.has_control(cleaned), (kind, repr(bad), cleaned)
    assert text.clean("广场\x01舞", "text") == "广场舞"
    assert text.clean("张\x1b三", "name") == "张三"


def test_line_breaks_and_tabs_are_text_not_control_characters():
    assert not text.has_control("第一行\n第二行\t备注\r\n")
    assert text.has_control("第一行\n第二行", line=True)  # a one-line field (a station's name)
    assert text.has_control("a\x00b") and text.has_control("a\u0085b")


def test_records_and_imports_clean_control_characters():
    a = Activity(title="广场\x01舞", notes="第一行\x07\n第二行").normalise()
    assert (a.title, a.notes) == ("广场舞", "第一行\n第二行")
    assert tabular.normalise_text("坏\x01名字") == "坏名字"
