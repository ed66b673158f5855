"""The stored form of a row's field stamps (issue 16, "compact clocks"): one codec for the desk's
store and the server's storage. The wire (``pzh_core.protocol``) and the merge rule keep the
stamps as ``hlc`` strings; only what a ``clocks`` column holds is compact.

A row's clocks ``{field: "<ms>.<counter>.<device>"}`` are stored as ASCII text::

    1;<device>,<device>…;<group>;<group>…
    group    = <stamp in base 36>[.<device number in base 36>]=<field mask in base 36>[+<name>…]

- ``1`` is the format's version (a legacy JSON clock starts with ``{`` and still decodes).
- each device id appears once per row; a group names its device by position (none: the first).
- a stamp is the integer ``ms × 2^16 + counter`` (counters stop at 9,999), so it sorts like
  the stamp's time and counter.
- the fields written at one stamp are one group; a field is a bit of the mask by its number in
  :func:`numbering` (``deleted`` first, then the table's fields in ``pzh_core.schema`` order,
  which only ever grows at the end), and a field without a number is written by name after ``+``.
- groups are ordered by stamp, newest first; an empty clock is ``{}`` (the columns' default).

A typical row — every field written by one device at one stamp — is ``1;<32-character device>;
<11 characters>=<4 characters>``, about 50 bytes where the JSON held about 1 KB. Decoding gives
back exactly the stamps that were encoded, so the merge rule and the digest (defined over the
stamps' canonical value) see no difference.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from typing import Any

from pzh_core import hlc, merge, schema

VERSION = "1"
EMPTY = "{}"
_SHIFT = 16
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
_NAME = re.compile(r"[A-Za-z0-9_]+", re.ASCII)
_DEVICE = re.compile(r"[A-Za-z0-9_-]{0,64}", re.ASCII)  # as in pzh_core.hlc
_MS_LIMIT = 10**13  # 13 digits


@functools.cache
def numbering(table: str) -> tuple[str, ...]:
    """The fields of ``table`` by their bit in a mask: ``deleted``, then the schema's order.

    Stored masks depend on it: a new field goes at the end of its table's definition, never
    between existing ones (``tests/core/test_stored_clocks.py`` holds the order as shipped)."""
    fields = schema.TABLES.get(table)
    if fields is None:
        return ()
    return ("deleted", *(f for f in fields if f != "deleted"))


@functools.cache
def _numbers(table: str) -> dict[str, int]:
    return {f: i for i, f in enumerate(numbering(table))}


@functools.lru_cache(maxsize=4096)
def _fields_of_mask(table: str, mask: int) -> tuple[str, ...]:
    """The fields a mask names (IndexError for a bit without a field)."""
    names = numbering(table)
    return tuple(names[bit] for bit in range(mask.bit_length()) if mask >> bit & 1)


_PAIRS = [a + b for a in _DIGITS for b in _DIGITS]  # 0 … 36² - 1 in two digits


def _b36_plain(n: int) -> str:
    if n < 0:
        raise ValueError("negative")
    digits = []
    while True:
        n, r = divmod(n, 36)
        digits.append(_DIGITS[r])
        if not n:
            return "".join(reversed(digits))


_SMALL = [_b36_plain(n) for n in range(36**2)]
_LOW = 36**4


@functools.lru_cache(maxsize=1024)  # a stamp's high digits: the same for ~25 ms of stamps
def _b36_high(n: int) -> str:
    digits = []
    while n >= 36**2:
        n, r = divmod(n, 36**2)
        digits.append(_PAIRS[r])
    digits.append(_SMALL[n])
    return "".join(reversed(digits))


def _b36(n: int) -> str:
    """``n`` in base 36 (``_b36_plain``, two digits at a time; compared over many numbers in
    ``tests/core/test_stored_clocks.py``)."""
    if n < 36**2:
        return _SMALL[n] if n >= 0 else _b36_plain(n)
    if n < _LOW:
        high, low = divmod(n, 36**2)
        return _SMALL[high] + _PAIRS[low]
    high, low = divmod(n, _LOW)
    a, b = divmod(low, 36**2)
    return _b36_high(high) + _PAIRS[a] + _PAIRS[b]


def _int36(text: str) -> int:
    if not text or not text.isascii() or not text.isalnum() or text != text.lower():
        raise ValueError(f"not a base-36 number: {text!r}")
    return int(text, 36)


def stamp_int(stamp: str) -> tuple[int, str]:
    """A stamp as ``(ms × 2^16 + counter, device)``; raises ValueError on a malformed stamp."""
    ms, counter, device = hlc.split(stamp)
    return (ms << _SHIFT) | counter, device


def int_stamp(value: int, device: str) -> str:
    """The inverse of :func:`stamp_int` (raises ValueError when it makes no stamp; the device
    is checked by the caller, once per row)."""
    ms, counter = value >> _SHIFT, value & ((1 << _SHIFT) - 1)
    if ms >= _MS_LIMIT or counter > hlc.COUNTER_MAX:
        raise ValueError(f"not a stamp: {value}")
    return hlc.encode(ms, counter, device)


def encode(table: str, clocks: Mapping[str, str]) -> str:
    """The stored text of a row's field stamps (raises ValueError on a malformed stamp or a
    field name outside ``[A-Za-z0-9_]``)."""
    if not clocks:
        return EMPTY
    stamps = set(clocks.values())
    if len(stamps) == 1 and type(stamp := stamps.pop()) is str:
        return _one_group(table, clocks, stamp)[1]
    return _groups_text(table, clocks)


@functools.lru_cache(maxsize=4096)
def fields_text(table: str, names: tuple[str, ...]) -> str:
    """A group's fields as stored: ``<mask in base 36>[+<name>…]`` (ValueError on a name that
    is not one, the first in ``names``)."""
    numbers = _numbers(table)
    mask, named = 0, []
    for name in names:
        bit = numbers.get(name)
        if bit is not None:
            mask |= 1 << bit
        elif _NAME.fullmatch(name):
            named.append(name)
        else:
            raise ValueError(f"not a field name: {name!r}")
    return _b36(mask) + "".join("+" + n for n in sorted(named))


def _one_group(table: str, clocks: Mapping[str, str], stamp: str) -> tuple[str, str]:
    """``(device, stored text)`` of field stamps that are all ``stamp`` (a new row's)."""
    fields = fields_text(table, tuple(clocks))
    ms, counter, device = hlc.split(stamp)
    return device, one_group_text(fields, ms, counter, device)


def one_group_text(fields: str, ms: int, counter: int, device: str) -> str:
    """The stored text of field stamps that are all one stamp (``hlc.split``), on the fields of
    ``fields`` (:func:`fields_text`)."""
    return f"{VERSION};{device};{_b36((ms << _SHIFT) | counter)}={fields}"


def _groups_text(table: str, clocks: Mapping[str, str]) -> str:
    """:func:`encode` of any field stamps: a group per stamp, newest first."""
    numbers = _numbers(table)
    groups: dict[str, list[Any]] = {}  # stamp -> [mask, names without a number]
    for name, stamp in clocks.items():
        group = groups.get(stamp)
        if group is None:
            group = groups[stamp] = [0, []]
        bit = numbers.get(name)
        if bit is not None:
            group[0] |= 1 << bit
        elif _NAME.fullmatch(name):
            group[1].append(name)
        else:
            raise ValueError(f"not a field name: {name!r}")
    devices: list[str] = []
    parts = [VERSION, ""]
    for stamp in sorted(groups, reverse=True) if len(groups) > 1 else groups:
        value, device = stamp_int(stamp)
        if device not in devices:
            devices.append(device)
        mask, named = groups[stamp]
        at = devices.index(device)
        head = _b36(value) + (f".{_b36(at)}" if at else "")
        parts.append(head + "=" + _b36(mask) + "".join("+" + n for n in sorted(named)))
    parts[1] = ",".join(devices)
    return ";".join(parts)


def decode(table: str, text: str | None) -> dict[str, str]:
    """The field stamps of a stored clock (this format, or the legacy JSON object);
    raises ValueError on anything else."""
    if not text or text == EMPTY:
        return {}
    if text[0] == "{":
        legacy = json.loads(text)
        if not isinstance(legacy, dict):
            raise ValueError("not a clock")
        return legacy
    parts = text.split(";")
    if parts[0] != VERSION or len(parts) < 3:
        raise ValueError(f"not a stored clock: {text[:40]!r}")
    devices = parts[1].split(",")
    if not all(_DEVICE.fullmatch(d) for d in devices):
        raise ValueError(f"not a stored clock: {text[:40]!r}")
    try:
        return _groups(table, devices, parts[2:])
    except IndexError:
        raise ValueError(f"not a stored clock: {text[:40]!r}") from None


def _groups(table: str, devices: list[str], groups: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for group in groups:
        head, _, fields = group.partition("=")
        value, _, at = head.partition(".")
        stamp = int_stamp(_int36(value), devices[_int36(at) if at else 0])
        mask_text, *named = fields.split("+")
        for name in _fields_of_mask(table, _int36(mask_text)):
            out[name] = stamp
        for name in named:
            if not _NAME.fullmatch(name):
                raise ValueError(f"not a field name: {name!r}")
            out[name] = stamp
    return out


def row_columns(table: str, clocks: Mapping[str, str]) -> dict[str, str]:
    """The meta columns of a row with these field stamps, as stored: ``updated_at`` (the
    greatest stamp), ``device_id`` (its device) and ``clocks``."""
    top, device, text = row_meta(table, clocks)
    return {"updated_at": top, "device_id": device, "clocks": text}


def row_meta(table: str, clocks: Mapping[str, str]) -> tuple[str, str, str]:
    """``(updated_at, device_id, clocks)`` of :func:`row_columns`, as a tuple (the server's
    write of every row)."""
    if clocks:
        stamps = set(clocks.values())
        if len(stamps) == 1 and type(stamp := stamps.pop()) is str:
            device, text = _one_group(table, clocks, stamp)
            return stamp, device, text
    top = merge.row_stamp(clocks)
    return top, top.split(".", 2)[2] if top else "", encode(table, clocks)
