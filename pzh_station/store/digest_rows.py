"""The desk's side of verified convergence: its replica's digest (``pzh_core.digest``, the same
computation as the server's) and the repair of differing buckets. Every function runs on the
store's own thread, inside the caller's transaction where it writes (docs/sync-protocol.md,
"Digest")."""

from __future__ import annotations

import json
import uuid
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pzh_core import digest, schema, stored_clocks
from pzh_core.domain.erasure import is_erasure
from pzh_core.queries import in_list
from pzh_station.store import changelog
from pzh_station.store.certificates import scrub_logs
from pzh_station.store.db import Store

CACHE_KEY = "digest_cache"  # meta: the last roots computed, and the marker they were computed at
# Each opening of the file (each start of the app) computes its digests over every row once, at
# its first check: a value changed outside the app (a hand edit of the file) moves no marker, and
# is found after the next start.
_OPENED: weakref.WeakKeyDictionary[Store, str] = weakref.WeakKeyDictionary()
Roots = tuple[str, str]  # (root of the stamps' digest, root of the values' digest)


@dataclass
class Replica:
    """The table digests of this replica: of its stamps and of its values."""

    stamps: dict[str, digest.TableDigest] = field(default_factory=dict)
    values: dict[str, digest.TableDigest] = field(default_factory=dict)

    def kind(self, name: str) -> dict[str, digest.TableDigest]:
        return self.stamps if name == "stamps" else self.values

    def roots(self) -> Roots:
        return root(self.stamps), root(self.values)


def _rows(store: Store, table: str) -> Iterable[dict[str, Any]]:
    cur = store.conn.execute(f"SELECT * FROM {table} WHERE station_id = ?", (store.station_id,))
    names = [c[0] for c in cur.description]
    for values in cur:
        yield dict(zip(names, values, strict=True))


def _add(table: str, row: dict[str, Any], buckets: dict[int, list[int]]) -> None:
    """Add a row's hashes to ``buckets`` (``{bucket: [stamps, values]}``)."""
    clocks = stored_clocks.decode(table, row["clocks"])
    b = buckets.setdefault(digest.bucket_of(row["id"]), [0, 0])
    b[0] ^= digest.row_hash(table, row["id"], clocks)
    b[1] ^= digest.values_hash(table, row["id"], row, clocks)


def table_digests(store: Store) -> Replica:
    """Every covered table's digests over this station's rows."""
    out = Replica()
    for table in digest.tables():
        buckets: dict[int, list[int]] = {}
        for row in _rows(store, table):
            _add(table, row, buckets)
        out.stamps[table] = digest.TableDigest({b: v[0] for b, v in buckets.items()})
        out.values[table] = digest.TableDigest({b: v[1] for b, v in buckets.items()})
    return out


def root(digests: dict[str, digest.TableDigest]) -> str:
    return digest.root({t: d.value for t, d in digests.items()})


def _marker(store: Store) -> list[Any]:
    """What moves whenever the replica's rows or stamps move through the app: the change log's
    last seq (every local write), the sync cursor (every pulled page), the acked seq (a pushed
    batch, whose set-aside changes put the server's stamps back into rows), the device id, and
    each table's row count (a row lost outside the app); and this opening of the file (see
    ``_OPENED``)."""
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
        _OPENED.setdefault(store, uuid.uuid4().hex),
    ]


def _keep(store: Store, roots: Roots) -> None:
    cache = {"marker": _marker(store), "day": _today(), "root": roots[0], "values": roots[1]}
    store.set_meta(CACHE_KEY, json.dumps(cache))


def current(store: Store) -> tuple[Roots, Replica | None]:
    """This replica's roots — and its table digests when they had to be computed. They are
    computed over every row only when the marker moved (or once a day): a 20,000-row table
    costs most of a second to hash, an idle sync should not pay it."""
    try:
        cache = json.loads(store.meta(CACHE_KEY) or "{}")
    except ValueError:
        cache = {}
    if (
        cache.get("marker") == _marker(store)
        and cache.get("day") == _today()
        and cache.get("root")
        and cache.get("values")
    ):
        return (str(cache["root"]), str(cache["values"])), None
    digests = table_digests(store)
    roots = digests.roots()
    _keep(store, roots)
    return roots, digests


def _rows_in(store: Store, table: str, buckets: Iterable[int]) -> Iterable[dict[str, Any]]:
    """This station's rows of ``table`` in ``buckets``, as stored: their ids first (a scan of
    the id index), then only those rows (a 20,000-row table has ~80 per bucket)."""
    wanted = set(buckets)
    ids = [
        i
        for (i,) in store.conn.execute(
            f"SELECT id FROM {table} WHERE station_id = ?", (store.station_id,)
        )
        if digest.bucket_of(i) in wanted
    ]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        cur = store.conn.execute(f"SELECT * FROM {table} WHERE {in_list('id', chunk)}", chunk)
        names = [c[0] for c in cur.description]
        for values in cur:
            yield dict(zip(names, values, strict=True))


def _local_rows(store: Store, table: str, buckets: set[int]) -> dict[str, dict[str, Any]]:
    """``{id: decoded row}`` of this station's rows of ``table`` in ``buckets``."""
    from pzh_station.store.db import decode_row

    return {r["id"]: decode_row(table, r) for r in _rows_in(store, table, buckets)}


def refresh_buckets(store: Store, digests: Replica, wanted: dict[str, list[int]]) -> Roots:
    """Recompute only the wanted buckets of ``digests`` (after a repair), store the new roots as
    the cache (so no full pass follows) and return them."""
    for table, listed in wanted.items():
        buckets: dict[int, list[int]] = {b: [0, 0] for b in listed}
        for row in _rows_in(store, table, listed):
            _add(table, row, buckets)
        for kind, index in (("stamps", 0), ("values", 1)):
            d = digests.kind(kind).setdefault(table, digest.TableDigest())
            for b, v in buckets.items():
                d.buckets[b] = v[index]
    roots = digests.roots()
    _keep(store, roots)
    return roots


def _today() -> str:
    import datetime as dt

    return dt.date.today().isoformat()


def repair(
    store: Store, wanted: dict[str, list[int]], server_rows: Iterable[list[Any]]
) -> tuple[int, int]:
    """Merge the server's rows of the wanted buckets, field by field with their own stamps; take
    the server's value of a field held under the same stamp with another value (the server's
    copy is the reference: docs/sync-protocol.md, "Digest"); and log again every local field the
    server lacks or holds at an older stamp (so the next push takes it up). Returns ``(fields
    taken, fields logged again)``; caller's transaction."""
    theirs: dict[tuple[str, str], tuple[dict[str, Any], dict[str, str]]] = {
        (t, i): (f, c) for t, i, f, c in server_rows
    }
    taken = logged = 0
    store.conn.execute("DELETE FROM meta WHERE key = ?", (CACHE_KEY,))  # rows move: recompute
    for table, buckets in wanted.items():
        mine = _local_rows(store, table, set(buckets))
        taken += _take_newer(store, table, theirs)
        taken += _take_same_stamp(store, table, mine, theirs)
        logged += _log_newer(store, table, mine, theirs)
    return taken, logged


Theirs = dict[tuple[str, str], tuple[dict[str, Any], dict[str, str]]]


def _take_newer(store: Store, table: str, theirs: Theirs) -> int:
    """Merge the server's fields of ``table`` (only newer stamps win); the fields taken."""
    station = store.station_id or ""
    taken = 0
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
    return taken


def _take_same_stamp(
    store: Store, table: str, mine: dict[str, dict[str, Any]], theirs: Theirs
) -> int:
    """Fields this replica holds under the server's stamp but with another value take the
    server's value, stamp kept (no change is logged: the server holds it already)."""
    types = schema.TABLES[table]
    taken = 0
    for row_id, row in mine.items():
        values, stamps = theirs.get((table, row_id), ({}, {}))
        clocks = stored_clocks.decode(table, row.get("clocks"))
        fix = {
            name: values[name]
            for name, stamp in stamps.items()
            if name in types
            and name in values
            and clocks.get(name) == stamp
            and digest.canonical_value(types[name], values[name])
            != digest.canonical_value(types[name], row.get(name))
        }
        if not fix:
            continue
        changelog.keep_old(store, table, row_id, clocks, fix)  # the entry keeps what it wrote
        sets = ", ".join(f"{name} = ?" for name in fix)
        encoded = [schema.encode_value(types[n], v) for n, v in fix.items()]
        store.conn.execute(f"UPDATE {table} SET {sets} WHERE id = ?", (*encoded, row_id))
        store.note_changed(table, pulled=True)
        taken += len(fix)
    return taken


def _log_newer(store: Store, table: str, mine: dict[str, dict[str, Any]], theirs: Theirs) -> int:
    """Log again each local field the server lacks or holds at an older stamp; the count."""
    logged = 0
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
    return logged
