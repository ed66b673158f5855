"""The one text normaliser: what a Chinese input method or a spreadsheet produces → clean text.

A Chinese IME in full-width mode types ``１４：３０`` for a time, ``１３８ ０００ ０００００`` for a
phone and puts ideographic spaces (U+3000) around a name. Every field of the desk and every
import cleans its text here, by kind (:data:`KINDS`):

``text``   free text (titles, places, notes): full-width letters and digits become half-width,
           ideographic and no-break spaces become plain ones, runs of spaces collapse, the ends
           are trimmed. Chinese punctuation (，：（）) stays: it is right in Chinese prose.
``name``   a person's name: as ``text``; a Chinese name loses every space (``张　三`` → ``张三``).
``digits`` phone numbers: the digits only (dashes and spaces dropped).
``id``     identity card numbers: digits and an upper-case ``X``.
``time``   ``HH:MM`` from ``14：30``, ``9:05``, ``14点30``, ``１４３０``; other text is returned
           half-width so the domain rule can say what is wrong.
``date``   ``YYYY-MM-DD`` from ``２０２６年３月５日``, ``2026/3/5``, ``20260305``; other text as
           above.
``number`` ``1200`` from ``１，２００``.
``code``   anything machine-like (numbers, codes): the whole text half-width (NFKC), trimmed.

Every kind first drops control characters (:data:`CONTROL`: invisible, pasted from web pages or
old systems; the city server refuses them, ``pzh_core.protocol``), so the desk never syncs one.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from typing import Any

KINDS = ("text", "name", "digits", "id", "time", "date", "number", "code")

# Full-width letters and digits (U+FF10–FF19, FF21–FF3A, FF41–FF5A) → ASCII; punctuation stays.
_ALNUM = {
    cp: cp - 0xFEE0
    for cp in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]
}
_SPACES = {0x3000: " ", 0xA0: " ", 0x2002: " ", 0x2003: " ", 0x2009: " ", 0x200B: ""}

#: Control characters no text keeps: C0 but tab, line feed and carriage return; DEL; C1.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def has_control(text: str, *, line: bool = False) -> bool:
    """True when ``text`` holds a control character (with ``line``, for a one-line field such
    as a name, a tab or line break counts too)."""
    return bool((_LINE_CONTROL if line else CONTROL).search(text))


def half_width(text: str) -> str:
    """Everything full-width to its ASCII form (NFKC), ideographic spaces to plain ones."""
    return unicodedata.normalize("NFKC", text).translate(_SPACES)


def clean(value: Any, kind: str = "text") -> str:
    """Clean one value of a field or a cell by its kind (see the module text)."""
    if value is None:
        return ""
    text = CONTROL.sub("", str(value))
    if kind == "text":
        lines = text.translate(_ALNUM).translate(_SPACES).replace("\r\n", "\n").split("\n")
        return "\n".join(re.sub(r"[ \t]+", " ", line).strip() for line in lines).strip()
    if kind == "name":
        name = clean(text)
        return "".join(name.split()) if is_cjk(name) else " ".join(name.split())
    if kind == "digits":
        return re.sub(r"\D", "", half_width(text))
    if kind == "id":
        return re.sub(r"[^0-9X]", "", half_width(text).upper())
    if kind == "time":
        text = half_width(text).strip()
        return time_text(text) or text
    if kind == "date":
        text = half_width(text).strip()
        return date_text(text) or text
    if kind == "number":
        return re.sub(r"[,\s]", "", half_width(text))
    if kind == "code":
        return half_width(text).strip()
    raise ValueError(f"unknown text kind {kind!r}")


def is_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def time_text(text: str) -> str | None:
    """``HH:MM`` of a time however typed, ``""`` for no time, None when it is not a time."""
    text = half_width(str(text or "")).strip().replace(" ", "")
    if not text:
        return ""
    m = re.fullmatch(r"(\d{1,2})(?:[:点时.](\d{2})?(?::\d{2})?分?)", text) or re.fullmatch(
        r"(\d{2})(\d{2})", text
    )
    if not m:
        return None
    h, mnt = int(m[1]), int(m[2] or 0)
    if h > 23 or mnt > 59:
        return None
    return f"{h:02d}:{mnt:02d}"


def date_text(text: str) -> str | None:
    """``YYYY-MM-DD`` of a date however written, or None."""
    text = half_width(str(text or "")).strip()
    if not text:
        return None
    text = text.split(" ")[0].split("T")[0]
    m = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?", text) or (
        re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)
    )
    if not m:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
    except ValueError:
        return None


def normalise_fields(record: Any, kinds: dict[str, str]) -> None:
    """Clean every ``str`` attribute of a record in place: those named in ``kinds`` by their
    kind, every other one as ``text``; lists of strings item by item."""
    for name, value in vars(record).items():
        if name == "id":
            continue
        kind = kinds.get(name, "text")
        if isinstance(value, str):
            setattr(record, name, clean(value, kind))
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            setattr(record, name, [c for c in (clean(v, kind) for v in value) if c])


# -- names in pinyin order ------------------------------------------------------------------
#: the SQLite collation that orders names by pinyin (``ORDER BY p.name COLLATE pinyin``);
#: every connection of the desk and the server registers it with :func:`register_collation`
COLLATION = "pinyin"


# the first code point of resources/refdata/pinyin-readings.txt (tools/make_pinyin_table.py)
_TABLE_FIRST = 0x3400


@functools.lru_cache(maxsize=1)
def _readings() -> list[str]:
    from pzh_core.resources import resources_dir

    path = resources_dir() / "refdata" / "pinyin-readings.txt"
    return path.read_text(encoding="ascii").split("\n")


def _each_char(text: str) -> list[str]:
    """What has no pinyin reading sorts by its characters, one by one, in lower case."""
    return list(text.lower())


def _reading(char: str) -> list[str]:
    table = _readings()
    index = ord(char) - _TABLE_FIRST
    if 0 <= index < len(table) - 1 and table[index]:
        return [table[index]]
    if char.isascii() or not char.isalpha():
        return [char.lower()]
    from pypinyin import lazy_pinyin  # a rare character beyond the table (0.8 s to load)

    # pypinyin's errors callback may return a list (one reading per character); its stub says str
    readings = lazy_pinyin(char, errors=_each_char)  # type: ignore[arg-type]
    return [r.lower() for r in readings]


@functools.lru_cache(maxsize=50_000)
def pinyin_key(name: str) -> tuple[tuple[str, ...], str]:
    """Sort key of a name in pinyin order (丁 冯 何 刘 余, not code-point order 丁 何 余 冯 刘);
    names that read the same fall back to the characters, so the order is total and stable.
    Each character reads as pypinyin's first reading (a table, so listing names never loads
    pypinyin's phrase dictionaries); letters and digits sort before Chinese."""
    name = name or ""
    readings = [r for ch in name.strip() for r in _reading(ch)]
    return tuple(readings), name


def _compare(a: str, b: str) -> int:
    ka, kb = pinyin_key(a or ""), pinyin_key(b or "")
    return (ka > kb) - (ka < kb)


def register_collation(conn: Any) -> None:
    """Make ``COLLATE pinyin`` available on a sqlite3 connection."""
    conn.create_collation(COLLATION, _compare)
