"""Writing the replica tables and the feed, on either engine: the rows a batch touches
(:func:`fetch_rows`), the merged rows (:func:`write_rows`), the feed (:func:`append_feed`, the
one place that writes it), the server's clock (:class:`ServerClock`) and one change the server
makes itself (:func:`apply_change`). Merging a pushed batch is :mod:`sync.server.push_merge`.

Concurrency (several server processes on PostgreSQL): a transaction that writes a station's
replica rows first locks that station's ``srv_stations`` row (:func:`lock_station`), so two
devices of one station, or a device and the server, merge one after the other and never lose a
field; the feed is appended last, under the feed lock held until commit, so seqs become visible
in order. The server's clock is the ``hlc_last`` row of ``srv_meta`` (:class:`ServerClock`),
locked only by the transactions that stamp something, so two processes never issue one stamp.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from pzh_core import hlc, merge, schema, stored_clocks
from sync.server import replica_digest
from sync.server.db import aggregates
from sync.server.db.conn import Conn

SERVER_DEVICE = "server"  # device part of stamps made by the server itself
CHUNK = 500  # ids per ``IN (…)``: well under SQLite's parameter limit
_FEED_INSERT = (
    "INSERT INTO srv_feed (station_id, tbl, row_id, stamp, fields, origin, replaced, operator)"
)


class RowState:
    """A row while a batch is merged into it: its field stamps, the values that won, whether it
    exists in the table already, and its values before the batch (for the rules' checks)."""

    __slots__ = ("clocks", "before", "values", "exists", "base")

    def __init__(
        self, clocks: dict[str, str], exists: bool, base: dict[str, Any] | None = None
    ) -> None:
        self.clocks = clocks
        self.before = dict(clocks)  # the field stamps before the batch (for the digest)
        self.values: dict[str, Any] = {}
        self.exists = exists
        self.base = base or {}

    def current(self) -> dict[str, Any]:
        return {**self.base, **self.values}


_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # built once, not per call


def compact(value: Any) -> str:
    return _COMPACT.encode(value)


def lock_station(c: Conn, station_id: str) -> bool:
    """Lock a station's row until the transaction ends (PostgreSQL): every transaction that
    writes the station's replica rows takes it first. False when there is no such station."""
    return (
        c.one("SELECT id FROM srv_stations WHERE id = ?" + c.dialect.for_update, (station_id,))
        is not None
    )


class ServerClock:
    """The server's hybrid clock within one transaction: read (and locked) from ``srv_meta`` at
    the first stamp, written back after each, so every process continues the one sequence."""

    def __init__(self, c: Conn, wall: Callable[[], int]) -> None:
        self._c = c
        self._wall = wall
        self._clock: hlc.HybridClock | None = None
        self._seen = hlc.ZERO

    def observe(self, stamp: str) -> None:
        """Remember a stamp of this transaction; the next server stamp comes after it."""
        self._seen = max(self._seen, stamp)

    def now(self, observed: Iterable[str] = ()) -> str:
        """A new server stamp, after every stamp issued before, every one observed in this
        transaction and every one in ``observed`` (the stamps of the row it will be merged into,
        so it wins there)."""
        if self._clock is None:
            row = self._c.one(
                "SELECT value FROM srv_meta WHERE key = 'hlc_last'" + self._c.dialect.for_update
            )
            self._clock = hlc.HybridClock(
                SERVER_DEVICE, last=row[0] if row else None, wall=self._wall
            )
        for stamp in (self._seen, *observed):
            if stamp != hlc.ZERO:
                self._clock.observe(stamp)
        made = self._clock.now()
        self._c.execute(
            "INSERT INTO srv_meta (key, value) VALUES ('hlc_last', ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (made,),
        )
        return made


def append_feed(c: Conn, entries: Sequence[tuple[Any, ...]]) -> None:
    """Append ``(station_id, tbl, row_id, stamp, fields, origin, replaced, operator)`` entries to
    the feed:
    the last writes of a transaction, under the feed lock (see the module's notes)."""
    if entries:
        c.lock_feed()
        c.insert_many(_FEED_INSERT, entries)


def _decode(table: str, row: Any) -> dict[str, Any]:
    """A replica row's field values as a change carries them (lists and objects parsed)."""
    return {
        name: schema.decode_value(kind, row[name]) for name, kind in schema.TABLES[table].items()
    }


def fetch_rows(
    conn: Conn, todo: Sequence[tuple[int, dict[str, Any]]]
) -> dict[tuple[str, str], tuple[str, str, dict[str, Any]]]:
    """``(table, id) -> (station_id, clocks, field values)`` of the rows a batch touches that
    exist."""
    ids: dict[str, set[str]] = {}
    for _, change in todo:
        ids.setdefault(change["t"], set()).add(change["id"])
    found: dict[tuple[str, str], tuple[str, str, dict[str, Any]]] = {}
    for table, wanted in ids.items():
        listed = sorted(wanted)
        for i in range(0, len(listed), CHUNK):
            chunk = listed[i : i + CHUNK]
            where, params = conn.in_texts("id", chunk)
            for r in conn.execute(f"SELECT * FROM {table} WHERE {where}", params):
                found[(table, r["id"])] = (r["station_id"], r["clocks"], _decode(table, r))
    return found


@functools.lru_cache(maxsize=4096)
def _encoded(table: str, names: tuple[str, ...]) -> tuple[int, ...]:
    """The positions in ``names`` whose values the columns store encoded (lists, objects,
    bools: ``schema.encode_value``); the others are stored as they are."""
    types = schema.TABLES[table]
    return tuple(i for i, n in enumerate(names) if types[n] in schema.ENCODED_KINDS)


def write_rows(conn: Conn, station: str, rows: dict[tuple[str, str], RowState]) -> None:
    """Write the merged rows of a batch, grouped so that each shape is one executemany."""
    groups: dict[tuple[str, bool, tuple[str, ...]], list[tuple[Any, ...]]] = {}
    deltas = replica_digest.Deltas()
    for (table, row_id), state in rows.items():
        if not state.values:
            continue
        # the digests' deltas and the row's stored meta (updated_at, device_id, clocks)
        meta = deltas.write(
            station, table, row_id, (state.before, state.base), (state.clocks, state.current())
        )
        # Grouped by the fields written, in the change's order (one client sends one order).
        names = tuple(state.values)
        values = [state.values[n] for n in names]
        for i in _encoded(table, names):
            values[i] = schema.encode_value(schema.TABLES[table][names[i]], values[i])
        if state.exists:
            groups.setdefault((table, True, names), []).append((*values, *meta, row_id))
        else:
            groups.setdefault((table, False, names), []).append((row_id, station, *values, *meta))
    for (table, exists, names), params in groups.items():
        cols = (*names, "updated_at", "device_id", "clocks")
        if exists:
            sets = ", ".join(f"{c} = ?" for c in cols)
            conn.executemany(f"UPDATE {table} SET {sets} WHERE id = ?", params)
        else:
            all_cols = ("id", "station_id", *cols)
            conn.insert_many(f"INSERT INTO {table} ({', '.join(all_cols)})", params)
    replica_digest.apply(conn, deltas)  # the station's digest moves with its rows


def apply_change(
    conn: Conn,
    station: str,
    table: str,
    row_id: str,
    fields: dict[str, Any],
    clock: ServerClock,
    origin: str = SERVER_DEVICE,
    operator: str = "",
) -> bool:
    """Merge one change the server makes, stamped by ``clock`` once it is known to be valid and
    after the row's own stamps (so it wins), into its replica row; append what won to the feed.

    Raises ``KeyError`` for fields the table does not sync and ``ValueError`` for a row of
    another station."""
    types = schema.fields_of(table)
    unknown = set(fields) - set(types)
    if unknown:
        raise KeyError(f"{table} has no synced fields {sorted(unknown)}")
    lock_station(conn, station)
    # The whole row: its values before count in the digest of values.
    row = conn.execute(f"SELECT * FROM {table} WHERE id = ?", (row_id,)).fetchone()
    if row is not None and row["station_id"] != station:
        raise ValueError(f"{table} row {row_id} belongs to another station")
    clocks = stored_clocks.decode(table, row["clocks"]) if row is not None else {}
    state = RowState(clocks, row is not None, _decode(table, row) if row is not None else None)
    made = clock.now(state.clocks.values())
    won, state.clocks = merge.merge(state.clocks, dict(fields), made)
    if not won:
        return False
    state.values.update(won)
    write_rows(conn, station, {(table, row_id): state})
    aggregates.after_write(conn, station, {(table, row_id): state})
    append_feed(conn, [(station, table, row_id, made, compact(won), origin, None, operator)])
    return True
