"""The synced tables: one definition shared by the client's store and the city server.

Each area lists its tables in its own module (``core``, ``activities``, ``training``,
``volunteers``). ``TABLES`` maps table name to ``{field: type}`` for the *synced* fields of that
table. Every synced table also has these columns, which are not fields of a change:

- ``id``          TEXT primary key, a UUID made on the device (or a deterministic uuid5)
- ``station_id``  TEXT, the station the row belongs to (fixed at creation)
- ``updated_at``  TEXT, the greatest HLC stamp of the row's fields
- ``device_id``   TEXT, the device that made that stamp
- ``clocks``      TEXT, the field stamps ``{field: stamp}`` for the per-field merge rule
                  (pzh_core.merge), stored compactly by ``pzh_core.stored_clocks``

``deleted`` (0/1) is an ordinary field of every table: a delete is a tombstone that merges
like any other write.

Types: ``text``, ``int``, ``real``, ``bool``, ``date`` (YYYY-MM-DD), ``time`` (HH:MM),
``list`` (JSON list of short strings), ``json`` (JSON object), ``opt_real`` (a real or null:
an item filled "where known", null = not known, never read as 0).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from pzh_core.schema import activities, annual, approval, core, photos, training, volunteers

# Namespace of deterministic ids (never change it: ids made on every PC depend on it).
ID_NAMESPACE = uuid.UUID("6f1d1c6e-3b7a-5c2e-9a41-70a2f3c5d8e1")


def det_id(kind: str, *parts: str) -> str:
    """A deterministic row id, e.g. ``det_id("attendance", session_id, person_id)``: two devices
    recording the same real thing make the same id, so their rows converge instead of
    duplicating."""
    return str(uuid.uuid5(ID_NAMESPACE, ":".join((kind, *parts))))


META_COLUMNS = ("id", "station_id", "updated_at", "device_id", "clocks")
FIELD_TYPES = ("text", "int", "real", "bool", "date", "time", "list", "json", "opt_real")

# The column of each field type, in SQL every engine we target accepts (SQLite, PostgreSQL).
# The desk's migrations keep their own literal copy, so a shipped migration never changes.
COLUMN_SQL = {
    "text": "TEXT NOT NULL DEFAULT ''",
    "int": "INTEGER NOT NULL DEFAULT 0",
    "real": "REAL NOT NULL DEFAULT 0",
    "bool": "INTEGER NOT NULL DEFAULT 0",
    "date": "TEXT NOT NULL DEFAULT ''",
    "time": "TEXT NOT NULL DEFAULT ''",
    "list": "TEXT NOT NULL DEFAULT '[]'",
    "json": "TEXT NOT NULL DEFAULT '{}'",
    "opt_real": "REAL",  # null = not known
}


_JSON = json.JSONEncoder(ensure_ascii=False)  # json.dumps(…, ensure_ascii=False), built once
ENCODED_KINDS = frozenset(("list", "json", "bool"))  # the kinds encode_value changes


def encode_value(kind: str, value: Any) -> Any:
    """A field's Python value → its column value (the one encoding of desk and server):
    lists and objects as JSON (``None`` as the empty one), bools as 0/1; any other kind
    (not in :data:`ENCODED_KINDS`) is stored as it is."""
    if kind not in ENCODED_KINDS:
        return value
    if kind in ("list", "json"):
        return _JSON.encode(value if value is not None else ([] if kind == "list" else {}))
    return 1 if value else 0  # bool


TABLES: dict[str, dict[str, str]] = {}
for _module in (core, activities, training, volunteers, annual, approval, photos):
    for _name, _fields in _module.TABLES.items():
        TABLES[_name] = {**_fields, "deleted": "bool"}


SERVER_ONLY = annual.SERVER_ONLY | approval.SERVER_ONLY


def decode_value(kind: str, value: Any) -> Any:
    """A column value → the field's Python value (the inverse of :func:`encode_value`)."""
    if kind in ("list", "json"):
        return json.loads(value) if value else ([] if kind == "list" else {})
    if kind == "bool":
        return bool(value)
    return value


def fields_of(table: str) -> dict[str, str]:
    """The synced fields of ``table`` (KeyError when it is not a synced table)."""
    return TABLES[table]
