"""Verified convergence, the client's side (docs/sync-protocol.md, "Digest").

The last answer of a sync carries the server's roots of the station: of its stamps (``digest``)
and of its values (``values``). The client computes its own (``pzh_station.store.digest_rows``,
the core's computation over its rows): both equal, and the sync is verified — no extra request.
Different, and it asks which tables differ (``verify`` for the stamps first, else
``verify_values``; their bucket values come back), fetches only the rows of the differing
buckets, merges them field by field (a field under the server's stamp with another value takes
the server's), logs again what the server lacks; the caller's loop then pushes that and verifies
again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from pzh_core import digest
from pzh_station.store import Store, digest_rows
from pzh_station.sync_client.errors import SyncError
from pzh_station.sync_client.steps import RunDb

log = logging.getLogger(__name__)

FETCH_BUCKETS = 16  # buckets per request (the server's MAX_FETCH_BUCKETS)
Post = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class Check:
    """What one verification did."""

    verified: bool = False
    requests: int = 0
    tables: tuple[str, ...] = ()  # tables that differed
    buckets: int = 0  # buckets whose rows were fetched
    taken: int = 0  # fields taken from the server's rows
    logged: int = 0  # local fields logged again for the next push


def check(run_db: RunDb, post: Post, server: tuple[str, str | None], base: dict[str, Any]) -> Check:
    """Compare with the server's ``(stamps root, values root)`` (values ``None``: an older server
    without it); on a mismatch repair the differing buckets — the stamps first, then the values.

    :param post: sends one ``/v1/sync`` body (``base`` plus the verification keys); the pulled
        entries of its answer are not applied (the cursor stays; the next sync pulls them).
    :param base: the body of a request that pushes nothing at the client's cursor.
    """
    out = Check()
    mine, digests = run_db(digest_rows.current)
    if digests is None and not _equal(mine, server):  # the cache differs: look at every row
        digests = run_db(digest_rows.table_digests)
        mine = digests.roots()
    for _ in range(2):  # a repair of the stamps, then one of the values
        if _equal(mine, server):
            out.verified = True
            return out
        assert digests is not None
        kind = "stamps" if mine[0] != server[0] else "values"
        wanted = _differing_buckets(post, base, digests.kind(kind), out, kind)
        fetched = _repair(run_db, post, base, wanted, out)
        log.warning(
            "replica's %s differed from the server's in %s (%d buckets): took %d fields,"
            " re-logged %d", kind, ", ".join(out.tables), out.buckets, out.taken, out.logged,
        )  # fmt: skip
        if out.logged:
            return out  # the caller pushes them, then verifies again
        # Only the repaired buckets changed here: recompute those, not every row.
        mine = run_db(partial(digest_rows.refresh_buckets, digests=digests, wanted=fetched))
        answer = post(base)
        out.requests += 1
        server = (answer.get("digest"), answer.get("values"))  # type: ignore[assignment]
    out.verified = _equal(mine, server)
    return out


def _equal(mine: tuple[str, str], server: tuple[str, str | None]) -> bool:
    return mine[0] == server[0] and (server[1] is None or mine[1] == server[1])


def _differing_buckets(
    post: Post,
    base: dict[str, Any],
    mine: dict[str, digest.TableDigest],
    out: Check,
    kind: str = "stamps",
) -> list[tuple[str, int]]:
    """Ask which tables differ (their bucket values come back); the buckets that differ."""
    key = "verify" if kind == "stamps" else "verify_values"
    values = {t: digest.hex64(d.value) for t, d in mine.items() if d.value}
    answer = post({**base, key: values})
    out.requests += 1
    differ = answer.get(key)
    if not isinstance(differ, dict):
        raise SyncError("bad_response", f"核对回答缺少 {key}")
    out.tables = tuple(sorted(set(out.tables) | set(differ)))
    wanted: list[tuple[str, int]] = []
    for table, text in sorted(differ.items()):
        try:
            theirs = digest.TableDigest.decode(text)
        except ValueError as exc:
            raise SyncError("bad_response", f"核对回答格式不对：{exc}") from exc
        own = mine.get(table, digest.TableDigest()).buckets
        wanted += [(table, b) for b in digest.differing_buckets(own, theirs)]
    out.buckets += len(wanted)
    return wanted


def _repair(
    run_db: RunDb, post: Post, base: dict[str, Any], wanted: list[tuple[str, int]], out: Check
) -> dict[str, list[int]]:
    """Fetch the server's rows of the wanted buckets (16 a request) and merge them; returns the
    buckets fetched, by table."""
    fetched: dict[str, list[int]] = {}
    for i in range(0, len(wanted), FETCH_BUCKETS):
        chunk: dict[str, list[int]] = {}
        for table, b in wanted[i : i + FETCH_BUCKETS]:
            chunk.setdefault(table, []).append(b)
        rows = post({**base, "fetch": chunk}).get("rows")
        out.requests += 1
        if not isinstance(rows, list):
            raise SyncError("bad_response", "核对回答缺少 rows")

        def repair(store: Store, chunk=chunk, rows=rows) -> tuple[int, int]:
            with store.transaction():
                return digest_rows.repair(store, chunk, rows)

        taken, logged = run_db(repair)
        out.taken += taken
        out.logged += logged
        for table, buckets in chunk.items():
            fetched.setdefault(table, []).extend(buckets)
    return fetched
