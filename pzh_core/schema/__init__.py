"""The synced tables: one definition shared by the client's store and the city server.

Each area lists its tables in its own module (``core``, ``activities``, ``training``,
``volunteers``). ``TABLES`` maps table name to ``{field: type}`` for the *synced* fields of that
table. Every synced table also has these columns, which are not fields of a change:

- ``id``          TEXT primary key, a UUID made on the device (or a deterministic uuid5)
- ``station_id``  TEXT, the station the row belongs to (fixed at creation)
- ``updated_at``  TEXT, the greatest HLC stamp of the row's fields
- ``device_id``   TEXT, the device that made that stamp
- ``clocks``      TEXT, JSON ``{field: stamp}`` for the per-field merge rule (pzh_core.merge)

``deleted`` (0/1) is an ordinary field of every table: a delete is a tombstone that merges
like any other write.

Types: ``text``, ``int``, ``real``, ``bool``, ``date`` (YYYY-MM-DD), ``time`` (HH:MM),
``list`` (JSON list of short strings), ``json`` (JSON object).
"""

from __future__ import annotations

import uuid

from pzh_core.schema import activities, core, photos, training, volunteers

# Namespace of deterministic ids (never change it: ids made on every PC depend on it).
ID_NAMESPACE = uuid.UUID("6f1d1c6e-3b7a-5c2e-9a41-70a2f3c5d8e1")


def det_id(kind: str, *parts: str) -> str:
    """A deterministic row id, e.g. ``det_id("attendance", session_id, person_id)``: two devices
    recording the same real thing make the same id, so their rows converge instead of duplicating."""
    return str(uuid.uuid5(ID_NAMESPACE, ":".join((kind, *parts))))


META_COLUMNS = ("id", "station_id", "updated_at", "device_id", "clocks")
FIELD_TYPES = ("text", "int", "real", "bool", "date", "time", "list", "json")

TABLES: dict[str, dict[str, str]] = {}
for _module in (core, activities, training, volunteers, photos):
    for _name, _fields in _module.TABLES.items():
        TABLES[_name] = {**_fields, "deleted": "bool"}


def fields_of(table: str) -> dict[str, str]:
    """The synced fields of ``table`` (KeyError when it is not a synced table)."""
    return TABLES[table]
