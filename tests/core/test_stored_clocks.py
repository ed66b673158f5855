"""The stored form of field stamps (pzh_core.stored_clocks): any stamps round-trip exactly, the
digest and the merge rule see no difference, a typical row's clock is small, and the field
numbering that stored masks depend on only ever grows at the end."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pzh_core import digest, merge, schema
from pzh_core import stored_clocks as clocks

DEVICE = "ef38baf9c05b4f5d88bac13bf0caa2ee"

stamps = st.builds(
    lambda ms, counter, device: f"{ms:013d}.{counter:04d}.{device}",
    st.one_of(st.integers(0, 10**13 - 1), st.integers(1_700_000_000_000, 1_900_000_000_000)),
    st.integers(0, 9999),
    st.one_of(
        st.sampled_from(["", "server", DEVICE, "dev-a", "dev_b"]),
        st.text("abcdefXYZ0189_-", max_size=64),
    ),
)
tables = st.sampled_from([*schema.TABLES, "not_a_table"])


@st.composite
def rows(draw):
    table = draw(tables)
    names = st.one_of(
        st.sampled_from(clocks.numbering(table) or ("title",)),
        st.from_regex(r"[A-Za-z0-9_]{1,20}", fullmatch=True),
    )
    shared = draw(st.lists(stamps, min_size=1, max_size=3))  # fields written together
    value = draw(st.dictionaries(names, st.one_of(st.sampled_from(shared), stamps), max_size=40))
    return table, value


@given(rows())
def test_any_stamps_round_trip_exactly(row):
    table, value = row
    text = clocks.encode(table, value)
    assert text.isascii()
    assert clocks.decode(table, text) == value
    # one value, one text: insertion order does not matter
    assert clocks.encode(table, dict(reversed(list(value.items())))) == text
    # the digest and the merge rule see the same stamps
    assert digest.row_hash(table, "r1", text) == digest.row_hash(table, "r1", value)
    incoming = "1800000000000.0000.zz"
    assert merge.merge(clocks.decode(table, text), {"title": 1}, incoming) == merge.merge(
        value, {"title": 1}, incoming
    )


def test_a_typical_row_is_small_and_legacy_json_still_decodes():
    stamp = f"1796658085489.0001.{DEVICE}"
    fields = [f for f in clocks.numbering("activities") if f != "deleted"]
    row = dict.fromkeys(fields, stamp)
    legacy = json.dumps(row, sort_keys=True)
    text = clocks.encode("activities", row)
    assert len(legacy) > 900 and len(text) < 60, text
    assert clocks.decode("activities", legacy) == row
    # edited on a second device, then deleted on the server
    edited = {
        **row,
        "title": f"1796700000000.0000.{'b' * 32}",
        "deleted": "1796800000000.0003.server",
    }
    text = clocks.encode("activities", edited)
    assert len(text) < 130 and clocks.decode("activities", text) == edited
    assert clocks.encode("activities", {}) == "{}" and clocks.decode("activities", "{}") == {}
    assert clocks.decode("activities", "") == {}


def test_a_stamp_is_an_integer_that_sorts_like_the_stamp():
    a, b = "1796658085489.0001.x", "1796658085490.0000.x"
    assert clocks.stamp_int(a)[0] < clocks.stamp_int(b)[0]
    assert clocks.int_stamp(*clocks.stamp_int(a)) == a
    assert clocks.stamp_int("0000000000000.0000.") == (0, "")


@pytest.mark.parametrize(
    "text",
    [
        "1",
        "2;dev;0=1",
        "1;dev;zz",
        "1;dev;0.5=1",
        "1;dev;0=1+bad name",
        "1;dev;0=zzzzzzzz",
        "1;dev;-1=1",
        "1;dev;0=1g+",
        "[]",
        "1;dev;A=1",
        "1;d;" + "z" * 20 + "=1",
    ],
)
def test_malformed_text_is_refused(text):
    with pytest.raises(ValueError):
        clocks.decode("activities", text)


@given(st.text(max_size=40))
def test_any_text_decodes_to_stamps_or_is_refused(text):
    try:
        out = clocks.decode("activities", text)
    except ValueError:
        return
    assert all(isinstance(s, str) for s in out.values())


def test_malformed_stamps_and_names_are_refused_on_encode():
    with pytest.raises(ValueError):
        clocks.encode("activities", {"title": "17.0.x"})
    with pytest.raises(ValueError):
        clocks.encode("activities", {"ti tle": f"1796658085489.0001.{DEVICE}"})


# The field numbering as shipped in format 1. Stored masks depend on it: a new field is added at
# the end of its table's definition (pzh_core/schema), and then appended here.
SHIPPED = {
    "stations": "deleted name county population amateur_teams full_time_staff",
    "staff": "deleted name role active pin_hash",
    "activities": (
        "deleted title date start_time end_time place kind delivery organiser partners "
        "attendance target_groups brand notes created_by team_id"
    ),
    "people": (
        "deleted name gender birth_year phone village ethnicity notes merged_into "
        "created_by erased_on"
    ),
    "classes": (
        "deleted name art_form teacher venue start_date end_date capacity status "
        "completion_share notes created_by"
    ),
    "sessions": "deleted class_id date start_time end_time cancelled notes",
    "enrollments": "deleted class_id person_id active enrolled_on walk_in",
    "attendance": "deleted session_id class_id person_id mark marked_by",
    "volunteers": (
        "deleted person_id number join_date skills team status training awards notes "
        "created_by id_type id_number"
    ),
    "service_records": (
        "deleted volunteer_id person_id date hours description activity_id class_id "
        "recorded_by status verified_by verified_on reject_reason"
    ),
    "service_corrections": (
        "deleted record_id requested_by reason before proposed status decided_by "
        "decided_on decision_note"
    ),
    "volunteer_certificates": (
        "deleted number volunteer_id period_from period_to hours records content unit "
        "head handler phone issued_on"
    ),
    "annual_facts": (
        "deleted year staff_total staff_full_time staff_part_time staff_senior "
        "staff_intermediate floor_area floor_area_activity floor_area_office computers "
        "computers_public books stage_vehicles weekly_open_hours income_total "
        "income_fiscal income_other expense_total expense_basic expense_project "
        "assets_total fixed_assets population population_source unit_code notes confirmed "
        "confirmed_by confirmed_on carried_from"
    ),
    "art_teams": (
        "deleted name art_form leader_id members founded status dissolved_on notes created_by"
    ),
    "city_settings": "deleted key scope value",
    "periods": (
        "deleted period status submitted_by submitted_at figures incomplete decided_by "
        "decided_at reason approved_figures accepted_by accepted_at"
    ),
    "late_changes": (
        "deleted device seq tbl row_id fields stamp message decision decided_by decided_at note"
    ),
    "attachments": (
        "deleted owner_table owner_id hash kind size width height thumb thumb_size name "
        "note created_by"
    ),
}


def test_the_field_numbering_only_grows_at_the_end():
    for table, shipped in SHIPPED.items():
        now = clocks.numbering(table)
        assert now[: len(shipped.split())] == tuple(shipped.split()), (
            f"{table}: fields were inserted or reordered; add new fields at the end"
        )
    assert set(SHIPPED) <= set(schema.TABLES)
