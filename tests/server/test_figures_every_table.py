"""The figures of every table kept by the pushes without recomputing the months they touch
(:func:`sync.server.db.aggregates.after_write`): the days of sessions, marks and services
recomputed and their difference added, rows that change nothing a figure reads passed over,
the rest recomputed for what it touches — and the figures always those of the full
recomputation by the definitions, to the unit. A Hypothesis sequence of new rows, edits,
deletes and moves between months and years of sessions, classes, marks, enrolments, people,
volunteers, service records and activities, in batches of any size, on both engines
(PostgreSQL with ``--full``)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pzh_core.indicators.daily import DAILY, READS
from sync.server import admin
from sync.server.db import aggregates, figure_spans
from tests.server.test_aggregates import _figure_rows
from tests.server.test_figures_added import DAYS, T0, Desk, _assert_exact, activity

PLAIN = {
    "sessions": "notes",
    "classes": "teacher",
    "people": "village",
    "attendance": "marked_by",
    "enrollments": "enrolled_on",
    "volunteers": "team",
    "service_records": "description",
    "activities": "title",
}
MARKS = ["present", "late", "absent", "excused", ""]
HOURS = [0.5, 1.0, 2.5, 3.5]
DATES = [*DAYS, ""]  # a join date may be left empty


def _opt(**fields: Any) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional=fields)


# (table, row number, the fields a step writes); a row's first write adds what it must have.
SESSION, CLASS, PERSON, MARK, ENROLMENT, VOLUNTEER, SERVICE, ACTIVITY = (
    st.tuples(
        st.just("sessions"),
        st.integers(0, 3),
        _opt(
            class_id=st.sampled_from(["c0", "c1"]),
            date=st.sampled_from(DAYS),
            cancelled=st.booleans(),
            deleted=st.booleans(),
            notes=st.just("改"),
        ),
    ),
    st.tuples(st.just("classes"), st.integers(0, 1), _opt(deleted=st.booleans())),
    st.tuples(st.just("people"), st.integers(0, 2), _opt(deleted=st.booleans())),
    st.tuples(
        st.just("attendance"),
        st.integers(0, 11),  # session (0–3) × person (0–2)
        _opt(mark=st.sampled_from(MARKS), deleted=st.booleans(), marked_by=st.just("甲")),
    ),
    st.tuples(
        st.just("enrollments"),
        st.integers(0, 5),  # class (0–1) × person (0–2)
        _opt(active=st.booleans(), deleted=st.booleans()),
    ),
    st.tuples(
        st.just("volunteers"),
        st.integers(0, 2),
        _opt(
            person_id=st.sampled_from(["p0", "p1", "p2", "p9"]),  # p9: not (yet) a person
            join_date=st.sampled_from(DATES),
            status=st.sampled_from(["active", "paused", "left"]),
            deleted=st.booleans(),
            team=st.just("队"),
        ),
    ),
    st.tuples(
        st.just("service_records"),
        st.integers(0, 5),
        _opt(
            volunteer_id=st.sampled_from(["v0", "v1", "v2"]),
            date=st.sampled_from(DAYS),
            hours=st.sampled_from(HOURS),
            status=st.sampled_from(["verified", "recorded", "rejected"]),
            deleted=st.booleans(),
            description=st.just("演出"),
        ),
    ),
    st.tuples(
        st.just("activities"),
        st.integers(0, 3),
        _opt(date=st.sampled_from(DAYS), attendance=st.integers(0, 50), deleted=st.booleans()),
    ),
)
# Drawn as a busy station writes: mostly marks, then services and sessions.
OPS = st.one_of(MARK, MARK, MARK, SERVICE, SERVICE, SESSION, SESSION, CLASS, PERSON, ENROLMENT,
                VOLUNTEER, ACTIVITY)  # fmt: skip


def _first(table: str, n: int) -> tuple[str, dict[str, Any]]:
    """A row's id and the fields of its first write."""
    if table == "sessions":
        return f"x{n}", {"class_id": f"c{n % 2}", "date": DAYS[n * 2], "start_time": "19:00"}
    if table == "classes":
        return f"c{n}", {"name": "舞蹈班", "status": "running"}
    if table == "people":
        return f"p{n}", {"name": "张三"}
    if table == "attendance":
        s, p = divmod(n, 3)
        fields = {"session_id": f"x{s}", "class_id": f"c{s % 2}", "person_id": f"p{p}"}
        return f"t{n}", {**fields, "mark": "present"}
    if table == "enrollments":
        c, p = divmod(n, 3)
        return f"e{n}", {"class_id": f"c{c}", "person_id": f"p{p}", "active": True}
    if table == "volunteers":
        return f"v{n}", {"person_id": f"p{n}", "join_date": DAYS[n * 4], "status": "active"}
    if table == "service_records":
        fields = {"volunteer_id": f"v{n % 3}", "date": DAYS[n * 2], "hours": 2.0}
        return f"r{n}", {**fields, "status": "verified"}
    return f"a{n}", activity(DAYS[n * 3])


def test_every_table_s_figures_are_kept_by_day_or_by_span():
    """Every flow whose day is its records' own (activities, sessions held, trainee-visits,
    verified hours) or a class's first held session is kept by day; the first service of a
    volunteer's year, the stock and the population by span; each table lists the columns its
    figures read (a change elsewhere moves nothing)."""
    by_day = {k for k, d in DAILY.items() if d.on_days}
    assert by_day == set(figure_spans.ADDED) | {
        "training_sessions",
        "trainee_visits",
        "volunteer_hours_verified",
    }
    assert figure_spans.STARTS == ["training_classes"]
    assert figure_spans.BY_DAY_OF["attendance"] == ["trainee_visits"]  # no class's start
    assert {t for t, keys in figure_spans.SPANNED_OF.items() if keys} == {
        "service_records",
        "volunteers",
        "people",
        "annual_facts",
    }
    read = {t for d in DAILY.values() for t in d.tables}
    assert set(READS) == read - {"activities", "annual_facts"}


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    steps=st.lists(st.tuples(st.integers(0, 1), OPS), min_size=20, max_size=70),
    batch=st.integers(1, 10),
)
def test_any_sequence_of_every_table_keeps_the_figures_exact(make_storage, steps, batch):
    storage = make_storage(now=lambda: T0)
    stations = [admin.create_station(storage, f"站{i}", "东区").id for i in range(2)]
    desks = [Desk(storage, s) for s in stations]
    made: list[set[tuple[str, str]]] = [set(), set()]
    pending: list[list[dict[str, Any]]] = [[], []]
    applied = 0
    # A world to change: two classes, four sessions, three people, three volunteers.
    seed = [("classes", n) for n in range(2)] + [("sessions", n) for n in range(4)]
    seed += [("people", n) for n in range(3)] + [("volunteers", n) for n in range(3)]
    steps = [(s, (table, n, {})) for s in (0, 1) for table, n in seed] + steps

    def flush(s: int) -> None:
        nonlocal applied
        if pending[s]:
            result = desks[s].push(pending[s])
            applied += result.applied
            pending[s] = []
            _assert_exact(storage, stations)

    for s, (table, n, fields) in steps:
        row_id, first = _first(table, n)
        if (table, row_id) not in made[s]:
            made[s].add((table, row_id))
            fields = {**first, **fields}
        # each station's rows have their own ids (the same names, prefixed)
        fields = {k: (f"s{s}-{v}" if k.endswith("_id") and v else v) for k, v in fields.items()}
        fields = fields or {PLAIN[table]: "改"}  # a column no figure reads
        pending[s].append(desks[s].change(table, f"s{s}-{row_id}", fields))
        if len(pending[s]) >= batch:
            flush(s)
    flush(0)
    flush(1)
    assert applied  # something was written
    kept = _figure_rows(storage)
    storage.engine.write(aggregates.rebuild)
    assert _figure_rows(storage) == kept  # the upkeep wrote exactly what a rebuild writes
