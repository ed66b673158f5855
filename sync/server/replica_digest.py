"""The server's digest of each station's replica, kept incrementally (``pzh_core.digest``;
docs/sync-protocol.md, "Digest").

``srv_digest`` holds each (station, table, bucket) value and ``srv_digest_table`` each
(station, table) value, updated in the same transaction as the rows (``apply``), so the root an
answer carries always describes the rows of the same snapshot. Values are 64-bit, stored signed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pzh_core import digest, schema, stored_clocks
from sync.server.db.conn import Conn

# The tables are migration 4 (sync/server/db/migrations.py).
BUILT_KEY = "digest_built"


def _signed(v: int) -> int:
    v &= digest.MASK
    return v - (1 << 64) if v >= 1 << 63 else v


def build(conn: Conn) -> None:
    """The values of rows written before the digest existed (once, by migration 4)."""
    if conn.execute("SELECT 1 FROM srv_meta WHERE key = ?", (BUILT_KEY,)).fetchone():
        return
    conn.execute("DELETE FROM srv_digest")
    conn.execute("DELETE FROM srv_digest_table")
    for table in digest.tables():
        deltas: dict[tuple[str, str, int], int] = {}
        for station, row_id, clocks in conn.execute(f"SELECT station_id, id, clocks FROM {table}"):
            key = (station, table, digest.bucket_of(row_id))
            deltas[key] = deltas.get(key, 0) ^ digest.row_hash(table, row_id, clocks)
        apply(conn, deltas)
    conn.execute("INSERT INTO srv_meta (key, value) VALUES (?, '1')", (BUILT_KEY,))


# XOR written with | & ~, which both engines have: (a | b) & ~(a & b) == a ^ b, on signed 64 bits.
_XOR_BUCKETS = (
    "INSERT INTO srv_digest (station_id, tbl, bucket, value)",
    " ON CONFLICT(station_id, tbl, bucket) DO UPDATE SET"
    " value = (srv_digest.value | excluded.value) & ~(srv_digest.value & excluded.value)",
)
_XOR_TABLES = (
    "INSERT INTO srv_digest_table (station_id, tbl, value)",
    " ON CONFLICT(station_id, tbl) DO UPDATE SET value ="
    " (srv_digest_table.value | excluded.value) & ~(srv_digest_table.value & excluded.value)",
)


def apply(conn: Conn, deltas: Mapping[tuple[str, str, int], int]) -> None:
    """XOR ``{(station, table, bucket): delta}`` into the stored values (caller's transaction),
    in two statements whatever the number of buckets (the XOR is the database's)."""
    per_table: dict[tuple[str, str], int] = {}
    buckets = []
    for (station, table, bucket), delta in deltas.items():
        if not delta & digest.MASK:
            continue
        buckets.append((station, table, bucket, _signed(delta)))
        per_table[(station, table)] = per_table.get((station, table), 0) ^ delta
    conn.insert_many(_XOR_BUCKETS[0], sorted(buckets), _XOR_BUCKETS[1])
    tables = [(s, t, _signed(d)) for (s, t), d in sorted(per_table.items()) if d & digest.MASK]
    conn.insert_many(_XOR_TABLES[0], tables, _XOR_TABLES[1])


def row_delta(
    deltas: dict[tuple[str, str, int], int],
    station: str,
    table: str,
    row_id: str,
    before: Mapping[str, str],
    after: Mapping[str, str],
) -> None:
    """Add a row's change of field stamps to ``deltas``."""
    if table in schema.SERVER_ONLY:
        return
    key = (station, table, digest.bucket_of(row_id))
    change = digest.row_hash(table, row_id, before) ^ digest.row_hash(table, row_id, after)
    deltas[key] = deltas.get(key, 0) ^ change


def table_values(conn: Conn, station: str) -> dict[str, int]:
    return {
        t: v & digest.MASK
        for t, v in conn.execute(
            "SELECT tbl, value FROM srv_digest_table WHERE station_id = ?", (station,)
        )
    }


def root(conn: Conn, station: str) -> str:
    return digest.root(table_values(conn, station))


def bucket_string(conn: Conn, station: str, table: str) -> str:
    d = digest.TableDigest(
        {
            b: v
            for b, v in conn.execute(
                "SELECT bucket, value FROM srv_digest WHERE station_id = ? AND tbl = ?",
                (station, table),
            )
        }
    )
    return d.encode()


def differing_tables(conn: Conn, station: str, theirs: Mapping[str, str]) -> dict[str, str]:
    """``{table: bucket string}`` of each table whose value differs from the client's."""
    mine = table_values(conn, station)
    out = {}
    for table in digest.tables():
        if digest.hex64(mine.get(table, 0)) != theirs.get(table, digest.hex64(0)):
            out[table] = bucket_string(conn, station, table)
    return out


def rows_in_buckets(
    conn: Conn, station: str, table: str, buckets: Iterable[int]
) -> list[list[Any]]:
    """``[table, id, {field: value}, {field: stamp}]`` of the station's rows in ``buckets``."""
    wanted = set(buckets)
    types = schema.TABLES[table]
    out: list[list[Any]] = []
    for r in conn.execute(f"SELECT * FROM {table} WHERE station_id = ?", (station,)):
        if digest.bucket_of(r["id"]) not in wanted:
            continue
        clocks = stored_clocks.decode(table, r["clocks"])
        values = {n: schema.decode_value(types[n], r[n]) for n in clocks if n in types}
        out.append([table, r["id"], values, {k: s for k, s in clocks.items() if k in values}])
    return out
