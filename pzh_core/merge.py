"""The merge rule, written once for client and server: last writer wins per field.

Every synced row keeps, beside its values, a map ``field -> stamp`` of the HLC stamp that last
wrote each field. A change is ``(fields, stamp)``: one write of some fields at one stamp. A field
takes the incoming value only when the incoming stamp is greater than the field's stamp; stamps
embed the device id, so equal physical time and counter are broken by device id. Applying the
same change twice, or changes in any order, ends in the same row: the rule is commutative,
associative and idempotent. Deletes are the field ``deleted`` and follow the same rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def merge(
    clocks: Mapping[str, str],
    fields: Mapping[str, Any],
    stamp: str,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Decide which incoming fields win.

    :param clocks: the row's current per-field stamps (empty for a row not seen before).
    :param fields: the incoming change's field values.
    :param stamp: the incoming change's stamp.
    :returns: ``(winning field values, the row's new per-field stamps)``.
    """
    won: dict[str, Any] = {}
    new_clocks = dict(clocks)
    for name, value in fields.items():
        current = clocks.get(name)
        if current is None or stamp > current:
            won[name] = value
            new_clocks[name] = stamp
    return won, new_clocks


def row_stamp(clocks: Mapping[str, str]) -> str:
    """The row's ``updated_at``: the greatest of its field stamps."""
    return max(clocks.values()) if clocks else ""
