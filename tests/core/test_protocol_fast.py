"""The server's checks of a pushed change take quick paths (pzh_core.protocol, rules): each is
compared here with a straightforward statement of the rule over many generated changes, good
and bad (bools as ints, NaN and infinities, NUL, lone surrogates, control characters, strings
and lists over the limits, unknown fields), so the quick paths are proven to give the same
answer, the same ProtocolError and the same set-aside code and messages."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from pzh_core import hlc, protocol, schema, text
from pzh_core.domain import activity, rules

TODAY = dt.date(2026, 12, 8)
STAMP = "1796679655448.0007.dev12345"


# -- the straightforward statements ---------------------------------------------------------
def ref_value_ok(kind: str, value: Any) -> bool:
    """A value's shape for its kind, one rule at a time (docs/sync-protocol.md)."""

    def clean(s: Any) -> bool:
        if not isinstance(s, str) or "\x00" in s:
            return False
        return not any(0xD800 <= ord(ch) <= 0xDFFF for ch in s)

    def number(v: Any) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    if kind in ("text", "date", "time"):
        return clean(value)
    if kind == "int":
        return number(value) and isinstance(value, int) and -(2**53) < value < 2**53
    if kind in ("real", "opt_real"):
        return (kind == "opt_real" and value is None) or (number(value) and abs(value) < 1e12)
    if kind == "bool":
        return isinstance(value, bool) or value in (0, 1)
    if kind == "list":
        return isinstance(value, list) and all(clean(v) for v in value)
    if kind == "json":
        try:
            dumped = json.dumps(value, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError, RecursionError):
            return False
        return isinstance(value, dict) and len(dumped) <= protocol.MAX_BODY_BYTES and clean(dumped)
    return False


def ref_validate(change: Any) -> dict[str, Any]:
    """validate_change as the protocol states it: the change's parts in order, then each field
    in order, except that a bad text is named only after every other field passed (the
    server's order since session 4)."""
    if not isinstance(change, dict):
        raise protocol.ProtocolError("change is not an object")
    seq, table, row_id, stamp, fields = (change.get(k) for k in ("seq", "t", "id", "s", "f"))
    if not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq < 2**53:
        raise protocol.ProtocolError("seq must be a positive integer below 2**53")
    if table not in [*schema.TABLES]:  # by equality: a list or an object is no table either
        raise protocol.ProtocolError(f"unknown table {table!r}")
    if table in schema.SERVER_ONLY:
        raise protocol.ProtocolError(f"table {table!r} is written by the city server only")
    if not (isinstance(row_id, str) and 1 <= len(row_id) <= 64 and ref_value_ok("text", row_id)):
        raise protocol.ProtocolError("bad row id")
    if not (hlc.is_stamp(stamp) and ref_value_ok("text", stamp)):
        raise protocol.ProtocolError("bad stamp")
    if not isinstance(fields, dict) or not fields:
        raise protocol.ProtocolError("fields must be a non-empty object")
    operator = change.get("o", "")
    if not (isinstance(operator, str) and len(operator) <= 50 and ref_value_ok("text", operator)):
        raise protocol.ProtocolError("bad operator")
    types = schema.TABLES[table]
    for name, value in fields.items():
        if name not in types:
            raise protocol.ProtocolError(f"{table} has no field {name!r}")
        deferred = value.__class__ is str and types[name] in ("text", "date", "time")
        if not deferred and not ref_value_ok(types[name], value):
            raise protocol.ProtocolError(f"{table}.{name}: bad value for type {types[name]}")
    for name, value in fields.items():
        if not ref_value_ok(types[name], value):
            raise protocol.ProtocolError(f"{table}.{name}: bad value for type {types[name]}")
    return change


def ref_check(table: str, row: dict[str, Any] | None, fields: dict[str, Any]) -> Any:
    """check_change as rules.py states it: limits, control characters, the domain rule of the
    whole row built as its record (``from_row``), on the fields the change writes."""
    types = schema.TABLES.get(table, {})
    too_long = {}
    for name, value in fields.items():
        problem = protocol.limit_problem(types.get(name, ""), value)
        if problem:
            too_long[name] = problem
    if too_long:
        return "too_long", too_long
    control = {}
    for name, value in fields.items():
        kind = types.get(name, "")
        items = [value] if kind in ("text", "date", "time") else value if kind == "list" else []
        if any(isinstance(v, str) and text.has_control(v) for v in items):
            control[name] = protocol.CONTROL_MESSAGE
    if control:
        return "invalid", control
    if table not in rules.VALIDATORS or fields.get("deleted"):
        return None
    merged = {**(row or {}), **fields}
    if table == "activities":
        found = activity.validate(activity.Activity.from_row(merged), today=TODAY, limits=False)
    else:
        found = rules.VALIDATORS[table](merged, TODAY)
    errors = {k: v for k, v in found.items() if k in fields}
    return ("invalid", errors) if errors else None


def outcome(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return "ok", fn(*args, **kwargs)
    except Exception as exc:  # the same exception, with the same message
        return type(exc).__name__, str(exc)


# -- generated changes ----------------------------------------------------------------------
NASTY = ["\x00", "\x01", "\x1f", "\x7f", "\x85", "\x9f", "\ud800", "\udfff", "\n", "\t", "\u3000"]
short_text = st.text(
    alphabet=st.one_of(st.sampled_from(NASTY), st.characters(codec="utf-8")), max_size=12
) | st.sampled_from(["", "广场舞展演", "2026-11-28", "19:30", "performance", "elderly"])
strings = short_text | st.builds(
    lambda n, c: c * n,
    st.sampled_from([protocol.MAX_ITEM, protocol.MAX_ITEM + 1, protocol.MAX_TEXT + 1]),
    st.sampled_from(["字", "a", "\x01"]),
)
numbers = st.sampled_from([0, 1, -1, 2**53 - 1, 2**53, -(2**53), True, False, 1e12, 0.5]) | (
    st.integers() | st.floats(allow_nan=True, allow_infinity=True)
)
lists = (
    st.lists(strings, max_size=4)
    | st.lists(short_text | numbers, max_size=3)
    | st.builds(
        lambda n: ["elderly"] * n, st.sampled_from([protocol.MAX_LIST, protocol.MAX_LIST + 1])
    )
)
values = strings | numbers | lists | st.none() | st.dictionaries(short_text, numbers, max_size=2)
WRITABLE = sorted(t for t in schema.TABLES if t not in schema.SERVER_ONLY)


@st.composite
def good_value(draw: Any, kind: str) -> Any:
    """A value of a kind, as a desk sends one (the quick paths' inputs)."""
    plain = st.sampled_from(["", "广场舞展演", "2026-11-28", "19:30", "performance", "李明"])
    return draw(
        {
            "text": plain,
            "date": st.sampled_from(["2026-11-28", "2026-02-30", "", "1999-12-31", "2027-01-01"]),
            "time": st.sampled_from(["19:30", "", "9:05", "24:00", "19:3", "１９:30"]),
            "int": st.integers(-5, 200_000),
            "real": st.floats(-1e6, 1e6) | st.integers(0, 100),
            "opt_real": st.none() | st.floats(0, 1e6),
            "bool": st.booleans(),
            "list": st.lists(st.sampled_from(["elderly", "children", "外星人"]), max_size=3),
            "json": st.dictionaries(st.sampled_from(["a", "b"]), st.integers(), max_size=2),
        }[kind]
    )


@st.composite
def changes(draw: Any) -> Any:
    table = draw(st.sampled_from(WRITABLE))
    types = schema.TABLES[table]
    names = draw(st.lists(st.sampled_from(sorted(types)), min_size=1, max_size=8, unique=True))
    fields = {n: draw(good_value(types[n])) for n in names}
    # then spoil some of it, or not
    for _ in range(draw(st.integers(0, 2))):
        where = draw(st.sampled_from(["field", "unknown", "seq", "id", "s", "o", "t", "f"]))
        if where == "field":
            fields[draw(st.sampled_from(names))] = draw(values)
        elif where == "unknown":
            fields[draw(st.sampled_from(["nope", "id", "clocks"]))] = draw(values)
    change: dict[str, Any] = {"seq": 7, "t": table, "id": "r-1", "s": STAMP, "f": fields}
    if draw(st.booleans()):
        change["o"] = draw(st.sampled_from(["", "李明", "x" * 51]) | short_text)
    for _ in range(draw(st.integers(0, 1))):
        key = draw(st.sampled_from(["seq", "id", "s", "o", "t", "f"]))
        change[key] = draw(
            values | st.sampled_from([2**53, 0, True, "x" * 65, "activities", "late_changes"])
        )
    return change


@settings(max_examples=1000)
@given(change=changes())
@example(change={"seq": 1, "t": "activities", "id": "a", "s": STAMP, "f": {"title": "\ud800"}})
@example(change={"seq": 1, "t": "activities", "id": "a\x00", "s": "x", "f": {"title": "a"}})
@example(change={"seq": 1, "t": "activities", "id": "a", "s": STAMP, "f": {"attendance": True}})
def test_validate_change_equals_the_rule_stated_plainly(change):
    assert outcome(protocol.validate_change, change) == outcome(ref_validate, change)


@settings(max_examples=500)
@given(change=changes(), row=st.none() | changes())
def test_check_change_equals_the_rules_stated_plainly(change, row):
    fields = change["f"] if isinstance(change.get("f"), dict) else {"title": "x"}
    table = change["t"] if isinstance(change.get("t"), str) else "activities"
    old = row["f"] if row and isinstance(row.get("f"), dict) else None
    assert crash_as_kind(outcome(rules.check_change, table, old, fields, today=TODAY)) == (
        crash_as_kind(outcome(ref_check, table, old, fields))
    )


def crash_as_kind(result: Any) -> Any:
    """A TypeError by its kind alone: check_change takes fields validate_change has passed, and
    on a value of the wrong type (a list field holding 0, which no push can bring) both
    statements fail, each at its first use of the value, with Python's own words."""
    return ("TypeError", "") if result[0] == "TypeError" else result


@settings(max_examples=1000)
@given(
    fields=st.dictionaries(st.sampled_from(["title", "attendance", "target_groups", "x"]), values)
)
def test_plainly_clean_only_when_no_limit_or_control_error(fields):
    if protocol.plainly_clean(fields):
        for table in ("activities", "people"):
            assert protocol.limit_errors(table, fields) == {}
            assert protocol.control_errors(table, fields) == {}


def test_the_benchs_activity_takes_the_quick_paths_and_passes():
    change = {
        "seq": 7,
        "t": "activities",
        "id": "348886c8-874b-47b7-a38b-733e6795d342",
        "s": STAMP,
        "f": {
            "title": "广场舞展演",
            "date": "2026-11-28",
            "start_time": "19:30",
            "attendance": 87,
            "target_groups": ["elderly"],
            "kind": "performance",
        },
    }
    assert protocol._plainly_valid(change) and protocol.plainly_clean(change["f"])
    assert protocol.validate_change(change) is change
    assert rules.check_change("activities", None, change["f"], today=TODAY) is None


_TIME = re.compile(r"(\d{1,2}):(\d{1,2})", re.ASCII)


def ref_time(value: Any) -> dt.time | None:
    m = _TIME.fullmatch(value) if isinstance(value, str) else None
    try:
        return None if m is None else dt.time(int(m[1]), int(m[2]))
    except ValueError:
        return None


def test_activity_times_parse_as_the_pattern_says_every_hh_mm():
    for a, b, c, d in itertools.product("0123456789", repeat=4):
        value = f"{a}{b}:{c}{d}"
        assert activity._parse_time(value) == ref_time(value), value


@given(value=st.text(alphabet="0123456789:１٣+-Z. T\x00", max_size=7) | values)
@example(value="１９:30")
@example(value="19:30Z")
def test_activity_times_parse_as_the_pattern_says(value):
    assert activity._parse_time(value) == ref_time(value)


@given(row=st.dictionaries(st.sampled_from(sorted(schema.TABLES["activities"]) + ["x"]), values))
def test_row_fields_hold_what_the_record_would(row):
    row.pop("x", None)
    row.pop("deleted", None)
    assert activity.Activity.row_fields(row) == vars(activity.Activity.from_row(row))


def test_a_table_that_is_not_a_name_is_an_unknown_table_not_a_server_error():
    for table in ([], {}, ["activities"], 1, None):
        change = {"seq": 1, "t": table, "id": "a", "s": STAMP, "f": {"title": "x"}}
        try:
            protocol.validate_change(change)
        except protocol.ProtocolError as exc:
            assert str(exc) == f"unknown table {table!r}"
        else:
            raise AssertionError(f"{table!r} accepted")
