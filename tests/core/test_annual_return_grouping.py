"""The annual return's classes grouped by station in one pass equal the definition (for each
station, the classes whose ``station_id`` is it, in their order) over many inputs."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pzh_core.annual_return import by_station

STATIONS = st.sampled_from(["a", "b", "c", "d"])


@given(
    rows=st.lists(st.builds(lambda s, n: {"station_id": s, "id": n}, STATIONS, st.integers())),
    ids=st.lists(STATIONS, unique=True),
)
def test_by_station_equals_the_definition(rows: list[dict], ids: list[str]) -> None:
    want = {s: [r for r in rows if r["station_id"] == s] for s in ids}
    got = by_station(rows, ids)
    assert got == want and list(got) == ids
