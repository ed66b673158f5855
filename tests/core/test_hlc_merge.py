"""The hybrid clock and the merge rule shared by client and server."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from pzh_core.hlc import HybridClock, is_stamp, parse
from pzh_core.merge import merge


def test_clock_is_monotonic_when_wall_clock_goes_back():
    wall = iter([5_000, 5_000, 1_000, 9_000])
    clock = HybridClock("dev-a", wall=lambda: next(wall))
    stamps = [clock.now() for _ in range(4)]
    assert stamps == sorted(stamps) and len(set(stamps)) == 4
    assert parse(stamps[2]).ms == 5_000 and parse(stamps[2]).counter == 2


def test_observe_moves_past_remote_and_offset_corrects_wrong_pc_clock():
    year_2009 = 1_230_000_000_000
    true_now = 1_790_000_000_000
    clock = HybridClock("dev-a", wall=lambda: year_2009)
    clock.offset_ms = true_now - year_2009  # learned from the server's time
    assert abs(parse(clock.now()).ms - true_now) < 10
    clock.observe(f"{true_now + 5000:013d}.0003.dev-b")
    assert clock.now() > f"{true_now + 5000:013d}.0003.dev-b"


def test_stamp_validation():
    assert is_stamp("1700000000000.0000.abc")
    assert not is_stamp("1700000000000.0000")
    assert not is_stamp("17.0000.abc")
    assert not is_stamp(12)


def test_ties_broken_by_device_id():
    a, b = "1700000000000.0000.aaa", "1700000000000.0000.bbb"
    won, clocks = merge({"title": a}, {"title": "B"}, b)
    assert won == {"title": "B"}
    won, _ = merge({"title": b}, {"title": "A"}, a)
    assert won == {}


changes = st.lists(
    st.tuples(
        st.dictionaries(
            st.sampled_from(["title", "place", "deleted"]), st.integers(0, 9), min_size=1
        ),
        st.integers(0, 50),
        st.sampled_from(["dev-a", "dev-b", "dev-c"]),
    ),
    min_size=1,
    max_size=6,
    unique_by=lambda c: (c[1], c[2]),
)


@given(changes)
def test_merge_converges_whatever_the_order(chs):
    def replay(order):
        values, clocks = {}, {}
        for fields, ms, dev in order:
            stamp = f"{ms:013d}.0000.{dev}"
            won, clocks = merge(clocks, fields, stamp)
            values.update(won)
            # applying the same change again changes nothing
            again, clocks2 = merge(clocks, fields, stamp)
            assert again == {} and clocks2 == clocks
        return values, clocks

    results = {
        repr(tuple(sorted(d.items()) for d in replay(p)))
        for p in itertools.islice(itertools.permutations(chs), 24)
    }
    assert len(results) == 1


def test_stamps_accept_ascii_digits_only():
    """Issue 12, situation 6: full-width (or any non-ASCII) digits are not a stamp, so such a
    stamp cannot pass the server's clamp and then sort above every real one."""
    now = "1790000000000.0000.dev-a"
    full_width = now[:13].translate(str.maketrans("0123456789", "０１２３４５６７８９")) + now[13:]
    arabic_indic = "١٧٩٠٠٠٠٠٠٠٠٠٠.0000.dev-a"
    for bad in (full_width, arabic_indic, "1790000000000.０００1.dev-a", "1790000000000.0000.设备"):
        assert not is_stamp(bad), bad
        try:
            parse(bad)
        except ValueError:
            pass
        else:
            raise AssertionError(f"parsed {bad!r}")
    assert full_width > now  # what it would have done: sort above every ASCII stamp
    assert is_stamp(now) and is_stamp("0000000000000.0000.")
