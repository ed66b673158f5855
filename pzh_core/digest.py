"""The digest of a station's replica: verified convergence (issue 12; docs/sync-protocol.md,
"Digest"). Written once; the server keeps it incrementally, the desk computes it over its rows.

Two digests of the same shape: the **stamps** one (below) and the **values** one
(``values_hash``: a row's table, id and, for each stamped field, its name and canonical value),
so copies that hold different values under equal stamps are told apart too.

A row counts by its table, id and field stamps — never its values, never how stamps are stored:
each stamp is reduced to its canonical value ``(ms, counter, device)``. So two replicas that hold
the same rows with the same field stamps have the same digest, whatever their storage.

- ``row_hash``: 64 bits of BLAKE2b over ``table, id, sorted (field, canonical stamp)``.
- a row falls in one of ``BUCKETS`` buckets by its id (``bucket_of``); a bucket's value is the XOR
  of its rows' hashes, so adding, changing or removing a row updates it in O(1)
  (``value ^= old_hash ^ new_hash``).
- a table's value is the XOR of its buckets; the station's ``root`` is a hash of every non-empty
  table's value — 16 hex characters, what an idle sync carries.

On a mismatch the parties compare table values, then the differing tables' bucket values, then
exchange only the rows of the differing buckets (a table of 20,000 rows has ~80 per bucket).
XOR of 64-bit hashes is no defence against a forger, only against accidents — enough here: a
device can write its station's rows anyway.
"""

from __future__ import annotations

import functools
import hashlib
import json
import operator
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from pzh_core import hlc, schema, stored_clocks

BUCKETS = 256
MASK = (1 << 64) - 1


def tables() -> list[str]:
    """The tables a station's digest covers: every synced table but those the server scopes
    otherwise (``schema.SERVER_ONLY``, e.g. ``city_settings``)."""
    return [t for t in schema.TABLES if t not in schema.SERVER_ONLY]


@functools.lru_cache(maxsize=65_536)  # the fields of a row written at once share a stamp
def canonical_stamp(stamp: str) -> str:
    """A stamp's canonical value: its numbers without padding, then its device."""
    ms, counter, device = hlc.split(stamp)
    return f"{ms}.{counter}.{device}"


_blake2b = hashlib.blake2b


def _h64(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")


def row_hash(table: str, row_id: str, clocks: Mapping[str, str] | str) -> int:
    """The row's 64-bit hash (``clocks`` as a mapping or as stored, ``pzh_core.stored_clocks``);
    0 for no stamps."""
    stamps = stored_clocks.decode(table, clocks) if isinstance(clocks, str) else clocks
    if not stamps:
        return 0
    parts = [table, row_id]
    for name in sorted(stamps):
        parts += [name, canonical_stamp(stamps[name])]
    return _h64("\x1f".join(parts).encode("utf-8"))


_TEXTUAL = frozenset(("text", "date", "time"))
# Made once: json.dumps with options builds an encoder per call (the server hashes every row it
# writes, twice).
_SORTED_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


# ... and its encode() builds its C encoder per call: this one is built once, without the check
# for circular values (what it encodes was parsed from JSON or a column, never circular).
def _c_sorted_json() -> Any:
    """CPython's C encoder with ``_SORTED_JSON``'s options, or None where this Python has none,
    or one with another signature or output (``json.encoder.c_make_encoder`` is not public):
    the plain encoder then serves, a little slower, with the same output."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return None
    try:
        enc = make(
            None, _SORTED_JSON.default, json.encoder.encode_basestring, None, ":", ",",
            True, False, True,
        )  # fmt: skip
        sample = {"b": [1, 2.5, "é\n"], "a": None, "c": {"y": True, "x": "\u0000"}}
        if "".join(enc(sample, 0)) != _SORTED_JSON.encode(sample):
            return None
    except Exception:  # noqa: BLE001 - any surprise: the plain encoder
        return None
    return enc


_C_SORTED_JSON = _c_sorted_json()


def sorted_json(value: Any) -> str:
    """``value`` as JSON with sorted keys, no spaces and non-ASCII kept: what
    ``json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))`` gives."""
    if _C_SORTED_JSON is None or type(value) is str:
        return _SORTED_JSON.encode(value)
    return "".join(_C_SORTED_JSON(value, 0))


def canonical_value(kind: str, value: Any) -> str:
    """A field's canonical value, defined per kind, never by storage: bool ``0``/``1``, int in
    decimal, real as the shortest round-trip decimal of the float, list/json as JSON with sorted
    keys and no spaces (given parsed or as stored), text/date/time as the text. A missing value
    (``None``) is the kind's stored default."""
    if type(value) is str and kind in _TEXTUAL:
        return value
    if kind in ("list", "json"):
        if isinstance(value, str):
            value = json.loads(value) if value else None
        if value is None:
            value = [] if kind == "list" else {}
        return sorted_json(value)
    if kind == "bool":
        return "1" if value else "0"
    if value is None:  # opt_real: "" = not known, never 0
        return "0" if kind == "int" else "0.0" if kind == "real" else ""
    if kind in ("real", "opt_real") and isinstance(value, (int, float, Decimal)):
        return repr(float(value) + 0.0)  # + 0.0: -0.0 is 0.0
    if kind == "int" and isinstance(value, (bool, float, Decimal)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def values_hash(
    table: str, row_id: str, row: Mapping[str, Any], clocks: Mapping[str, str] | str
) -> int:
    """The row's 64-bit hash over the canonical values of its stamped fields (``row`` decoded or
    as stored; ``clocks`` says which fields hold a stamp); 0 for no stamps."""
    stamps = stored_clocks.decode(table, clocks) if isinstance(clocks, str) else clocks
    types = schema.TABLES[table]
    names = sorted(n for n in stamps if n in types)
    if not names:
        return 0
    parts = [table, row_id]
    for name in names:
        kind, value = types[name], row.get(name)
        parts.append(name)
        parts.append(
            value if type(value) is str and kind in _TEXTUAL else canonical_value(kind, value)
        )
    return _h64("\x1f".join(parts).encode("utf-8"))  # as row_hash: accidents, not forgers


# canonical_value of a kind, its common case first (tests/core/test_digest_fast.py)
_TEXT_OF: dict[str, Callable[[Any], str]] = {
    "int": lambda v: str(v) if type(v) is int else canonical_value("int", v),
    "list": lambda v: sorted_json(v) if type(v) is list else canonical_value("list", v),
    "json": lambda v: sorted_json(v) if type(v) is dict else canonical_value("json", v),
    "bool": lambda v: "1" if v else "0",
}


class _Shape:
    """What the two hashes of a row with stamps on some names go over (made once per table and
    names): the names sorted, the typed ones among them with ``"\\x1f<name>\\x1f"`` before each
    value, a getter of their values and the places and kinds of those not textual."""

    __slots__ = ("table", "key", "names", "typed", "prefixes", "parts", "get", "others", "_fields")

    def __init__(self, table: str, names: tuple[str, ...]) -> None:
        types = schema.TABLES[table]
        self.table, self.key, self._fields = table, names, ""
        self.names = tuple(sorted(names))
        self.typed = tuple((n, types[n]) for n in self.names if n in types)
        self.prefixes = tuple(f"\x1f{n}\x1f" for n, _ in self.typed)
        self.parts = [part for prefix in self.prefixes for part in (prefix, "")]  # values: ""
        self.get = operator.itemgetter(*(n for n, _ in self.typed)) if self.typed else None
        self.others = tuple(
            (at, _TEXT_OF.get(kind) or functools.partial(canonical_value, kind))
            for at, (_, kind) in enumerate(self.typed)
            if kind not in _TEXTUAL
        )

    def fields(self) -> str:
        """``stored_clocks.fields_text`` of these names (ValueError on one that is no name)."""
        if not self._fields:
            self._fields = stored_clocks.fields_text(self.table, self.key)
        return self._fields


_shape = functools.lru_cache(maxsize=4096)(_Shape)


def row_hashes(
    table: str, row_id: str, row: Mapping[str, Any], clocks: Mapping[str, str] | str
) -> tuple[int, int]:
    """``(row_hash, values_hash)`` of a row of a synced table: the same numbers as those two
    functions give, made in one pass (the server hashes every row it writes; the two are
    compared over generated rows in ``tests/core/test_digest_fast.py``)."""
    stamps = stored_clocks.decode(table, clocks) if isinstance(clocks, str) else clocks
    if not stamps:
        return 0, 0
    shape = _shape(table, tuple(stamps))
    head = table + "\x1f" + row_id
    distinct = set(stamps.values())
    if len(distinct) == 1:  # the fields written at once (a new row): one stamp, seen once
        canonical = canonical_stamp.__wrapped__(distinct.pop())
        text = head + "\x1f" + f"\x1f{canonical}\x1f".join(shape.names) + "\x1f" + canonical
    else:
        text = head + "".join([f"\x1f{n}\x1f{canonical_stamp(stamps[n])}" for n in shape.names])
    return _h64(text.encode("utf-8")), _values_hash(shape, head, row)


def written_row(
    table: str, row_id: str, row: Mapping[str, Any], clocks: Mapping[str, str]
) -> tuple[int, int, tuple[str, str, str]]:
    """:func:`row_hashes` and ``stored_clocks.row_meta`` of a row the server writes, made
    together: a row whose fields carry one stamp (a new row) has it split once."""
    if clocks:
        distinct = set(clocks.values())
        if len(distinct) == 1 and type(stamp := distinct.pop()) is str:
            shape = _shape(table, tuple(clocks))
            split = hlc.STAMP.fullmatch(stamp)  # hlc.split, inline
            if split is None:
                hlc.refuse(stamp)
            ms_text, counter_text, device = split.groups()
            ms, counter = int(ms_text), int(counter_text)
            canonical = f"{ms}.{counter}.{device}"  # canonical_stamp
            head = table + "\x1f" + row_id
            text = head + "\x1f" + f"\x1f{canonical}\x1f".join(shape.names) + "\x1f" + canonical
            meta = (
                stamp,
                device,
                stored_clocks.one_group_text(shape._fields or shape.fields(), ms, counter, device),
            )
            by_stamps = int.from_bytes(
                _blake2b(text.encode("utf-8"), digest_size=8).digest(), "big"
            )
            return by_stamps, _values_hash(shape, head, row), meta
    return (*row_hashes(table, row_id, row, clocks), stored_clocks.row_meta(table, clocks))


def _values_hash(shape: _Shape, head: str, row: Mapping[str, Any]) -> int:
    if shape.get is None:
        return 0
    try:
        got = shape.get(row)
        values = list(got) if len(shape.typed) > 1 else [got]
        for at, text_of in shape.others:
            values[at] = text_of(values[at])
        parts = shape.parts.copy()
        parts[1::2] = values
        # a textual field holding no str (None, a number) is not joined: the slow way below
        text = head + "".join(parts)
    except (KeyError, TypeError):
        parts = [head]
        for (name, kind), prefix in zip(shape.typed, shape.prefixes, strict=True):
            value = row.get(name)
            parts.append(prefix)
            parts.append(
                value if type(value) is str and kind in _TEXTUAL else canonical_value(kind, value)
            )
        text = "".join(parts)
    return int.from_bytes(_blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")  # _h64


def bucket_of(row_id: str) -> int:
    return hashlib.blake2b(row_id.encode("utf-8"), digest_size=1).digest()[0]


def hex64(value: int) -> str:
    return f"{value & MASK:016x}"


class TableDigest:
    """The bucket values of one table (built from rows, or loaded from the server's store)."""

    __slots__ = ("buckets",)

    def __init__(self, buckets: Mapping[int, int] | None = None) -> None:
        self.buckets = [0] * BUCKETS
        for b, v in (buckets or {}).items():
            self.buckets[b] = v & MASK

    def add(self, table: str, row_id: str, clocks: Mapping[str, str] | str) -> None:
        self.buckets[bucket_of(row_id)] ^= row_hash(table, row_id, clocks)

    def add_values(
        self, table: str, row_id: str, row: Mapping[str, Any], clocks: Mapping[str, str] | str
    ) -> None:
        self.buckets[bucket_of(row_id)] ^= values_hash(table, row_id, row, clocks)

    @property
    def value(self) -> int:
        out = 0
        for v in self.buckets:
            out ^= v
        return out

    def encode(self) -> str:
        """All bucket values as one hex string (BUCKETS × 16 characters)."""
        return "".join(hex64(v) for v in self.buckets)

    @staticmethod
    def decode(text: str) -> list[int]:
        if not isinstance(text, str) or len(text) != BUCKETS * 16:
            raise ValueError("bucket string of the wrong length")
        return [int(text[i * 16 : i * 16 + 16], 16) for i in range(BUCKETS)]


def table_digest(table: str, rows: Iterable[tuple[str, Mapping[str, str] | str]]) -> TableDigest:
    """The digest of a table from ``(id, clocks)`` rows."""
    d = TableDigest()
    for row_id, clocks in rows:
        d.add(table, row_id, clocks)
    return d


def root(values: Mapping[str, int]) -> str:
    """The station's root from ``{table: table value}`` (empty tables do not count)."""
    text = ";".join(f"{t}={hex64(v)}" for t, v in sorted(values.items()) if v & MASK)
    return hex64(_h64(text.encode("utf-8")))


def differing_buckets(mine: list[int], theirs: list[int]) -> list[int]:
    return [b for b in range(BUCKETS) if mine[b] != theirs[b]]
