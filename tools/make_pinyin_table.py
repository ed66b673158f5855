"""Write ``resources/refdata/pinyin-readings.txt``: the toneless first reading pypinyin gives each
character of U+3400–U+9FFF (CJK Unified Ideographs and Extension A), one line per code point,
empty where it has none.

``pzh_core.text.pinyin_key`` sorts names with this table, so the desk does not load pypinyin
(0.8 s of imports: its phrase dictionaries) to list its staff at start-up; characters outside the
range fall back to pypinyin itself. tests/core/test_pinyin_table.py checks the file against the
installed pypinyin. Run again after upgrading pypinyin:

    python tools/make_pinyin_table.py
"""

from __future__ import annotations

from pathlib import Path

FIRST, LAST = 0x3400, 0x9FFF
TABLE = Path(__file__).resolve().parent.parent / "resources" / "refdata" / "pinyin-readings.txt"


def readings() -> list[str]:
    from pypinyin import lazy_pinyin
    from pypinyin.pinyin_dict import pinyin_dict

    return [
        lazy_pinyin(chr(cp))[0].lower() if cp in pinyin_dict else ""
        for cp in range(FIRST, LAST + 1)
    ]


def text() -> str:
    return "\n".join(readings()) + "\n"


if __name__ == "__main__":
    TABLE.write_text(text(), encoding="ascii")
    print(f"{TABLE}: {TABLE.stat().st_size} bytes")
