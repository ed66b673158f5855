"""New activities ADD their day sums to the pre-aggregated figures
(:func:`sync.server.db.figure_spans.added`) instead of recomputing their month; edits, deletes
and the other tables are recomputed (their days, since session 7:
``test_figures_every_table.py``). The figures stay those of the full recomputation by the
definitions, to the unit, through any mix of new rows (several days, months, years, two
stations), edits (a date moved to another month or year), deletes, re-inserts and writes to the
tables whose figures depend on other rows — on both engines (PostgreSQL with ``--full``)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pzh_core import hlc
from pzh_core.period import Period
from sync.server import admin
from sync.server.db import aggregates, figure_spans
from tests.server.test_aggregates import _enroll, _figure_rows

NOW = dt.datetime(2026, 3, 15, 12, tzinfo=dt.timezone(dt.timedelta(hours=8)))
T0 = int(NOW.timestamp() * 1000)
DAYS = [
    "2024-12-31", "2025-01-01", "2025-01-31", "2025-02-01", "2025-02-28", "2025-07-15",
    "2025-12-31", "2026-01-01", "2026-03-01", "2026-03-14", "2026-03-15", "2026-03-16",
]  # fmt: skip
# Read as of a year's end, a month's end, the day before and of a day with records.
PERIODS = [
    Period(2024, None, dt.date(2024, 12, 31)),
    Period(2025, None, dt.date(2025, 1, 31)),
    Period(2025, None, dt.date(2025, 2, 27)),
    Period(2025, None, dt.date(2025, 12, 31)),
    Period(2026, None, dt.date(2026, 3, 14)),
    Period(2026, None, dt.date(2026, 3, 16)),
]
KINDS = ["performance", "training", "lecture", "exhibition"]
GROUPS = ["elderly", "minors", "ethnic", "general"]


def activity(
    date: str, kind: str = "lecture", attendance: int = 10, groups: tuple[str, ...] = ()
) -> dict[str, Any]:
    return {
        "title": "活动",
        "date": date,
        "start_time": "09:00",
        "kind": kind,
        "delivery": "station",
        "attendance": attendance,
        "target_groups": list(groups),
    }


class Desk:
    """One station's device: numbered changes with rising stamps."""

    stamps = itertools.count()

    def __init__(self, storage, station: str) -> None:
        self.storage, self.station, self.dev = storage, station, _enroll(storage, station)
        self.seq = 0

    def change(self, table: str, row_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        self.seq += 1
        stamp = hlc.encode(T0 - 100_000 + next(self.stamps), 0, self.dev.id)
        return {"seq": self.seq, "t": table, "id": row_id, "s": stamp, "f": fields}

    def push(self, changes: list[dict[str, Any]]):
        return self.storage.push(self.dev, changes, client_time_ms=T0)


def _assert_exact(storage, stations: list[str]) -> None:
    db = storage.indicator_db()
    for period in PERIODS:
        assert aggregates.differences(db, stations, period) == [], period


def test_activities_are_the_table_whose_new_rows_add():
    """Every figure an activity moves is a sum of activities counted each by its own columns
    (the four activity figures and the one-off 培训 of 举办训练班班次), whole numbers, no stock."""
    assert figure_spans.ADDS_NEW == {"activities"}
    assert set(figure_spans.ADDED) == {
        "activities",
        "person_visits",
        "special_group_activities",
        "special_group_visits",
        "training_classes",
    }


def test_new_activities_are_added_not_recomputed(make_storage):
    """A new activity adds to its day, month and year rows and leaves the month's other days
    as they are (spoiled here: a recomputation would repair it); an edit recomputes its day."""
    storage = make_storage(now=lambda: T0)
    sid = admin.create_station(storage, "站", "东区").id
    desk = Desk(storage, sid)
    first = [desk.change("activities", "a1", activity("2026-03-01", attendance=7))]
    assert desk.push(first).applied == 1
    spoil = "UPDATE srv_figures SET value = 70 WHERE key = 'person_visits' AND span = '2026-03-01'"
    storage.engine.write(lambda c: c.execute(spoil))
    second = desk.change("activities", "a2", activity("2026-03-10", attendance=5))
    assert desk.push([second]).applied == 1
    rows = {(r[1], r[2], r[3]): r[4] for r in _figure_rows(storage) if r[1] == "person_visits"}
    assert rows[("person_visits", "d", "2026-03-01")] == 70  # not recomputed
    assert rows[("person_visits", "d", "2026-03-10")] == 5
    assert rows[("person_visits", "m", "2026-03")] == 12  # 7 + 5: added to what was there
    assert rows[("person_visits", "y", "2026")] == 12
    # An edit of an existing activity recomputes its own day alone and adds the difference
    # (session 7): the spoiled day stays until a rebuild.
    assert desk.push([desk.change("activities", "a2", {"attendance": 6})]).applied == 1
    rows = {(r[1], r[2], r[3]): r[4] for r in _figure_rows(storage) if r[1] == "person_visits"}
    assert rows[("person_visits", "d", "2026-03-01")] == 70
    assert rows[("person_visits", "d", "2026-03-10")] == 6
    assert rows[("person_visits", "m", "2026-03")] == rows[("person_visits", "y", "2026")] == 13
    storage.engine.write(aggregates.rebuild)
    _assert_exact(storage, [sid])
    rows = {(r[1], r[2], r[3]): r[4] for r in _figure_rows(storage) if r[1] == "person_visits"}
    assert rows[("person_visits", "d", "2026-03-01")] == 7


def test_new_activities_of_many_days_months_years_and_stations(make_storage):
    """Batches of new activities over days, months and years, the two stations in turn, with
    counts, attendance, special groups, one-off 培训, rows deleted on arrival, and in the same
    batches marks, sessions and services (whose months are recomputed, hours in halves)."""
    storage = make_storage(now=lambda: T0)
    stations = [admin.create_station(storage, f"站{i}", "东区").id for i in range(2)]
    desks = [Desk(storage, s) for s in stations]
    n = 0
    for batch in range(6):
        for s, desk in enumerate(desks):
            changes = []
            for _ in range(25):
                n += 1
                fields = activity(
                    DAYS[(n * 7 + batch) % len(DAYS)],
                    KINDS[n % len(KINDS)],
                    (n * 37) % 300,
                    tuple(GROUPS[j] for j in range(len(GROUPS)) if (n >> j) & 1),
                )
                if n % 11 == 0:
                    fields["deleted"] = True
                changes.append(desk.change("activities", f"s{s}-a{n}", fields))
            if batch == 1:  # a class whose first session is in the batch's months
                changes.append(desk.change("classes", f"s{s}-c1", {"name": "舞蹈班"}))
                changes.append(
                    desk.change(
                        "sessions",
                        f"s{s}-x1",
                        {"class_id": f"s{s}-c1", "date": DAYS[batch], "start_time": "19:00"},
                    )
                )
            if batch >= 2:  # a volunteer's services: hours are floats, recomputed
                if batch == 2:
                    changes.append(desk.change("people", f"s{s}-p1", {"name": "张三"}))
                    fields = {"person_id": f"s{s}-p1", "join_date": "2025-01-01"}
                    changes.append(desk.change("volunteers", f"s{s}-v1", fields))
                fields = {
                    "volunteer_id": f"s{s}-v1",
                    "date": DAYS[batch * 2],
                    "hours": 0.1 * batch + 0.25,
                    "status": "verified",
                }
                changes.append(desk.change("service_records", f"s{s}-r{batch}", fields))
            result = desk.push(changes)
            assert not result.set_aside, result.set_aside
            _assert_exact(storage, stations)
    kept = _figure_rows(storage)
    assert {r[1] for r in kept} >= set(figure_spans.ADDED) | {"volunteer_hours_verified"}
    storage.engine.write(aggregates.rebuild)
    assert _figure_rows(storage) == kept  # the additions wrote exactly what a rebuild writes


# One step of a station's history: a new activity, an edit (a date moved, other columns), a
# delete, a re-insert (undeleted), or a write to a table whose figures depend on other rows.
new_op = st.tuples(
    st.just("new"),
    st.sampled_from(DAYS),
    st.sampled_from(KINDS),
    st.integers(0, 400),
    st.lists(st.sampled_from(GROUPS), max_size=2, unique=True),
)
edit_op = st.tuples(
    st.just("edit"),
    st.integers(0, 50),
    st.fixed_dictionaries(
        {},
        optional={
            "date": st.sampled_from(DAYS),
            "kind": st.sampled_from(KINDS),
            "attendance": st.integers(0, 400),
            "target_groups": st.lists(st.sampled_from(GROUPS), max_size=2, unique=True),
        },
    ),
)
gone_op = st.tuples(st.sampled_from(["delete", "restore"]), st.integers(0, 50))
other_op = st.tuples(
    st.sampled_from(["session", "person", "class"]), st.sampled_from(DAYS), st.booleans()
)
step = st.tuples(st.integers(0, 1), st.one_of(new_op, new_op, edit_op, gone_op, other_op))


def _change(desk: Desk, made: list[str], s: int, op: tuple) -> dict[str, Any] | None:
    """The change of one step, or None (an edit before any activity)."""
    kind = op[0]
    if kind == "new":
        made.append(f"s{s}-a{len(made)}")
        return desk.change("activities", made[-1], activity(op[1], op[2], op[3], tuple(op[4])))
    if kind in ("edit", "delete", "restore"):
        if not made:
            return None
        fields = op[2] if kind == "edit" else {"deleted": kind == "delete"}
        return desk.change("activities", made[op[1] % len(made)], fields or {"title": "改"})
    if kind == "session":  # the class's first held session moves (training_classes)
        fields = {"class_id": f"s{s}-c1", "date": op[1], "start_time": "19:00", "cancelled": op[2]}
        return desk.change("sessions", f"s{s}-x{op[2]:d}", fields)
    if kind == "person":  # every year of the training figures recomputed
        return desk.change("people", f"s{s}-p1", {"name": "李四", "deleted": op[2]})
    return desk.change("classes", f"s{s}-c1", {"name": "舞蹈班", "deleted": op[2]})


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(steps=st.lists(step, min_size=25, max_size=80), batch=st.integers(1, 8))
def test_any_sequence_of_inserts_edits_deletes_keeps_the_figures_exact(make_storage, steps, batch):
    storage = make_storage(now=lambda: T0)
    stations = [admin.create_station(storage, f"站{i}", "东区").id for i in range(2)]
    desks = [Desk(storage, s) for s in stations]
    made: list[list[str]] = [[], []]
    pending: list[list[dict[str, Any]]] = [[], []]

    def flush(s: int) -> None:
        if pending[s]:
            desks[s].push(pending[s])
            pending[s] = []
            _assert_exact(storage, stations)

    for s, op in steps:
        change = _change(desks[s], made[s], s, op)
        if change is not None:
            pending[s].append(change)
        if len(pending[s]) >= batch:
            flush(s)
    flush(0)
    flush(1)
    kept = _figure_rows(storage)
    storage.engine.write(aggregates.rebuild)
    assert _figure_rows(storage) == kept  # the upkeep wrote exactly what a rebuild writes
