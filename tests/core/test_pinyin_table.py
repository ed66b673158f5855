"""The pinyin sort key reads a shipped table (resources/refdata/pinyin-readings.txt) instead of
loading pypinyin, whose phrase dictionaries took 0.8 s of the desk's start (issue 17)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import make_pinyin_table  # noqa: E402

from pzh_core import text  # noqa: E402


def test_the_shipped_table_is_what_pypinyin_gives_today():
    shipped = make_pinyin_table.TABLE.read_text(encoding="ascii")
    assert shipped == make_pinyin_table.text(), "run python tools/make_pinyin_table.py"


def test_key_agrees_with_pypinyin_reading_by_reading():
    from pypinyin import lazy_pinyin

    names = ["张三", "曾小明", "绿 萍", "Anna", "阿依·木合", "李2号", "𠮷田", "欧阳 娜娜", "单田芳"]
    for name in names:
        by_char = [
            r.lower() for ch in name for r in lazy_pinyin(ch, errors=lambda s: list(s.lower()))
        ]
        assert text.pinyin_key(name) == (tuple(by_char), name), name


def test_listing_names_in_pinyin_order_does_not_load_pypinyin():
    code = (
        "import sys; from pzh_core import text; "
        "names = sorted(['余静', '刘洋', '何芳', '丁伟', '冯军'], key=text.pinyin_key); "
        "print(' '.join(names), 'pypinyin' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, encoding="utf-8", cwd=ROOT
    )
    assert out.stdout.split() == ["丁伟", "冯军", "何芳", "刘洋", "余静", "False"], out.stderr
