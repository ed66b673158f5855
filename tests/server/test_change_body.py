"""A pushed change's hash (``srv_seen.body``, compared when a seq is resent) made the fast way is
the definition's: the same 16 hex characters over many generated changes."""

from __future__ import annotations

import hashlib
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from pzh_core import digest, hlc
from sync.server import identity
from tests.core.test_digest_fast import ref_json, rows


def ref_change_body(change: dict[str, Any]) -> str:
    text = ref_json([change["t"], change["id"], change["f"]])
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


@given(rows(), st.integers(1, 10**6))
def test_a_change_body_is_the_definitions(row, seq):
    table, row_id, values, _ = row
    change = {"seq": seq, "t": table, "id": row_id, "s": hlc.ZERO, "f": values}
    if all(isinstance(v, (str, int, float, list, dict, type(None))) for v in values.values()):
        assert identity.change_body(change) == ref_change_body(change)
        # the same with the fields' JSON made beforehand (the push makes it once per change)
        fields_json = digest.sorted_json(values)
        assert identity.change_body(change, fields_json) == ref_change_body(change)
