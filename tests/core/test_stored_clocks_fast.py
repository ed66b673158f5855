"""The stored clocks' fast paths (issue 16: the server stores the clocks of every row it writes)
give the text of the definition: a row's fields written at one stamp take a cached mask and no
grouping, base 36 goes two digits at a time. Each is compared, over many generated rows, with the
definition as it was written before them (kept here as the reference)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pzh_core import digest, hlc, merge, stored_clocks
from tests.core.test_digest_fast import ref_row_hash, ref_values_hash, rows, stamps
from tests.core.test_stored_clocks import rows as any_rows
from tests.core.test_stored_clocks import tables

# -- the reference ------------------------------------------------------------------------------


def ref_b36(n: int) -> str:
    if n < 0:
        raise ValueError("negative")
    digits = []
    while True:
        n, r = divmod(n, 36)
        digits.append("0123456789abcdefghijklmnopqrstuvwxyz"[r])
        if not n:
            return "".join(reversed(digits))


def ref_encode(table: str, clocks: Mapping[str, str]) -> str:
    if not clocks:
        return "{}"
    numbers = {f: i for i, f in enumerate(stored_clocks.numbering(table))}
    groups: dict[str, list[Any]] = {}
    for name, stamp in clocks.items():
        group = groups.setdefault(stamp, [0, []])
        if name in numbers:
            group[0] |= 1 << numbers[name]
        elif stored_clocks._NAME.fullmatch(name):
            group[1].append(name)
        else:
            raise ValueError(f"not a field name: {name!r}")
    devices: list[str] = []
    parts = ["1", ""]
    for stamp in sorted(groups, reverse=True) if len(groups) > 1 else groups:
        ms, counter, device = hlc.split(stamp)
        if device not in devices:
            devices.append(device)
        mask, named = groups[stamp]
        at = devices.index(device)
        head = ref_b36((ms << 16) | counter) + (f".{ref_b36(at)}" if at else "")
        parts.append(head + "=" + ref_b36(mask) + "".join("+" + n for n in sorted(named)))
    parts[1] = ",".join(devices)
    return ";".join(parts)


def ref_row_columns(table: str, clocks: Mapping[str, str]) -> dict[str, str]:
    top = merge.row_stamp(clocks)
    return {
        "updated_at": top,
        "device_id": top.split(".", 2)[2] if top else "",
        "clocks": ref_encode(table, clocks),
    }


@st.composite
def one_stamp_rows(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    """A row whose fields were written at once (a new row): one stamp on every field."""
    table = draw(tables)
    names = st.one_of(
        st.sampled_from(stored_clocks.numbering(table) or ("title",)),
        st.from_regex(r"[A-Za-z0-9_]{1,20}", fullmatch=True),
    )
    return table, dict.fromkeys(draw(st.lists(names, max_size=40)), draw(stamps))


@settings(max_examples=500)
@given(st.one_of(one_stamp_rows(), any_rows()))
@example(("activities", {}))
@example(("activities", {"title": hlc.ZERO, "date": hlc.ZERO}))
def test_a_rows_stored_clock_and_meta_are_the_definitions(row):
    table, clocks = row
    expected = ref_row_columns(table, clocks)
    assert stored_clocks.encode(table, clocks) == expected["clocks"]
    assert stored_clocks.row_columns(table, clocks) == expected
    assert stored_clocks.row_meta(table, clocks) == tuple(expected.values())
    assert stored_clocks.decode(table, expected["clocks"]) == clocks


@given(
    st.one_of(
        st.integers(0, 36**5),
        st.integers(0, 2**80),
        st.builds(lambda ms, c: (ms << 16) | c, st.integers(0, 10**13 - 1), st.integers(0, 9999)),
    )
)
def test_base_36_is_the_definitions(n):
    assert stored_clocks._b36(n) == ref_b36(n)
    assert stored_clocks._b36_high(n) == ref_b36(n)


@pytest.mark.parametrize(
    "clocks",
    [
        {"title": "17.0.x"},
        {"ti tle": f"1796658085489.0001.{'a' * 32}"},
        {"title": "1796658085489.0001.x", "ti tle": "17.0.x"},  # the name is refused first
        {"ti tle": "1796658085489.0001.x", "date": "1796658085489.0002.x"},
    ],
)
def test_malformed_stamps_and_names_are_refused_with_the_definitions_message(clocks):
    with pytest.raises(ValueError) as expected:
        ref_encode("activities", clocks)
    for fn in (stored_clocks.encode, stored_clocks.row_meta, stored_clocks.row_columns):
        with pytest.raises(ValueError) as got:
            fn("activities", clocks)
        assert str(got.value) == str(expected.value)
    with pytest.raises(ValueError):
        stored_clocks._b36(-1)


@settings(max_examples=500)
@given(rows())
def test_a_written_rows_hashes_and_meta_together_are_the_definitions(row):
    table, row_id, values, clocks = row
    clocks = stored_clocks.decode(table, clocks) if isinstance(clocks, str) else clocks
    assert digest.written_row(table, row_id, values, clocks) == (
        ref_row_hash(table, row_id, clocks),
        ref_values_hash(table, row_id, values, clocks),
        tuple(ref_row_columns(table, clocks).values()),
    )


@pytest.mark.parametrize(
    "stamp", ["17.0.x", "１７９６６５８０８５４８９.0001.x", f"{'1' * 13}.0001.a b"]
)
def test_a_written_row_with_a_malformed_stamp_is_refused_as_the_definition_does(stamp):
    with pytest.raises(ValueError) as expected:
        hlc.split(stamp)
    with pytest.raises(ValueError) as got:
        digest.written_row("activities", "r1", {"title": "讲座"}, {"title": stamp, "date": stamp})
    assert str(got.value) == str(expected.value)
