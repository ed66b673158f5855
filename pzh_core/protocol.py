"""The wire protocol between a station PC and the city server (version 1).

JSON over HTTPS, gzip both ways (``Content-Encoding: gzip`` on requests, ``Accept-Encoding``
honoured on responses). Every request carries ``"protocol": PROTOCOL_VERSION``; a server that
cannot serve that version answers 426 with ``{"error": "upgrade_required", "message":
"<Chinese>"}``.

Endpoints (all under ``/v1``):

``POST /v1/enroll``  ``{"protocol", "code", "device_name", "app_version"[, "device_id"]}``
  → ``{"device_id", "token", "station": {"id", "name", "county"}, "server_time_ms"}``.
  The code is spent. The token is shown once and stored only hashed on the server.
  ``device_id`` (optional) is the PC's local id, already inside the stamps it made offline; the
  server keeps it when it is free (8-64 of ``[A-Za-z0-9_-]``), else it answers a new one.

``POST /v1/sync`` (``Authorization: Bearer <token>``) — one exchange: push, then pull::

    {"protocol": 1, "client_time_ms": ..., "push": [CHANGE, ...], "cursor": <int>, "limit": <int>}

  CHANGE = ``{"seq": <device seq>, "t": <table>, "id": <row id>, "s": <HLC stamp>, "f": {field:
  value}[, "o": <operator>]}`` (short keys: every byte counts on a 2G link; ``o``: the staff
  member who made the change (当前录入人, at most ``MAX_OPERATOR`` characters), only when there is
  one). The device id and station come from the token,
  never from the body. Response::

    {"protocol": 1, "server_time_ms": ..., "acked_seq": <highest device seq the server holds>,
     "changes": [FEED, ...], "cursor": <int>, "more": <bool>[, "remaining": <int>]}

  ``remaining`` (only when ``more``): how many entries are still to come after this page, so the
  desk can show a long first pull as rows of a total. Older desks ignore it.

  FEED = ``{"c": <server seq>, "t", "id", "s", "f"[, "r"][, "o"]}``: changes of the device's station
  after ``cursor``, in server order, at most ``limit``; ``f`` holds only the fields that won on
  the server. The device's own changes are not sent back, except one whose stamp the server
  rewrote because it was more than ``CLAMP_MS`` ahead of server time: that entry carries
  ``"r": <the stamp the device sent>``, and the device must replace ``r`` by ``s`` in the
  field stamps that still hold ``r`` (docs/sync-protocol.md, "Clocks").

``GET /v1/health`` → ``{"status": "ok"}``; ``GET /v1/time`` → ``{"server_time_ms": ...}``.

Errors are 4xx ``{"error": <code>, "message": <Chinese, what to do>}``; never 500 for bad input.

This module holds the constants and the validation of a change, so both sides agree on what a
valid change is. The details of the exchange are documented in ``docs/sync-protocol.md``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pzh_core import hlc, schema, text

PROTOCOL_VERSION = 1
MAX_BODY_BYTES = 2 * 1024 * 1024  # decompressed request body
MAX_COMPRESSED_BYTES = 512 * 1024
MAX_PUSH = 500  # changes per request
MAX_PULL = 500
MAX_TEXT = 10_000  # characters in one text field
MAX_LIST = 50  # items in a list field
CLAMP_MS = 5 * 60 * 1000  # stamps further ahead of server time are rewritten by the server
MAX_ITEM = 200  # characters in one item of a list field
MAX_OPERATOR = 50  # characters of a change's operator (the record history's "who")

# Why a well-formed change was set aside (docs/architecture.md, decision 1).
SET_ASIDE_CODES = ("invalid", "too_long", "locked", "desk_too_old", "erased")


class ProtocolError(ValueError):
    """A change or message that is not valid; ``message`` says why (English, for logs)."""


def utf8_ok(text: str) -> bool:
    """False for a string SQLite, PostgreSQL and JSON cannot all store: a lone surrogate such as
    ``"\\ud800"``, or a NUL character (PostgreSQL's text refuses it)."""
    if "\x00" in text:
        return False
    if text.isascii():  # O(1) in CPython: no surrogate in it
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _json_ok(value: Any) -> bool:
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return False
    return len(text) <= MAX_BODY_BYTES and utf8_ok(text)


def _check_value(table: str, name: str, kind: str, value: Any) -> None:
    """The value's shape for its type (a limit is :func:`limit_problem`'s, not a shape)."""
    ok: bool
    if kind in ("text", "date", "time"):
        ok = isinstance(value, str) and utf8_ok(value)
    elif kind == "int":
        ok = isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**53
    elif kind in ("real", "opt_real"):
        ok = (value is None and kind == "opt_real") or (
            isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) < 1e12
        )
    elif kind == "bool":
        ok = isinstance(value, bool) or value in (0, 1)
    elif kind == "list":
        ok = isinstance(value, list) and all(isinstance(v, str) and utf8_ok(v) for v in value)
    elif kind == "json":
        ok = isinstance(value, dict) and _json_ok(value)
    else:
        ok = False
    if not ok:
        raise ProtocolError(f"{table}.{name}: bad value for type {kind}")


def limit_problem(kind: str, value: Any) -> str | None:
    """The Chinese message for a value over a protocol limit (what the desk shows at the field
    and what the server answers when it sets such a change aside), or None."""
    if isinstance(value, str):  # the common case first: a text within the limit
        if len(value) <= MAX_TEXT or kind not in ("text", "date", "time"):
            return None
        return f"内容过长（{len(value)}字），最多{MAX_TEXT}字。请删减后再保存。"
    if kind == "list" and isinstance(value, list):
        if len(value) > MAX_LIST:
            return f"最多选择{MAX_LIST}项（现有{len(value)}项）。"
        if any(isinstance(v, str) and len(v) > MAX_ITEM for v in value):
            return f"每一项最多{MAX_ITEM}字。"
    if kind == "json" and isinstance(value, dict):
        size = len(json.dumps(value, ensure_ascii=False))
        if size > MAX_TEXT:
            return f"内容过长（{size}字），最多{MAX_TEXT}字。"
    return None


_TEXT_KINDS = ("text", "date", "time")
_NO_LIMIT = (int, float, bool)  # kinds no limit applies to (limit_problem)
CONTROL_MESSAGE = "含有不可见的控制字符（可能是从别处复制来的），请删去后重新输入。"


def control_errors(table: str, fields: Mapping[str, Any]) -> dict[str, str]:
    """``{field: Chinese message}`` for the text fields of ``table`` holding a control character
    (``pzh_core.text.CONTROL``; line breaks and tabs are text). The desk's normaliser takes them
    out at input, so only a foreign or an old client sends one; the server sets it aside rather
    than change a synced value (the copies would differ)."""
    # One search over every string first (a line break is text, so it joins them safely): the
    # server checks every pushed change, nearly always clean. Strings of other kinds only make
    # the exact check below run.
    strings: list[str] = []
    for value in fields.values():
        if isinstance(value, str):
            strings.append(value)
        elif isinstance(value, list):
            strings += [v for v in value if isinstance(v, str)]
    if not text.has_control("\n".join(strings)):
        return {}
    types = schema.TABLES.get(table, {})
    texts = {}
    for name, value in fields.items():
        kind = types.get(name, "")
        items = [value] if kind in ("text", "date", "time") else value if kind == "list" else ()
        texts[name] = [v for v in items if isinstance(v, str)]
    return {n: CONTROL_MESSAGE for n, vs in texts.items() if any(text.has_control(v) for v in vs)}


def plainly_clean(fields: Mapping[str, Any]) -> bool:
    """True when :func:`limit_errors` and :func:`control_errors` find nothing in ``fields``,
    shown the quick way (the server checks every pushed change): values of the common classes
    only, every string within the limits, no control character in their join. False says
    nothing: the two then decide (tests/core/test_protocol_fast.py proves they agree)."""
    strings: list[str] = []
    for value in fields.values():
        cls = value.__class__
        if cls is str:
            strings.append(value)
        elif cls is list:
            if len(value) > MAX_LIST:
                return False
            for item in value:
                if item.__class__ is not str or len(item) > MAX_ITEM:
                    return False
            strings += value
        elif cls not in _NO_LIMIT and value is not None:
            return False  # a JSON object, or a class of no kind
    joined = "".join(strings)  # a text over MAX_TEXT makes their join longer still
    # A control character is not printable: the regex only for a text that is not (a line
    # break, a tab, an ideographic space ...).
    return len(joined) <= MAX_TEXT and (joined.isprintable() or not text.has_control(joined))


def limit_errors(table: str, fields: Mapping[str, Any]) -> dict[str, str]:
    """``{field: Chinese message}`` for the fields of ``table`` over a protocol limit."""
    types = schema.TABLES.get(table, {})
    out = {}
    for name, value in fields.items():
        if (
            value is None
            or value.__class__ in _NO_LIMIT
            or (value.__class__ is str and len(value) <= MAX_TEXT)
        ):  # the common cases, without a call (the server checks every pushed field)
            continue
        problem = limit_problem(types.get(name, ""), value)
        if problem:
            out[name] = problem
    return out


# table -> {field: the class a value of the field's kind nearly always is, or None} for
# :func:`_plainly_valid`. A real number, a JSON object, a null take the exact path.
_COMMON_CLASS = {"text": str, "date": str, "time": str, "int": int, "bool": bool, "list": list}
_FAST_FIELDS: dict[str, dict[str, type | None]] = {
    table: {name: _COMMON_CLASS.get(kind) for name, kind in types.items()}
    for table, types in schema.TABLES.items()
    if table not in schema.SERVER_ONLY
}


def validate_change(change: Any) -> dict[str, Any]:
    """Check one pushed CHANGE against ``pzh_core.schema``; returns it, or raises ProtocolError."""
    if change.__class__ is dict and _plainly_valid(change):
        return change
    return _validate_change_exact(change)


def _plainly_valid(change: dict[str, Any]) -> bool:
    """True for a change :func:`_validate_change_exact` accepts, shown the quick way (the server
    checks every pushed change): every value of its kind's common class and every string
    checked at once in their join. False says nothing: the exact checks then decide and name
    the problem (tests/core/test_protocol_fast.py proves the two agree)."""
    table, seq, row_id = change.get("t"), change.get("seq"), change.get("id")
    stamp, fields, operator = change.get("s"), change.get("f"), change.get("o", "")
    fast = _FAST_FIELDS.get(table) if table.__class__ is str else None
    if (
        fast is None
        or seq.__class__ is not int
        or not 0 < seq < 2**53
        or row_id.__class__ is not str
        or not 0 < len(row_id) <= 64
        or stamp.__class__ is not str
        or not hlc.is_stamp(stamp)  # ASCII only: nothing for utf8_ok
        or operator.__class__ is not str
        or len(operator) > MAX_OPERATOR
        or fields.__class__ is not dict
        or not fields
    ):
        return False
    strings = [row_id, operator]
    for name, value in fields.items():
        common: Any = fast.get(name)  # None for a field the table does not have
        if value.__class__ is not common:
            return False
        if common is str:
            strings.append(value)
        elif common is int:
            if not -(2**53) < value < 2**53:
                return False
        elif common is list:
            for item in value:
                if item.__class__ is not str:
                    return False
            strings += value
    # A NUL or a lone surrogate in any is one in their join, and is not printable: utf8_ok
    # only for a join that is not (a line break, a tab, an ideographic space ...).
    joined = "".join(strings)
    return joined.isprintable() or utf8_ok(joined)


def _validate_change_exact(change: Any) -> dict[str, Any]:
    """:func:`validate_change`, check by check in the order that picks the error message."""
    if not isinstance(change, dict):
        raise ProtocolError("change is not an object")
    seq, table, row_id, stamp, fields = (change.get(k) for k in ("seq", "t", "id", "s", "f"))
    if not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq < 2**53:
        raise ProtocolError("seq must be a positive integer below 2**53")
    if not isinstance(table, str) or table not in schema.TABLES:  # a list: no TypeError (500)
        raise ProtocolError(f"unknown table {table!r}")
    if table in schema.SERVER_ONLY:
        raise ProtocolError(f"table {table!r} is written by the city server only")
    if not isinstance(row_id, str) or not (1 <= len(row_id) <= 64) or not utf8_ok(row_id):
        raise ProtocolError("bad row id")
    if not isinstance(stamp, str) or not hlc.is_stamp(stamp) or not utf8_ok(stamp):
        raise ProtocolError("bad stamp")
    if not isinstance(fields, dict) or not fields:
        raise ProtocolError("fields must be a non-empty object")
    operator = change.get("o", "")
    if not isinstance(operator, str) or len(operator) > MAX_OPERATOR or not utf8_ok(operator):
        raise ProtocolError("bad operator")
    types = schema.TABLES[table]
    texts = []
    for name, value in fields.items():
        kind = types.get(name)
        if kind is None:
            raise ProtocolError(f"{table} has no field {name!r}")
        if value.__class__ is str and kind in _TEXT_KINDS:
            texts.append(value)  # checked below, all at once (the common case)
        else:
            _check_value(table, name, kind, value)
    # A NUL or a lone surrogate in any of them is one in their join: one check per change,
    # and only when it fails, the field by field check that names the field.
    if texts and not utf8_ok("".join(texts)):
        for name, value in fields.items():
            _check_value(table, name, types[name], value)
    return change


def version_key(version: str) -> tuple[int, ...]:
    """``"1.10.2"`` → ``(1, 10, 2)`` for comparing desk versions (non-digits end a part)."""
    out = []
    for part in str(version or "").split("."):
        digits = ""
        for ch in part:
            if not ("0" <= ch <= "9"):
                break
            digits += ch
        out.append(int(digits) if digits else 0)
    while out and out[-1] == 0:
        out.pop()
    return tuple(out)
