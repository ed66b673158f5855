"""The sync agent core: enrollment and one full sync. No Qt; the UI and the CLI both use it.

One full sync is a loop of exchanges (``POST /v1/sync``), each pushing one size-capped batch of
the change log after the acked seq and pulling one page of the station's feed after the cursor.
Each page is applied (``store.replica.apply_feed``) in the same transaction that stores the new
cursor and acked seq, so an interruption at any byte resumes without loss: a batch resent after
a lost answer is ignored by the server (it knows the device seqs it holds), and a page pulled
twice merges to the same rows. The loop ends when nothing is left to push and the server says
there is no ``more``; an idle sync is one request.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from pzh_core import protocol
from pzh_station import __version__
from pzh_station.store import Store, sync_state
from pzh_station.store.sync_state import SyncState
from pzh_station.sync_client import answers, enrollment, rekey, verify
from pzh_station.sync_client.enrollment import EnrollResult
from pzh_station.sync_client.errors import SyncError
from pzh_station.sync_client.progress import ProgressFn, SyncCancelled, SyncProgress
from pzh_station.sync_client.steps import RunDb, direct, wall_source
from pzh_station.sync_client.transport import RetryPolicy, Transport

log = logging.getLogger(__name__)

PUSH_MAX_CHANGES = protocol.MAX_PUSH
# Uncompressed bytes per pushed batch: ~15-25 KB gzipped, a few seconds on 2G, so a cut link
# costs little, while a typical day still goes in one or two requests.
PUSH_MAX_BYTES = 96 * 1024
PULL_LIMIT = protocol.MAX_PULL
MAX_REPAIRS = 3  # digest repairs per sync (each may log fields again and push them)
MAX_ROUNDS = 10_000  # a guard against a server that never says "no more"

TransportFactory = Callable[..., Transport]
__all__ = ["EnrollResult", "RunDb", "SyncClient", "SyncResult", "enroll", "sync"]


@dataclass
class SyncResult:
    """What one full sync did."""

    pushed: int = 0
    pulled: int = 0
    requests: int = 0
    body_bytes_up: int = 0
    body_bytes_down: int = 0
    pending: int = 0
    rewound_rows: int = 0
    verified: bool = False  # the replica's digest equals the server's (同步完成 only then)
    checks: list[verify.Check] = field(default_factory=list)  # digest repairs this sync made
    rekeyed_from: str = ""  # this file's history had forked: the old device id it left
    set_aside: int = 0  # changes the server refused in this sync (kept in the set-aside list)
    tables: set[str] = field(default_factory=set)  # tables that received rows from the server


class SyncClient:
    """Sync one station database with the city server.

    Network here, SQL in the store: every step that reads or writes the station file is a
    function of the :class:`Store` handed to ``run_db``, which runs it where the store lives.
    The CLI and the tests pass the open store (``run_db`` calls the step directly); the desk app
    runs the steps as tasks on its database worker, the file's only owner, and keeps this loop
    on its network thread.

    :param store: the open store (belongs to the calling thread); or None with ``run_db``.
    :param run_db: ``run_db(step)`` runs ``step(store)`` on the store's thread and returns its
        result (or raises its exception).
    :param ca_bundle: PEM file of a city's own CA (Settings key ``ca_bundle``); None: public CAs.
    :param retry: retry policy of each request.
    :param transport_factory: builds the :class:`Transport` (tests count bytes through it).
    """

    def __init__(
        self,
        store: Store | None = None,
        *,
        run_db: RunDb | None = None,
        ca_bundle: str | None = None,
        retry: RetryPolicy | None = None,
        transport_factory: TransportFactory = Transport,
        push_max_bytes: int = PUSH_MAX_BYTES,
        progress: ProgressFn | None = None,
    ) -> None:
        if run_db is None:
            if store is None:
                raise TypeError("SyncClient needs a store or run_db")
            run_db = direct(store)
        self.db = run_db
        self.ca_bundle = ca_bundle or None
        self.retry = retry
        self.transport_factory = transport_factory
        self.push_max_bytes = push_max_bytes
        self.last_transport: Transport | None = None
        self.progress = progress  # called after each exchange; may raise SyncCancelled
        self._progress = SyncProgress()

    def _transport(self, url: str, token: str | None = None) -> Transport:
        t = self.transport_factory(url, token=token, ca_bundle=self.ca_bundle, retry=self.retry)
        self.last_transport = t
        return t

    # -- status -------------------------------------------------------------------------
    def state(self) -> SyncState:
        return self.db(SyncState.load)

    # -- enrollment ---------------------------------------------------------------------
    def enroll(self, server_url: str, code: str, *, device_name: str | None = None) -> EnrollResult:
        """Enroll this PC with a one-time code.

        On a fresh PC the station comes from the server. On a PC that has worked offline under a
        station id of its own, every local row is moved to the server's station id and the whole
        change log stays pending, in one transaction, so everything recorded before is pushed by
        the next sync (``sync_client/enrollment.py``).

        :param server_url: the server address (``https://`` is assumed when missing).
        :param code: the enrollment code (spaces and dashes are ignored, case too).
        :raises SyncError: with a Chinese message.
        """
        return enrollment.enroll(self, server_url, code, name=device_name)

    # -- sync ---------------------------------------------------------------------------
    def sync(self) -> SyncResult:
        """One full sync: push everything pending, pull everything new.

        :raises SyncError: with a Chinese message (also recorded as the last error).
        """

        def begin(store: Store) -> tuple[SyncState, str | None]:
            sync_state.put(store, sync_last_attempt=sync_state.utc_now_iso())
            return SyncState.load(store), store.station_id

        st, station = self.db(begin)
        if not st.enrolled or not station:
            err = SyncError("not_enrolled" if not st.enrolled else "no_station")
            self._record_error(err)
            raise err
        result = SyncResult()
        self._progress = SyncProgress(push_total=st.pending)
        try:
            try:
                self._run(st.server_url, st.token, result)
            except SyncError as exc:
                if exc.kind != "rekey_required":
                    raise
                # This file is not the one that last synced under this id (a restored backup,
                # a copied folder, a seq the server never saw): become a new device, pull from 0.
                result.rekeyed_from = st.device_id
                token = rekey.rekey(self, st.server_url, st.token)
                self._run(st.server_url, token, result)
        except SyncError as exc:
            if not isinstance(exc, SyncCancelled):  # a person stopped it: nothing went wrong
                self._record_error(exc)
            raise

        def finish(store: Store) -> int:
            sync_state.put(
                store,
                sync_last_success=sync_state.utc_now_iso(),
                sync_last_error="",
                sync_last_error_kind="",
            )
            return sync_state.pending_count(store)

        result.pending = self.db(finish)
        return result

    def _run(self, url: str, token: str, result: SyncResult) -> None:
        transport = self._transport(url, token)
        try:
            self._loop(transport, result)
        finally:
            transport.close()
            result.requests += transport.stats.requests
            result.body_bytes_up += transport.stats.body_bytes_up
            result.body_bytes_down += transport.stats.body_bytes_down

    def _record_error(self, exc: SyncError) -> None:
        try:
            self.db(
                lambda s: sync_state.put(
                    s, sync_last_error=exc.message, sync_last_error_kind=exc.kind
                )
            )
        except Exception:  # noqa: BLE001 - never hide the sync error behind a store error
            log.exception("could not record the sync error")

    def _loop(self, transport: Transport, result: SyncResult) -> None:
        first_request = True
        for _ in range(MAX_ROUNDS):
            acked, cursor, batch, wall = self.db(self._prepare)
            sent = wall()
            report = self.db(answers.unreported_check) if first_request else None
            first_request = False
            resp = transport.post(
                "/v1/sync",
                {
                    **({"verified": report} if report is not None else {}),
                    "client_time_ms": sent,
                    "acked_seq": acked,  # the server checks this file's history (device epoch)
                    "app_version": __version__,
                    "push": batch,
                    "cursor": cursor,
                    "limit": PULL_LIMIT,
                },
            )
            received = wall()
            answer = answers.parse_sync(resp)
            if batch and answer.acked < batch[-1]["seq"]:
                # The server answered 200 but does not hold what we sent: never loop on it.
                raise SyncError("refused", f"服务器只确认到第 {answer.acked} 条")
            shown = answers.shown_mark(batch, acked, answer.acked)
            cursor = max(answer.cursor, cursor)
            tables, rewound, pending = self.db(
                partial(
                    answers.apply_answer,
                    answer=answer,
                    cursor=cursor,
                    acked=min(answer.acked, shown),
                    timing=(sent, received),
                )
            )
            result.tables |= tables
            result.rewound_rows += rewound
            result.pushed += len(batch)
            result.pulled += len(answer.feed)
            result.set_aside += len(answer.refused)
            self._report(transport, len(batch), len(answer.feed), answer.more, answer.remaining)
            if not answer.more and pending == 0 and answer.acked <= shown:
                if answer.digest is None or len(result.checks) >= MAX_REPAIRS:
                    return  # an older server without a digest, or repairs that did not hold
                roots = (answer.digest, answer.values)
                done = self._verify(transport, roots, answer.acked, cursor)
                result.checks.append(done)
                result.verified = done.verified
                if done.verified or not done.logged:
                    return
                # Fields the server lacked were logged again: push them, then verify again.
        raise SyncError("bad_response", "同步轮次过多")

    def _report(
        self, transport: Transport, pushed: int, pulled: int, more: bool, remaining: Any
    ) -> None:
        """Progress after one exchange (both halves of it are stored by now)."""
        p = self._progress
        p.pushed = min(p.push_total, p.pushed + pushed) if p.push_total else p.pushed + pushed
        p.pulled += pulled
        if more and isinstance(remaining, int) and not isinstance(remaining, bool):
            p.pull_total = p.pulled + max(0, remaining)
        elif not more:  # everything there was to pull has come
            p.pull_total = p.pulled
        p.bytes_up = transport.stats.body_bytes_up
        p.bytes_down = transport.stats.body_bytes_down
        if self.progress is not None:
            self.progress(p)

    def _verify(
        self, transport: Transport, server_root: tuple[str, str | None], acked: int, cursor: int
    ) -> verify.Check:
        """Compare the digests; repair differing buckets (docs/sync-protocol.md, "Digest")."""
        base = {"push": [], "acked_seq": acked, "cursor": cursor, "limit": 1}
        done = verify.check(
            self.db, lambda body: transport.post("/v1/sync", body), server_root, base
        )
        self.db(
            lambda s: sync_state.put(
                s,
                sync_verified=sync_state.utc_now_iso() if done.verified else "",
                sync_digest_differs=",".join(done.tables),
                # A verify request told the server of the mismatch: tell it the outcome next.
                **({"sync_verified_reported": "False"} if done.requests else {}),
            )
        )
        return done

    def _prepare(self, store: Store) -> tuple[int, int, list[dict[str, Any]], Callable[[], int]]:
        """What the next exchange sends: acked seq, cursor, the batch (and the time source).
        No rewind here: the offset may be stale (the PC's clock was corrected since); only a
        server answer tells the time (``answers.apply_answer``, which never re-stamps rows)."""
        acked = int(store.meta("sync_acked_seq") or 0)
        cursor = int(store.meta("sync_cursor") or 0)
        return acked, cursor, self._batch(store, acked), wall_source(store)

    def _batch(self, store: Store, acked: int) -> list[dict[str, Any]]:
        """Pending changes after ``acked``, oldest first, capped in count and bytes."""
        batch: list[dict[str, Any]] = []
        size = 0
        for ch in store.pending_changes(acked, limit=PUSH_MAX_CHANGES):
            item = {
                "seq": ch["seq"],
                "t": ch["tbl"],
                "id": ch["row_id"],
                "s": ch["stamp"],
                "f": ch["fields"],
            }
            if ch.get("operator"):
                item["o"] = ch["operator"][: protocol.MAX_OPERATOR]
            n = len(json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
            if batch and size + n > self.push_max_bytes:
                break
            batch.append(item)
            size += n
        return batch


def enroll(store: Store, server_url: str, code: str, **kwargs: Any) -> EnrollResult:
    """Shortcut for ``SyncClient(store, **kwargs).enroll(server_url, code)``."""
    return SyncClient(store, **kwargs).enroll(server_url, code)


def sync(store: Store, **kwargs: Any) -> SyncResult:
    """Shortcut for ``SyncClient(store, **kwargs).sync()``."""
    return SyncClient(store, **kwargs).sync()
