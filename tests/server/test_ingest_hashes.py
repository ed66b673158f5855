"""What the server makes of every row it takes, made the fast way, is the definition's: a pushed
change's hash (``srv_seen.body``, compared when a seq is resent) and a written row's digest deltas
and stored meta (``replica_digest.Deltas.write``), over many generated changes and rows."""

from __future__ import annotations

import hashlib
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from pzh_core import digest, hlc, schema, stored_clocks
from sync.server import identity, replica_digest
from tests.core.test_digest_fast import ref_json, ref_row_hash, ref_values_hash, rows
from tests.core.test_stored_clocks_fast import ref_row_columns


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


@given(rows(), rows(), st.booleans())
def test_a_written_rows_deltas_and_meta_are_the_definitions(before, after, new):
    table, row_id, values, clocks = after
    clocks = stored_clocks.decode(table, clocks) if isinstance(clocks, str) else clocks
    old_values, old_clocks = ({}, {}) if new else (before[2], before[3])
    if isinstance(old_clocks, str):  # stored for its own table
        old_clocks = stored_clocks.decode(before[0], old_clocks)
    deltas = replica_digest.Deltas()
    meta = deltas.write("st", table, row_id, (old_clocks, old_values), (clocks, values))
    assert meta == tuple(ref_row_columns(table, clocks).values())
    if table in schema.SERVER_ONLY:
        assert deltas.stamps == deltas.values == {}
        return
    key = ("st", table, replica_digest.digest.bucket_of(row_id))
    stamps = ref_row_hash(table, row_id, clocks) ^ ref_row_hash(table, row_id, old_clocks)
    values_ = ref_values_hash(table, row_id, values, clocks) ^ ref_values_hash(
        table, row_id, old_values, old_clocks
    )
    assert (deltas.stamps, deltas.values) == ({key: stamps}, {key: values_})
    plain = replica_digest.Deltas()
    plain.row("st", table, row_id, (old_clocks, old_values), (clocks, values))
    assert (plain.stamps, plain.values) == (deltas.stamps, deltas.values)
