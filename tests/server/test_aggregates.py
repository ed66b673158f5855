"""The pre-aggregated figures (sync/server/db/aggregates.py) equal the full recomputation by the
definitions, to the unit, after any sequence of pushes and server writes, on both engines; a
rebuild gives the same rows as the upkeep; the overview reads them."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pzh_core import hlc, indicators
from pzh_core.period import Period
from sync.server import admin, auth
from sync.server.db import aggregates, rollup
from sync.server.web import figures

NOW = dt.datetime(2026, 3, 15, 12, tzinfo=dt.timezone(dt.timedelta(hours=8)))
T0 = int(NOW.timestamp() * 1000)
DAYS = [
    "2025-01-31", "2025-02-01", "2025-06-15", "2025-12-31",
    "2026-01-01", "2026-03-10", "2026-03-15", "2026-03-20", "2026-04-02",
]  # fmt: skip
# Periods read: past year as of mid-year, month end, after it; this year to date, at a month's
# end; a year not begun (only the stock counts).
PERIODS = [
    Period(2025, None, dt.date(2025, 6, 15)),
    Period(2025, None, dt.date(2025, 1, 31)),
    Period(2025, None, dt.date(2026, 3, 15)),
    Period(2026, None, dt.date(2026, 3, 15)),
    Period(2026, None, dt.date(2026, 3, 31)),
    Period(2026, None, dt.date(2026, 12, 31)),
    Period(2027, None, dt.date(2026, 3, 15)),
]

day = st.sampled_from(DAYS)
gone = st.sampled_from([False, False, False, True])
ROWS = {
    "activities": ["a1", "a2", "a3"],
    "classes": ["c1", "c2"],
    "sessions": ["s1", "s2", "s3"],
    "people": ["p1", "p2"],
    "attendance": ["t1", "t2", "t3", "t4"],
    "volunteers": ["v1", "v2"],
    "service_records": ["r1", "r2", "r3"],
}


def fields_of(table: str):
    if table == "activities":
        return st.fixed_dictionaries(
            {
                "title": st.just("活动"),
                "date": day,
                "start_time": st.just("09:00"),
                "kind": st.sampled_from(["performance", "training", "lecture"]),
                "delivery": st.sampled_from(["station", "mobile"]),
                "attendance": st.integers(0, 300),
                "target_groups": st.lists(st.sampled_from(["elderly", "minors"]), max_size=2),
                "deleted": gone,
            }
        )
    if table == "classes":
        return st.fixed_dictionaries(
            {"name": st.just("舞蹈班"), "status": st.just("running"), "deleted": gone}
        )
    if table == "sessions":
        return st.fixed_dictionaries(
            {
                "class_id": st.sampled_from(["c1", "c1", "c2"]),
                "date": day,
                "start_time": st.just("19:00"),
                "cancelled": gone,
                "deleted": gone,
            }
        )
    if table == "people":
        return st.fixed_dictionaries({"name": st.sampled_from(["张三", "李四"]), "deleted": gone})
    if table == "attendance":
        return st.fixed_dictionaries(
            {
                "session_id": st.sampled_from(ROWS["sessions"]),
                "class_id": st.sampled_from(ROWS["classes"]),
                "person_id": st.sampled_from(ROWS["people"]),
                "mark": st.sampled_from(["present", "late", "absent", ""]),
                "deleted": gone,
            }
        )
    if table == "volunteers":
        return st.fixed_dictionaries(
            {
                "person_id": st.sampled_from(ROWS["people"]),
                "join_date": st.sampled_from(DAYS[:7]),
                "status": st.sampled_from(["active", "active", "paused"]),
                "deleted": gone,
            }
        )
    return st.fixed_dictionaries(
        {
            "volunteer_id": st.sampled_from(ROWS["volunteers"]),
            "date": day,
            "hours": st.sampled_from([0.5, 1.0, 2.5, 4.0]),
            "status": st.sampled_from(["verified", "verified", "recorded"]),
            "deleted": gone,
        }
    )


edit = st.sampled_from(sorted(ROWS)).flatmap(
    lambda t: st.tuples(
        st.just(t), st.integers(0, 1), st.sampled_from(ROWS[t]), fields_of(t)
    )  # table, station, row, fields
)


def _enroll(storage, station):
    code = admin.issue_code(storage, station).code
    return storage.enroll(
        code, token_hash=auth.hash_token(code), device_name="", app_version="", device_id=None
    )[0]


def county_differences(db, stations: list[str], period: Period) -> list[tuple]:
    """Where a county's sums added up in the database (``rollup.county_sums`` and the stations'
    lines, the province overview) differ from the full recomputation of its stations."""
    keys = [k for k in figures.OVERVIEW_KEYS if k in aggregates.DAILY]
    full = indicators.compute(db, stations, period, keys, by_station=True)
    got = rollup.county_sums(db, period, keys).get("东区", {})
    want = {k: sum(full[k].values()) for k in keys}
    out = [(k, got.get(k, 0), w) for k, w in want.items() if got.get(k, 0) != pytest.approx(w)]
    for line in rollup.station_lines(db, period):
        sid = line.id
        if line.id not in full["activities"]:
            continue
        seen = (line.activities, line.person_visits, line.population)
        wanted = (full["activities"][sid], full["person_visits"][sid], full["population"][sid])
        if seen != wanted:
            out.append((sid, seen, wanted))
    return out


def _figure_rows(storage) -> set:
    return {
        tuple(r.values())
        for r in storage.query("SELECT station_id, key, grain, span, value FROM srv_figures")
    }


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(edits=st.lists(edit, min_size=8, max_size=60), batch=st.integers(1, 8))
def test_aggregates_equal_the_full_recomputation_after_any_pushes(make_storage, edits, batch):
    storage = make_storage(now=lambda: T0)
    stations = [admin.create_station(storage, f"站{i}", "东区").id for i in range(2)]
    devices = [_enroll(storage, s) for s in stations]
    logs: list[list[dict]] = [[], []]
    for n, (table, s, row_id, fields) in enumerate(edits):
        seq = len(logs[s]) + 1
        logs[s].append(
            {
                "seq": seq,
                "t": table,
                "id": f"{stations[s][:8]}-{row_id}",
                "s": hlc.encode(T0 - 1000 + n, 0, devices[s].id),
                "f": {
                    k: (f"{stations[s][:8]}-{v}" if k.endswith("_id") else v)
                    for k, v in fields.items()
                },
            }
        )
    db = storage.indicator_db()

    def check() -> None:
        for period in PERIODS:
            assert aggregates.differences(db, stations, period) == [], period
            assert county_differences(db, stations, period) == [], period

    for i in range(0, max(len(log) for log in logs), batch):
        for s, log in enumerate(logs):  # the stations' batches in turn, checked after each
            if log[i : i + batch]:
                storage.push(devices[s], log[i : i + batch], client_time_ms=T0)
                check()
    # A server write (decision 2) keeps them in step too: it deletes a row it did not read.
    first = next((e for e in logs[0] if e["t"] in ("activities", "sessions")), None)
    if first is not None:
        storage.server_write(stations[0], first["t"], first["id"], {"deleted": True})
        check()
    kept = _figure_rows(storage)
    storage.engine.write(aggregates.rebuild)
    assert _figure_rows(storage) == kept  # the upkeep wrote exactly what a rebuild writes


def test_overview_reads_the_aggregates_and_rebuild_repairs_them(make_storage):
    storage = make_storage(now=lambda: T0)
    sid = admin.create_station(storage, "站", "东区").id
    dev = _enroll(storage, sid)
    storage.push(
        dev,
        [
            {
                "seq": 1,
                "t": "activities",
                "id": "a1",
                "s": hlc.encode(T0 - 10, 0, dev.id),
                "f": {
                    "title": "活动",
                    "date": "2026-03-01",
                    "kind": "lecture",
                    "delivery": "station",
                    "attendance": 40,
                    "target_groups": ["elderly"],
                },
            }  # fmt: skip
        ],
        client_time_ms=T0,
    )
    db = storage.indicator_db()
    period = Period(2026, None, dt.date(2026, 3, 15))
    values = figures.overview_values(db, [sid], period)
    assert values["activities"] == {sid: 1}
    assert values["person_visits"] == {sid: 40}
    assert values["special_group_visits"] == {sid: 40}
    # The overview reads srv_figures: spoil them, and the page is wrong until a rebuild.
    storage.engine.write(lambda c: c.execute("UPDATE srv_figures SET value = value + 1"))
    assert figures.overview_values(db, [sid], period)["activities"] == {sid: 2}
    assert aggregates.differences(db, [sid], period)
    storage.engine.write(aggregates.rebuild)
    assert figures.overview_values(db, [sid], period)["activities"] == {sid: 1}
    assert aggregates.differences(db, [sid], period) == []


def test_each_way_a_write_moves_a_figure_keeps_them_in_step(make_storage):
    """One change per push, each moving figures through another path: a mark alone (its
    session's year), a session moved to another year (the class's first session moves), a class
    deleted, a person deleted (their marks and their volunteer), a volunteer paused, a service
    moved to another year."""
    storage = make_storage(now=lambda: T0)
    sid = admin.create_station(storage, "站", "东区").id
    dev = _enroll(storage, sid)
    db = storage.indicator_db()
    steps = [
        ("classes", "c1", {"name": "舞蹈班", "status": "running"}),
        ("sessions", "s1", {"class_id": "c1", "date": "2025-12-20", "start_time": "19:00"}),
        ("sessions", "s2", {"class_id": "c1", "date": "2026-01-10", "start_time": "19:00"}),
        ("people", "p1", {"name": "张三"}),
        ("attendance", "t1", {"session_id": "s1", "class_id": "c1", "person_id": "p1",
                              "mark": "present"}),
        ("attendance", "t1", {"mark": "late"}),
        ("attendance", "t2", {"session_id": "s2", "class_id": "c1", "person_id": "p1",
                              "mark": "present"}),
        ("sessions", "s1", {"date": "2026-02-01"}),
        ("sessions", "s1", {"deleted": True}),
        ("volunteers", "v1", {"person_id": "p1", "join_date": "2025-05-01", "status": "active"}),
        ("service_records", "r1", {"volunteer_id": "v1", "date": "2025-06-01", "hours": 2.5,
                                   "status": "verified"}),
        ("service_records", "r1", {"date": "2026-03-01"}),
        ("volunteers", "v1", {"status": "paused"}),
        ("volunteers", "v1", {"status": "active"}),
        ("people", "p1", {"deleted": True}),
        ("people", "p1", {"deleted": False}),
        ("classes", "c1", {"deleted": True}),
        ("annual_facts", "f1", {"year": 2025, "population": 12000}),
        ("annual_facts", "f1", {"population": 13000}),
        ("annual_facts", "f1", {"year": 2026}),
    ]  # fmt: skip
    for seq, (table, row_id, fields) in enumerate(steps, 1):
        change = {"seq": seq, "t": table, "id": row_id, "s": hlc.encode(T0 - 100 + seq, 0, dev.id)}
        result = storage.push(dev, [{**change, "f": fields}], client_time_ms=T0)
        assert result.applied == 1 and not result.set_aside, (table, result.set_aside)
        for period in PERIODS:
            assert aggregates.differences(db, [sid], period) == [], (table, row_id, period)
    # The figures were not all zero on the way: the checks compared something.
    values = figures.overview_values(db, [sid], PERIODS[3])
    assert values["volunteers_active"] == {sid: 1} and values["population"] == {sid: 13000}


def test_rebuild_figures_command_repairs_and_verifies(tmp_path, capsys):
    from sync.server import cli
    from sync.server.app import database_of
    from sync.server.sql_storage import open_storage

    storage = open_storage(database_of(tmp_path, None))
    try:
        sid = admin.create_station(storage, "站", "东区").id
        dev = _enroll(storage, sid)
        fields = {"title": "活动", "date": "2025-05-01", "kind": "lecture", "attendance": 7}
        change = {"seq": 1, "t": "activities", "id": "a1", "s": hlc.encode(T0, 0, dev.id)}
        storage.push(dev, [{**change, "f": fields}], client_time_ms=None)
        storage.engine.write(lambda c: c.execute("DELETE FROM srv_figures"))
        period = Period(2025, None, dt.date(2025, 12, 31))
        assert figures.overview_values(storage.indicator_db(), [sid], period)["activities"] == {
            sid: 0
        }
    finally:
        storage.close()
    assert cli.main(["admin", "rebuild-figures", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "2025年：与逐条重算一致" in out, out
    storage = open_storage(database_of(tmp_path, None))
    try:
        values = figures.overview_values(storage.indicator_db(), [sid], period)
        assert values["activities"] == {sid: 1} and values["person_visits"] == {sid: 7}
    finally:
        storage.close()


def test_figures_read_the_replica_and_nothing_else_does(database, empty_database, tmp_path):
    """With ``read_database`` the web pages' figures read the replica (here a copy that lags
    behind); everything else — devices, stations, the rows approvals would read — the primary."""
    from sync.server.db import open_engine
    from sync.server.db.copy import copy_database
    from sync.server.sql_storage import open_storage

    primary = database or tmp_path / "primary.sqlite3"
    storage = open_storage(primary, now=lambda: T0)
    sid = admin.create_station(storage, "站", "东区").id
    dev = _enroll(storage, sid)
    fields = {"title": "活动", "date": "2026-03-01", "kind": "lecture", "attendance": 7}
    change = {"seq": 1, "t": "activities", "id": "a1", "s": hlc.encode(T0 - 5, 0, dev.id)}
    storage.push(dev, [{**change, "f": fields}], client_time_ms=None)
    replica = open_engine(empty_database)
    copy_database(storage.engine, replica)  # the replica as of now
    replica.close()
    storage.close()
    storage = open_storage(primary, now=lambda: T0, read_database=empty_database)
    try:
        change = {**change, "seq": 2, "id": "a2", "s": hlc.encode(T0 - 4, 0, dev.id)}
        assert storage.push(dev, [{**change, "f": fields}], client_time_ms=None).applied == 1
        period = Period(2026, None, dt.date(2026, 3, 15))
        values = figures.overview_values(storage.indicator_db(), [sid], period)
        assert values["activities"] == {sid: 1}  # the replica, one push behind
        assert len(storage.query("SELECT id FROM activities")) == 2  # the primary
        assert storage.get_device(dev.id).applied_seq == 2
    finally:
        storage.close()


def test_postgres_vacuums_the_figures_after_a_few_thousand_changes(engine, make_storage):
    """Every push updates its station's year rows, and the overview's index-only scans read the
    table for each row until a vacuum marks its page all-visible: ``srv_figures`` is vacuumed
    after a few thousand changed rows (migration 16), not after a fifth of the table."""
    from sync.server.db.migrations import FIGURES_VACUUM_ROWS

    if engine != "postgres":
        pytest.skip("SQLite has no autovacuum to set")
    storage = make_storage(now=lambda: T0)
    options = storage.engine.scalar("SELECT reloptions FROM pg_class WHERE relname = 'srv_figures'")
    assert sorted(options) == sorted(
        [
            "autovacuum_vacuum_scale_factor=0",
            f"autovacuum_vacuum_threshold={FIGURES_VACUUM_ROWS}",
            "autovacuum_vacuum_insert_scale_factor=0",
            f"autovacuum_vacuum_insert_threshold={FIGURES_VACUUM_ROWS}",
        ]
    )
