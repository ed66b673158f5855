"""The digest's fast paths (issue 16: the server hashes every row it writes) give the numbers of
the definition: each is compared, over many generated rows, with the definition as it was
written before them (kept here as the reference, in its plain words)."""

from __future__ import annotations

import hashlib
import json
import math
from decimal import Decimal
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from pzh_core import digest, hlc, schema, stored_clocks

# -- the reference: the definition as written before the fast paths ---------------------------


def ref_canonical_stamp(stamp: str) -> str:
    s = hlc.parse(stamp)
    return f"{s.ms}.{s.counter}.{s.device}"


def ref_h64(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")


def ref_row_hash(table: str, row_id: str, clocks: Any) -> int:
    stamps = stored_clocks.decode(table, clocks) if isinstance(clocks, str) else clocks
    if not stamps:
        return 0
    parts = [table, row_id]
    for name in sorted(stamps):
        parts += [name, ref_canonical_stamp(stamps[name])]
    return ref_h64("\x1f".join(parts).encode("utf-8"))


def ref_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def ref_canonical_value(kind: str, value: Any) -> str:
    if type(value) is str and kind in ("text", "date", "time"):
        return value
    if kind in ("list", "json"):
        if isinstance(value, str):
            value = json.loads(value) if value else None
        if value is None:
            value = [] if kind == "list" else {}
        return ref_json(value)
    if kind == "bool":
        return "1" if value else "0"
    if value is None:
        return "0" if kind == "int" else "0.0" if kind == "real" else ""
    if kind in ("real", "opt_real") and isinstance(value, (int, float, Decimal)):
        return repr(float(value) + 0.0)
    if kind == "int" and isinstance(value, (bool, float, Decimal)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def ref_values_hash(table: str, row_id: str, row: dict[str, Any], clocks: Any) -> int:
    stamps = stored_clocks.decode(table, clocks) if isinstance(clocks, str) else clocks
    types = schema.TABLES[table]
    names = sorted(n for n in stamps if n in types)
    if not names:
        return 0
    parts = [table, row_id]
    for name in names:
        parts += [name, ref_canonical_value(types[name], row.get(name))]
    return ref_h64("\x1f".join(parts).encode("utf-8"))


# -- generated rows ------------------------------------------------------------------------------

DEVICES = st.sampled_from(["", "server", "ef38baf9c05b4f5d88bac13bf0caa2ee", "dev-a", "dev_b"])
stamps = st.builds(
    hlc.encode,
    st.one_of(st.integers(0, 10**13 - 1), st.integers(1_790_000_000_000, 1_800_000_000_000)),
    st.integers(0, 9999),
    st.one_of(DEVICES, st.text("abcXYZ0189_-", max_size=64)),
)
texts = st.text(max_size=12)  # any unicode: Chinese, astral, controls, "\x1f"
numbers = st.one_of(
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False),
    st.decimals(allow_nan=False, allow_infinity=False, places=3),
    st.booleans(),
)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), texts),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(texts, inner, max_size=4)),
    max_leaves=10,
)
VALUES = {
    "text": st.one_of(texts, st.none(), st.integers()),
    "date": st.one_of(st.dates().map(str), st.none()),
    "time": st.one_of(st.sampled_from(["19:30", "08:00", ""]), st.none()),
    "int": st.one_of(numbers, st.none()),
    "real": st.one_of(numbers, st.none(), st.just(-0.0)),
    "opt_real": st.one_of(st.none(), st.floats(allow_nan=False), st.integers()),
    "bool": st.one_of(st.booleans(), st.sampled_from([0, 1, None])),
    "list": st.one_of(
        st.lists(texts, max_size=4),
        st.lists(json_values, max_size=3),
        st.lists(json_values, max_size=3).map(json.dumps),
        st.sampled_from(["", None, "[]"]),
    ),
    "json": st.one_of(
        st.dictionaries(texts, json_values, max_size=4),
        st.dictionaries(texts, json_values, max_size=4).map(json.dumps),
        st.sampled_from(["", None, "{}"]),
    ),
}
assert {k for f in schema.TABLES.values() for k in f.values()} <= set(VALUES)


@st.composite
def rows(draw: st.DrawFn) -> tuple[str, str, dict[str, Any], Any]:
    """``(table, id, values, clocks)``: clocks as a mapping (mostly one stamp, as a new row's),
    or stored (compact or legacy JSON); values for some of the stamped fields, of any kind."""
    table = draw(st.sampled_from(sorted(schema.TABLES)))
    types = schema.TABLES[table]
    names = draw(
        st.lists(
            st.one_of(
                st.sampled_from(stored_clocks.numbering(table)),
                st.from_regex(r"[A-Za-z0-9_]{1,12}", fullmatch=True),
            ),
            unique=True,
            max_size=len(types) + 2,
        )
    )
    shared = draw(st.lists(stamps, min_size=1, max_size=3))
    one = draw(st.booleans())
    clocks = {n: shared[0] if one else draw(st.sampled_from(shared)) for n in names}
    values = {n: draw(VALUES[types[n]]) for n in names if n in types and draw(st.booleans())}
    stored = draw(st.sampled_from(["map", "compact", "legacy"]))
    if stored == "compact":
        return table, draw(texts), values, stored_clocks.encode(table, clocks)
    if stored == "legacy":
        return table, draw(texts), values, json.dumps(clocks)
    return table, draw(st.one_of(st.uuids().map(str), texts)), values, clocks


@settings(max_examples=1000)
@given(rows())
@example(("activities", "r1", {"title": "讲座", "attendance": 12}, {"title": hlc.ZERO}))
@example(("activities", "r1", {}, {}))
def test_both_hashes_of_a_row_in_one_pass_are_the_definitions(row):
    table, row_id, values, clocks = row
    expected = (
        ref_row_hash(table, row_id, clocks),
        ref_values_hash(table, row_id, values, clocks),
    )
    assert digest.row_hashes(table, row_id, values, clocks) == expected
    assert digest.row_hash(table, row_id, clocks) == expected[0]
    assert digest.values_hash(table, row_id, values, clocks) == expected[1]


@given(st.sampled_from(sorted({k for f in schema.TABLES.values() for k in f.values()})), st.data())
def test_a_canonical_value_is_the_definitions(kind, data):
    value = data.draw(VALUES[kind])
    assert digest.canonical_value(kind, value) == ref_canonical_value(kind, value)


@given(stamps)
def test_a_canonical_stamp_is_the_definitions(stamp):
    assert digest.canonical_stamp(stamp) == ref_canonical_stamp(stamp)
    assert digest.canonical_stamp.__wrapped__(stamp) == ref_canonical_stamp(stamp)


@given(st.one_of(json_values, st.just(math.nan), st.just(-math.inf), st.just([math.inf, "甲"])))
def test_sorted_json_is_json_dumps_with_its_options(value):
    assert digest.sorted_json(value) == ref_json(value)


@given(json_values)
def test_sorted_json_without_the_c_encoder_is_the_same(value):
    """Where this Python's private C encoder is missing or differs, the plain one serves."""
    plain = digest._C_SORTED_JSON
    try:
        digest._C_SORTED_JSON = None
        assert digest.sorted_json(value) == ref_json(value)
    finally:
        digest._C_SORTED_JSON = plain
