"""The digest of a replica (pzh_core.digest): defined over ids and the stamps' canonical value,
independent of order and of how clocks are stored, updatable row by row."""

from __future__ import annotations

import json
import random
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from pzh_core import digest

A = "1790000000000.0001.dev-a"
B = "1790000000123.0000.dev-b"


def test_a_row_counts_by_its_stamps_canonical_value_not_their_storage():
    as_map = digest.row_hash("activities", "r1", {"title": A, "attendance": B})
    as_json = digest.row_hash("activities", "r1", json.dumps({"attendance": B, "title": A}))
    assert as_map == as_json != 0
    assert digest.canonical_stamp(A) == "1790000000000.1.dev-a"
    # Another stamp, another field, another id or table: another hash.
    others = {
        digest.row_hash("activities", "r1", {"title": B, "attendance": B}),
        digest.row_hash("activities", "r1", {"title": A}),
        digest.row_hash("activities", "r2", {"title": A, "attendance": B}),
        digest.row_hash("people", "r1", {"title": A, "attendance": B}),
    }
    assert as_map not in others and len(others) == 4
    assert digest.row_hash("activities", "r1", {}) == 0


rows = st.dictionaries(
    st.uuids().map(str),
    st.dictionaries(
        st.sampled_from(["title", "date", "deleted"]), st.sampled_from([A, B]), min_size=1
    ),
    max_size=40,
)


@given(rows=rows, seed=st.integers(0, 1000))
def test_order_does_not_matter_and_updates_equal_a_rebuild(rows, seed):
    items = list(rows.items())
    one = digest.table_digest("activities", items)
    random.Random(seed).shuffle(items)
    assert digest.table_digest("activities", items).encode() == one.encode()
    # Change one row in place (XOR out the old hash, in the new): equals a rebuild.
    if items:
        row_id, clocks = items[0]
        new = {**clocks, "title": "1790000009999.0000.dev-c"}
        d = digest.table_digest("activities", items)
        b = digest.bucket_of(row_id)
        d.buckets[b] ^= digest.row_hash("activities", row_id, clocks)
        d.buckets[b] ^= digest.row_hash("activities", row_id, new)
        rebuilt = digest.table_digest("activities", [(row_id, new), *items[1:]])
        assert d.buckets == rebuilt.buckets
        assert digest.differing_buckets(d.buckets, one.buckets) in ([b], [])


def test_a_diverged_row_is_found_in_one_bucket_of_a_big_table():
    items = [(f"id-{i}", {"title": A}) for i in range(20_000)]
    server = digest.table_digest("activities", items)
    desk = digest.table_digest("activities", items[:7_000] + items[7_001:])  # one row missing
    assert digest.root({"activities": server.value}) != digest.root({"activities": desk.value})
    assert digest.differing_buckets(desk.buckets, server.buckets) == [digest.bucket_of("id-7000")]
    assert digest.TableDigest.decode(server.encode()) == server.buckets
    assert len(digest.root({"activities": server.value})) == 16
    assert digest.root({}) == digest.root({"people": 0})  # empty tables do not count


# -- values (issue 12: equal stamps, different values) -----------------------------------------
def test_a_value_counts_by_its_canonical_form_not_its_storage():
    c = digest.canonical_value
    assert c("bool", True) == c("bool", 1) == "1" and c("bool", None) == c("bool", 0) == "0"
    assert c("int", 5) == c("int", 5.0) == "5"
    assert c("real", 120) == c("real", 120.0) == c("real", Decimal("120")) == "120.0"
    assert c("real", 0.1) == "0.1" and c("real", -0.0) == c("real", 0) == "0.0"
    assert c("list", '[1, "甲"]') == c("list", [1, "甲"]) == '[1,"甲"]'
    assert c("list", None) == c("list", "") == "[]"
    assert c("json", '{"b": 1, "a": [2]}') == c("json", {"a": [2], "b": 1}) == '{"a":[2],"b":1}'
    assert c("text", None) == c("text", "") == ""
    assert c("date", "2026-12-07") == "2026-12-07"


def test_a_rows_values_hash_covers_its_stamped_fields_whatever_their_storage():
    stamps = {"title": A, "attendance": B, "deleted": A}
    stored = {"title": "讲座", "attendance": 12, "deleted": 0, "place": "礼堂"}
    decoded = {"title": "讲座", "attendance": 12.0, "deleted": False, "place": "别处"}
    h = digest.values_hash("activities", "r1", stored, stamps)
    assert h == digest.values_hash("activities", "r1", decoded, stamps) != 0
    assert h == digest.values_hash("activities", "r1", stored, json.dumps(stamps))
    others = {
        digest.values_hash("activities", "r1", {**stored, "title": "讲座 "}, stamps),
        digest.values_hash("activities", "r1", {**stored, "deleted": 1}, stamps),
        digest.values_hash("activities", "r2", stored, stamps),
        digest.values_hash("activities", "r1", stored, {**stamps, "place": B}),
    }
    assert h not in others and len(others) == 4
    assert digest.values_hash("activities", "r1", stored, {}) == 0
    # The stamps do not count here, only which fields hold one.
    assert h == digest.values_hash("activities", "r1", stored, {n: B for n in stamps})
