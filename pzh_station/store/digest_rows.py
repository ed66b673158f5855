"""The desk's side of verified convergence: its replica's digest (``pzh_core.digest``, the same
computation as the server's) and the repair of differing buckets. Every function runs on the
store's own thread, inside the caller's transaction where it writes (docs/sync-protocol.md,
"Digest")."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from pzh_core import digest, schema, stored_clocks
from pzh_core.domain.erasure import is_erasure
from pzh_station.store.certificates import scrub_logs
from pzh_station.store.db import Store

CACHE_KEY = "digest_cache"  # meta: the last root computed, and the marker it was computed at


def table_digests(store: Store) -> dict[str, digest.TableDigest]:
    """Every covered table's digest over this station's rows."""
    station = store.station_id or ""
    out = {}
    for table in digest.tables():
        rows = store.conn.execute(
            f"SELECT id, clocks FROM {table} WHERE station_id = ?", (station,)
        )
        out[table] = digest.table_digest(table, rows)
    return out


def root(digests: dict[str, digest.TableDigest]) -> str:
    return digest.root({t: d.value for t, d in digests.items()})


def _marker(store: Store) -> list[Any]:
    """What moves whenever the replica's rows or stamps move through the app: the change log's
    last seq (every local write), the sync cursor (every pulled page), the acked seq (a pushed
    batch, whose set-aside changes put the server's stamps back into rows), the device id, and
    each table's row count (a row lost outside the app)."""
    counts = [
        store.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in digest.tables()
    ]
    last = store.conn.execute("SELECT coalesce(max(seq), 0) FROM changes").fetchone()[0]
    return [
        last,
        store.meta("sync_cursor"),
        store.meta("sync_acked_seq"),
        store.meta("sync_device_id"),
        counts,
    ]


def current(store: Store) -> tuple[str, dict[str, digest.TableDigest] | None]:
    """This replica's root — and its table digests when they had to be computed. They are
    computed over every row only when the marker moved (or once a day): a 20,000-row table
    costs most of a second to hash, an idle sync should not pay it."""
    marker, today = _marker(store), _today()
    try:
        cache = json.loads(store.meta(CACHE_KEY) or "{}")
    except ValueError:
        cache = {}
    if cache.get("marker") == marker and cache.get("day") == today and cache.get("root"):
        return str(cache["root"]), None
    digests = table_digests(store)
    value = root(digests)
    store.set_meta(CACHE_KEY, json.dumps({"marker": marker, "day": today, "root": value}))
    return value, digests


def _local_rows(store: Store, table: str, buckets: set[int]) -> dict[str, dict[str, Any]]:
    """``{id: decoded row}`` of this station's rows of ``table`` in ``buckets``."""
    from pzh_station.store.db import decode_row

    out = {}
    cur = store.conn.execute(f"SELECT * FROM {table} WHERE station_id = ?", (store.station_id,))
    names = [c[0] for c in cur.description]
    for values in cur:
        row = dict(zip(names, values, strict=True))
        if digest.bucket_of(row["id"]) in buckets:
            out[row["id"]] = decode_row(table, row)
    return out


def refresh_buckets(
    store: Store, digests: dict[str, digest.TableDigest], wanted: dict[str, list[int]]
) -> str:
    """Recompute only the wanted buckets of ``digests`` (after a repair), store the new root as
    the cache (so no full pass follows) and return it."""
    station = store.station_id or ""
    for table, buckets in wanted.items():
        d = digests.setdefault(table, digest.TableDigest())
        fresh = {b: 0 for b in buckets}
        for row_id, clocks in store.conn.execute(
            f"SELECT id, clocks FROM {table} WHERE station_id = ?", (station,)
        ):
            b = digest.bucket_of(row_id)
            if b in fresh:
                fresh[b] ^= digest.row_hash(table, row_id, clocks)
        for b, v in fresh.items():
            d.buckets[b] = v
    value = root(digests)
    store.set_meta(
        CACHE_KEY,
        json.dumps({"marker": _marker(store), "day": _today(), "root": value}),
    )
    return value


def _today() -> str:
    import datetime as dt

    return dt.date.today().isoformat()


def repair(
    store: Store, wanted: dict[str, list[int]], server_rows: Iterable[list[Any]]
) -> tuple[int, int]:
    """Merge the server's rows of the wanted buckets, field by field with their own stamps, and
    log again every local field the server lacks or holds at an older stamp (so the next push
    takes it up). Returns ``(fields taken, fields logged again)``; caller's transaction."""
    station = store.station_id or ""
    theirs: dict[tuple[str, str], tuple[dict[str, Any], dict[str, str]]] = {
        (t, i): (f, c) for t, i, f, c in server_rows
    }
    taken = logged = 0
    store.conn.execute("DELETE FROM meta WHERE key = ?", (CACHE_KEY,))  # rows move: recompute
    for table, buckets in wanted.items():
        mine = _local_rows(store, table, set(buckets))
        for (t, row_id), (values, stamps) in theirs.items():
            if t != table:
                continue
            by_stamp: dict[str, dict[str, Any]] = {}
            for name, stamp in stamps.items():
                by_stamp.setdefault(stamp, {})[name] = values[name]
            for stamp, fields in sorted(by_stamp.items()):
                if store.apply_remote(table, row_id, station, fields, stamp):
                    taken += len(fields)
                if is_erasure(table, fields):
                    scrub_logs(store, row_id)
        for row_id, row in mine.items():
            _, server_stamps = theirs.get((table, row_id), ({}, {}))
            clocks = stored_clocks.decode(table, row.get("clocks"))
            newer: dict[str, dict[str, Any]] = {}
            for name, stamp in clocks.items():
                if name in schema.TABLES[table] and stamp > server_stamps.get(name, ""):
                    newer.setdefault(stamp, {})[name] = row[name]
            for stamp, fields in sorted(newer.items()):
                store.conn.execute(
                    "INSERT INTO changes (tbl, row_id, stamp, fields) VALUES (?, ?, ?, ?)",
                    (table, row_id, stamp, json.dumps(fields, ensure_ascii=False)),
                )
                logged += len(fields)
    return taken, logged
