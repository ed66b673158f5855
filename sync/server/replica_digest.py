"""The server's digest of each station's replica, kept incrementally (``pzh_core.digest``;
docs/sync-protocol.md, "Digest").

``srv_digest`` holds each (station, table, bucket) value and ``srv_digest_table`` each
(station, table) value, updated in the same transaction as the rows (``apply``), so the root an
answer carries always describes the rows of the same snapshot. Values are 64-bit, stored signed.
Beside each stamps value (column ``value``) is the values one (column ``vals``, migration 13):
the same buckets over the rows' canonical field values, moved in the same statements.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pzh_core import digest, schema, stored_clocks
from sync.server.db.conn import Conn

# The tables are migration 4 (sync/server/db/migrations.py), their ``vals`` columns migration 13.
BUILT_KEY = "digest_built"
KINDS = {"stamps": "value", "values": "vals"}  # the two digests and their columns
Key = tuple[str, str, int]  # (station, table, bucket)


def _signed(v: int) -> int:
    v &= digest.MASK
    return v - (1 << 64) if v >= 1 << 63 else v


class Deltas:
    """What a transaction's writes change in the digests: ``{(station, table, bucket): XOR}`` of
    the stamps and of the values."""

    __slots__ = ("stamps", "values")

    def __init__(self) -> None:
        self.stamps: dict[Key, int] = {}
        self.values: dict[Key, int] = {}

    def row(
        self,
        station: str,
        table: str,
        row_id: str,
        before: tuple[Mapping[str, str], Mapping[str, Any]],
        after: tuple[Mapping[str, str], Mapping[str, Any]],
    ) -> None:
        """A row's change from ``(field stamps, field values)`` before to after."""
        if table not in schema.SERVER_ONLY:
            hashes = digest.row_hashes(table, row_id, after[1], after[0])
            self._add(station, table, row_id, before, hashes)

    def write(
        self,
        station: str,
        table: str,
        row_id: str,
        before: tuple[Mapping[str, str], Mapping[str, Any]],
        after: tuple[Mapping[str, str], Mapping[str, Any]],
    ) -> tuple[str, str, str]:
        """:meth:`row`, and the written row's ``(updated_at, device_id, clocks)`` as stored
        (``stored_clocks.row_meta``), made together (``digest.written_row``)."""
        if table in schema.SERVER_ONLY:
            return stored_clocks.row_meta(table, after[0])
        stamps, values, meta = digest.written_row(table, row_id, after[1], after[0])
        self._add(station, table, row_id, before, (stamps, values))
        return meta

    def _add(
        self,
        station: str,
        table: str,
        row_id: str,
        before: tuple[Mapping[str, str], Mapping[str, Any]],
        hashes: tuple[int, int],
    ) -> None:
        """XOR a row's new hashes (stamps, values), less its hashes before, into its bucket."""
        stamps, values = hashes
        if before[0]:  # a row without stamps (a new one) hashes to 0
            old = digest.row_hashes(table, row_id, before[1], before[0])
            stamps, values = stamps ^ old[0], values ^ old[1]
        key = (station, table, digest.bucket_of(row_id))
        self.stamps[key] = self.stamps.get(key, 0) ^ stamps
        self.values[key] = self.values.get(key, 0) ^ values


def build(conn: Conn) -> None:
    """The stamp values of rows written before the digest existed (once, by migration 4)."""
    if conn.execute("SELECT 1 FROM srv_meta WHERE key = ?", (BUILT_KEY,)).fetchone():
        return
    conn.execute("DELETE FROM srv_digest")
    conn.execute("DELETE FROM srv_digest_table")
    for table in digest.tables():
        d = Deltas()
        for station, row_id, clocks in conn.execute(f"SELECT station_id, id, clocks FROM {table}"):
            key = (station, table, digest.bucket_of(row_id))
            d.stamps[key] = d.stamps.get(key, 0) ^ digest.row_hash(table, row_id, clocks)
        apply(conn, d, values=False)
    conn.execute("INSERT INTO srv_meta (key, value) VALUES (?, '1')", (BUILT_KEY,))


BUILD_BATCH = 5_000  # rows read at once while building the values (a province's tables)


def build_values(conn: Conn) -> None:
    """The values of every row held (once, by migration 13), in batches of rows by id."""
    for table in digest.tables():
        after = ""
        while True:
            rows = conn.all(
                f"SELECT * FROM {table} WHERE id > ? ORDER BY id LIMIT ?", (after, BUILD_BATCH)
            )
            if not rows:
                break
            d = Deltas()
            for r in rows:
                key = (r["station_id"], table, digest.bucket_of(r["id"]))
                h = digest.values_hash(table, r["id"], dict(r), r["clocks"])
                d.values[key] = d.values.get(key, 0) ^ h
            apply(conn, d)
            after = rows[-1]["id"]


# XOR written with | & ~, which both engines have: (a | b) & ~(a & b) == a ^ b, on signed 64 bits.
def _xor(table: str, column: str) -> str:
    mine, theirs = f"{table}.{column}", f"excluded.{column}"
    return f"{column} = ({mine} | {theirs}) & ~({mine} & {theirs})"


_BUCKETS = " ON CONFLICT(station_id, tbl, bucket) DO UPDATE SET "
_TABLES = " ON CONFLICT(station_id, tbl) DO UPDATE SET "


def apply(conn: Conn, d: Deltas, *, values: bool = True) -> None:
    """XOR the deltas into the stored values (caller's transaction), in two statements whatever
    the number of buckets (the XOR is the database's). ``values=False``: the stamps only (for
    migration 4, before the ``vals`` columns exist)."""
    per_table: dict[tuple[str, str], list[int]] = {}
    buckets = []
    for key in sorted(d.stamps.keys() | d.values.keys() if values else d.stamps.keys()):
        s, v = d.stamps.get(key, 0) & digest.MASK, d.values.get(key, 0) & digest.MASK
        if not (s or v):
            continue
        buckets.append((*key, _signed(s), _signed(v)) if values else (*key, _signed(s)))
        t = per_table.setdefault(key[:2], [0, 0])
        t[0] ^= s
        t[1] ^= v
    tables = [
        (*k, _signed(s), _signed(v)) if values else (*k, _signed(s))
        for k, (s, v) in sorted(per_table.items())
        if s or v
    ]
    cols = ("value", "vals") if values else ("value",)
    for target, rows, keys, conflict in (
        ("srv_digest", buckets, "station_id, tbl, bucket", _BUCKETS),
        ("srv_digest_table", tables, "station_id, tbl", _TABLES),
    ):
        sets = ", ".join(_xor(target, c) for c in cols)
        conn.insert_many(f"INSERT INTO {target} ({keys}, {', '.join(cols)})", rows, conflict + sets)


def table_values(conn: Conn, station: str, kind: str = "stamps") -> dict[str, int]:
    column = KINDS[kind]
    return {
        t: v & digest.MASK
        for t, v in conn.execute(
            f"SELECT tbl, {column} FROM srv_digest_table WHERE station_id = ?", (station,)
        )
    }


def root(conn: Conn, station: str) -> str:
    return digest.root(table_values(conn, station))


def roots(conn: Conn, station: str) -> tuple[str, str]:
    """The station's stamps root and values root (one read)."""
    stamps, values = {}, {}
    for t, s, v in conn.execute(
        "SELECT tbl, value, vals FROM srv_digest_table WHERE station_id = ?", (station,)
    ):
        stamps[t], values[t] = s & digest.MASK, v & digest.MASK
    return digest.root(stamps), digest.root(values)


def bucket_string(conn: Conn, station: str, table: str, kind: str = "stamps") -> str:
    d = digest.TableDigest(
        {
            b: v
            for b, v in conn.execute(
                f"SELECT bucket, {KINDS[kind]} FROM srv_digest WHERE station_id = ? AND tbl = ?",
                (station, table),
            )
        }
    )
    return d.encode()


def differing_tables(
    conn: Conn, station: str, theirs: Mapping[str, str], kind: str = "stamps"
) -> dict[str, str]:
    """``{table: bucket string}`` of each table whose value (of the ``kind`` digest: stamps or
    values) differs from the client's."""
    mine = table_values(conn, station, kind)
    out = {}
    for table in digest.tables():
        if digest.hex64(mine.get(table, 0)) != theirs.get(table, digest.hex64(0)):
            out[table] = bucket_string(conn, station, table, kind)
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
