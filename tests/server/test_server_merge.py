"""The server's replica tables follow the shared merge rule whatever the order and batching of
pushes, and its feed lets a new device rebuild exactly the same rows."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pzh_core import hlc, merge, stored_clocks
from sync.server import admin, auth
from sync.server.sql_storage import SqlStorage

T0 = 1_790_000_000_000
ROWS = ["r1", "r2", "r3"]
FIELDS = {
    "title": st.sampled_from(["甲", "乙", "丙"]),
    "attendance": st.integers(0, 500),
    "target_groups": st.lists(st.sampled_from(["elderly", "minors"]), max_size=2),
    "deleted": st.booleans(),
}

edit = st.tuples(
    st.integers(0, 2),  # device
    st.sampled_from(ROWS),
    st.integers(0, 50),  # ms after T0 (collisions on purpose: ties break by device)
    st.fixed_dictionaries({}, optional=FIELDS).filter(bool),
)


def reference(changes: list[tuple[str, str, dict]]) -> dict[str, dict]:
    """Fold the merge rule over changes: ``row -> {field: value}`` plus clocks."""
    rows: dict[str, tuple[dict, dict]] = {}
    for row_id, stamp, fields in changes:
        values, clocks = rows.get(row_id, ({}, {}))
        won, clocks = merge.merge(clocks, fields, stamp)
        rows[row_id] = ({**values, **won}, clocks)
    return {r: {**v, "_clocks": c} for r, (v, c) in rows.items()}


def replica(storage: SqlStorage) -> dict[str, dict]:
    out = {}
    for row in storage.query("SELECT * FROM activities"):
        clocks = stored_clocks.decode("activities", row["clocks"])
        values = {}
        for name in clocks:
            v = row[name]
            values[name] = (
                json.loads(v) if name == "target_groups" else bool(v) if name == "deleted" else v
            )
        out[row["id"]] = {**values, "_clocks": clocks}
    return out


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(edits=st.lists(edit, min_size=1, max_size=30), batch=st.integers(1, 7), order=st.randoms())
def test_replica_equals_the_merge_rule_in_any_order(make_storage, edits, batch, order):
    if True:  # one fresh storage per example, on the test's engine
        storage = make_storage(now=lambda: T0)
        try:
            station = admin.create_station(storage, "站", "东区").id
            devices = []
            for _ in range(3):
                code = admin.issue_code(storage, station).code
                devices.append(
                    storage.enroll(
                        code,
                        token_hash=auth.hash_token(code),
                        device_name="",
                        app_version="",
                        device_id=None,
                    )[0]
                )
            # Each device's change log, in seq order, cut into batches.
            logs: list[list[dict]] = [[], [], []]
            for d, row_id, ms, fields in edits:
                seq = len(logs[d]) + 1
                logs[d].append(
                    {
                        "seq": seq,
                        "t": "activities",
                        "id": row_id,
                        "s": hlc.encode(T0 + ms, seq, devices[d].id),
                        "f": fields,
                    }
                )
            queues = [[log[i : i + batch] for i in range(0, len(log), batch)] for log in logs]
            # Interleave the devices' batches at random; now and then a batch is sent twice.
            while any(queues):
                d = order.choice([i for i, q in enumerate(queues) if q])
                b = queues[d].pop(0)
                storage.push(devices[d], b, client_time_ms=T0)
                if order.random() < 0.3:
                    assert storage.push(devices[d], b, client_time_ms=T0).applied == 0
            expected = reference([(c["id"], c["s"], c["f"]) for log in logs for c in log])
            assert replica(storage) == expected
            # A new device of the station rebuilds the same rows from the feed.
            code = admin.issue_code(storage, station).code
            fresh = storage.enroll(
                code, token_hash="x" + code, device_name="", app_version="", device_id=None
            )[0]
            feed, cursor, more = [], 0, True
            while more:
                page = storage.pull(fresh, cursor, 4)
                feed += [
                    (e.row_id, e.stamp, e.fields) for e in page.changes if e.table == "activities"
                ]
                cursor, more = page.cursor, page.more
            assert reference(feed) == expected
        finally:
            storage.close()
