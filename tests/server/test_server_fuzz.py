"""Whatever JSON a client sends, the server answers 2xx or 4xx — never 500 — and a refused
request changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pzh_core import schema
from sync.server import admin
from sync.server.app import ServerSettings, create_app
from tests.server.test_server_api import T0, dump

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
tables = st.sampled_from(sorted(schema.TABLES)) | st.text(max_size=12)


VALID = {
    "text": st.text(max_size=20),
    "date": st.just("2026-11-28") | st.text(max_size=12),
    "time": st.just("19:30"),
    "int": st.integers(-(2**60), 2**60),
    "real": st.floats(-1e13, 1e13),
    "opt_real": st.none() | st.floats(-1e13, 1e13),
    "bool": st.booleans() | st.sampled_from([0, 1]),
    "list": st.lists(st.text(max_size=5), max_size=3),
    "json": st.dictionaries(st.text(max_size=5), json_values, max_size=3),
}


def test_every_field_kind_has_a_strategy():
    """A new field kind fails here at once, not at random in the fuzz below (KeyError)."""
    assert set(VALID) == set(schema.FIELD_TYPES)


@st.composite
def changes(draw):
    """Mostly valid changes with one part made hostile, so that some reach the database."""
    table = draw(st.sampled_from(sorted(schema.TABLES)))
    types = schema.TABLES[table]
    names = draw(st.lists(st.sampled_from(sorted(types)), min_size=1, max_size=3, unique=True))
    change = {
        "seq": draw(st.integers(1, 50) | st.sampled_from([2**53 - 1, 2**53, 2**63, 2**64])),
        "t": table,
        "id": draw(st.sampled_from(["x", "y", "自己的"]) | st.text(min_size=1, max_size=64)),
        "s": draw(
            st.sampled_from(
                ["1790000000000.0000.d", "9999999999999.9999.d", "0000000000001.0000.ü"]
            )
        ),
        "f": {n: draw(VALID[types[n]]) for n in names},
    }
    mutate = draw(st.sampled_from([None, None, "seq", "t", "id", "s", "f", "field", "drop"]))
    if mutate == "field":
        change["f"][draw(st.text(max_size=8) | st.sampled_from(names))] = draw(json_values)
    elif mutate == "drop":
        del change[draw(st.sampled_from(sorted(change)))]
    elif mutate == "t":
        change["t"] = draw(tables)
    elif mutate:
        change[mutate] = draw(json_values)
    return change


good_bodies = st.fixed_dictionaries(
    {"protocol": st.just(1), "push": st.lists(changes(), max_size=4)},
    optional={
        "cursor": st.integers(0, 100),
        "limit": st.integers(1, 500),
        "client_time_ms": st.integers(0, 2**52),
    },
)
bad_bodies = (
    st.fixed_dictionaries(
        {"protocol": st.just(1) | json_values},
        optional={
            "push": st.lists(changes(), max_size=4) | json_values,
            "cursor": st.integers(-5, 2**70) | json_values,
            "limit": st.integers(-5, 10**6) | json_values,
            "client_time_ms": st.integers(-(2**70), 2**70) | json_values,
        },
    )
    | json_values
)
bodies = good_bodies | good_bodies | bad_bodies


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory, module_database):
    data = Path(tmp_path_factory.mktemp("fuzz"))
    app = create_app(
        data,
        settings=ServerSettings(sync_burst=100_000, enroll_burst=100_000),
        now=lambda: T0,
        database=module_database,
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        storage = app.state.storage
        sid = admin.create_station(storage, "模糊测试站", "西区").id
        code = admin.issue_code(storage, sid).code
        dev = client.post("/v1/enroll", json={"protocol": 1, "code": code}).json()
        other = admin.create_station(storage, "另一站", "东区").id
        code = admin.issue_code(storage, other).code
        dev2 = client.post("/v1/enroll", json={"protocol": 1, "code": code}).json()
        # Rows of the other station, which the fuzzed device must never touch.
        body = {
            "protocol": 1,
            "push": [
                {
                    "seq": 1,
                    "t": "activities",
                    "id": "x",
                    "s": "1790000000000.0000.d",
                    "f": {"title": "别人的"},
                }
            ],
        }
        assert (
            client.post(
                "/v1/sync", json=body, headers={"Authorization": f"Bearer {dev2['token']}"}
            ).status_code
            == 200
        )
        yield client, dev, storage


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=bodies)
def test_no_body_makes_a_500(fuzz_server, body):
    client, dev, db = fuzz_server
    before = dump(db)
    raw = json.dumps(body)  # escapes lone surrogates, writes NaN/Infinity: hostile but parseable
    r = client.post(
        "/v1/sync",
        content=raw,
        headers={"Authorization": f"Bearer {dev['token']}", "Content-Type": "application/json"},
    )
    assert r.status_code < 500, (r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/json")
    if r.status_code != 200:
        assert dump(db) == before
    other = client.app.state.storage.query("SELECT title FROM activities WHERE id = 'x'")
    assert [o["title"] for o in other] == ["别人的"]
    r = client.post("/v1/enroll", content=raw, headers={"Content-Type": "application/json"})
    assert r.status_code < 500, (r.status_code, r.text)
