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
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from pzh_core import hlc, protocol, schema
from pzh_station import __version__
from pzh_station.store import Store, replica, set_aside, sync_state
from pzh_station.store.sync_state import SyncState
from pzh_station.sync_client import clock, rekey, verify
from pzh_station.sync_client.errors import SyncError
from pzh_station.sync_client.progress import ProgressFn, SyncCancelled, SyncProgress
from pzh_station.sync_client.transport import RetryPolicy, Transport, normalise_url

log = logging.getLogger(__name__)

PUSH_MAX_CHANGES = protocol.MAX_PUSH
# Uncompressed bytes per pushed batch: ~15-25 KB gzipped, a few seconds on 2G, so a cut link
# costs little, while a typical day still goes in one or two requests.
PUSH_MAX_BYTES = 96 * 1024
PULL_LIMIT = protocol.MAX_PULL
MAX_REPAIRS = 3  # digest repairs per sync (each may log fields again and push them)
MAX_ROUNDS = 10_000  # a guard against a server that never says "no more"

TransportFactory = Callable[..., Transport]
RunDb = Callable[[Callable[[Store], Any]], Any]


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


@dataclass
class EnrollResult:
    device_id: str
    station_id: str
    station_name: str
    kept_changes: int  # local changes kept for the first push (a PC that worked offline)
    adopted: dict[str, tuple] = field(default_factory=dict)  # {field: (typed here, server's)}


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
            run_db = _direct(store)
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
        the next sync.

        :param server_url: the server address (``https://`` is assumed when missing).
        :param code: the enrollment code (spaces and dashes are ignored, case too).
        :raises SyncError: with a Chinese message.
        """
        url = normalise_url(server_url)
        code = "".join(ch for ch in (code or "") if ch.isalnum()).upper()
        if not code:
            raise SyncError("bad_code", "未填写注册码")
        local_device, enrolled_station, wall = self.db(
            lambda s: (s.device_id, s.meta("sync_station_id"), wall_source(s))
        )
        # Kept until it succeeds: a retry after a lost answer gets the same device.
        request_id = self.db(lambda s: sync_state.request_id(s, "enroll_request", code))
        transport = self._transport(url)
        try:
            sent = wall()
            resp = transport.post(
                "/v1/enroll",
                {
                    "code": code,
                    "device_name": device_name or _device_name(),
                    "app_version": __version__,
                    # The id already inside this PC's stamps; the server keeps it when free.
                    "device_id": local_device,
                    "request_id": request_id,
                },
                auth=False,
            )
            received = wall()
        except SyncError as exc:
            if exc.kind in ("refused", "forbidden", "unauthorized"):
                raise SyncError("bad_code", exc.detail) from exc
            raise
        finally:
            transport.close()
        try:
            device_id = str(resp["device_id"])
            token = str(resp["token"])
            station = resp["station"]
            new_station = str(station["id"])
            server_time = int(resp["server_time_ms"])
        except (KeyError, TypeError, ValueError) as exc:
            raise SyncError("bad_response", "注册回答缺少字段") from exc
        if enrolled_station and enrolled_station != new_station:
            name = self.db(lambda s: (s.get("stations", enrolled_station) or {}).get("name"))
            raise SyncError("other_station", name or enrolled_station)
        seed = {
            k: v
            for k, v in (("name", station.get("name")), ("county", station.get("county")))
            if isinstance(v, str) and v
        }

        def take(store: Store) -> tuple[int, dict[str, tuple]]:
            with store.transaction():
                sync_state.learn_offset(store, server_time, sent, received)
                adopted = replica.set_station(store, new_station, seed)
                sync_state.keep_token(store, device_id, token)  # the PC's store, not the file
                sync_state.put(
                    store,
                    sync_server_url=url,
                    sync_device_id=device_id,
                    sync_station_id=new_station,
                    # A new device on the server holds nothing: push the whole log, pull all.
                    sync_acked_seq=0,
                    sync_cursor=0,
                    sync_last_error="",
                    sync_last_error_kind="",
                    enroll_request="",
                )
                replica.rewind_if_ahead(store, clock.future_limit(server_time))
            return sync_state.pending_count(store, 0), adopted

        kept, adopted = self.db(take)
        name = str(station.get("name") or "")
        return EnrollResult(device_id, new_station, name, kept, adopted)

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
            acked, cursor, batch, wall, rewound = self.db(self._prepare)
            result.rewound_rows += rewound
            sent = wall()
            report = self.db(_unreported_check) if first_request else None
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
            feed, new_cursor, more, server_acked, server_time = _parse_sync(resp)
            server_root = resp.get("digest")
            refused = resp.get("set_aside") or []
            if batch and server_acked < batch[-1]["seq"]:
                # The server answered 200 but does not hold what we sent: never loop on it.
                raise SyncError("refused", f"服务器只确认到第 {server_acked} 条")
            shown = _shown(batch, acked, server_acked)
            tables, rewound, pending = self.db(
                partial(
                    _apply_answer,
                    feed=feed,
                    cursor=max(new_cursor, cursor),
                    acked=acked,
                    server_acked=min(server_acked, shown),
                    timing=(server_time, sent, received),
                    refused=refused if isinstance(refused, list) else [],
                    complete=not more,
                )
            )
            result.tables |= tables
            result.rewound_rows += rewound
            result.pushed += len(batch)
            result.pulled += len(feed)
            result.set_aside += len(refused) if isinstance(refused, list) else 0
            self._report(transport, len(batch), len(feed), more, resp.get("remaining"))
            if not more and pending == 0 and server_acked <= shown:
                if not isinstance(server_root, str) or len(result.checks) >= MAX_REPAIRS:
                    return  # an older server without a digest, or repairs that did not hold
                done = self._verify(transport, server_root, server_acked, max(new_cursor, cursor))
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
        self, transport: Transport, server_root: str, acked: int, cursor: int
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

    def _prepare(
        self, store: Store
    ) -> tuple[int, int, list[dict[str, Any]], Callable[[], int], int]:
        """What the next exchange sends: acked seq, cursor, the batch (and the time source)."""
        # No rewind here: the offset may be stale (the PC's clock was corrected since); only a
        # server answer tells the time (rewind in _apply_answer, which never re-stamps rows).
        rewound = 0
        acked = int(store.meta("sync_acked_seq") or 0)
        cursor = int(store.meta("sync_cursor") or 0)
        return acked, cursor, self._batch(store, acked), wall_source(store), rewound

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


def _apply_answer(
    store: Store,
    *,
    feed: list[dict[str, Any]],
    cursor: int,
    acked: int,
    server_acked: int,
    timing: tuple[int, int, int],
    refused: list[dict[str, Any]],
    complete: bool,
) -> tuple[set[str], int, int]:
    """Apply one answer in one transaction: the offset, the changes the server set aside, the
    pulled page, the new cursor and acked seq, and a rewind if the clock ran ahead. Returns
    (tables pulled, rows re-stamped, changes still pending)."""
    server_time, sent, received = timing
    with store.transaction():
        sync_state.learn_offset(store, server_time, sent, received)
        set_aside.take(store, refused)
        tables = replica.apply_feed(store, feed)
        if complete:
            replica.settle_profile(store)  # a PC that just joined: the server's profile first
        new_acked = server_acked
        sync_state.put(store, sync_cursor=cursor, sync_acked_seq=new_acked)
        rewound = replica.rewind_if_ahead(store, clock.future_limit(server_time))
    return tables, rewound, sync_state.pending_count(store, new_acked)


def _shown(batch: list[dict[str, Any]], acked: int, server_acked: int) -> int:
    """The last seq this request showed the server: the acked mark moves only up to it (device
    epoch). Seqs the server holds above it are compared with this file by the next request."""
    shown = batch[-1]["seq"] if batch else acked
    if server_acked > shown and not batch:
        # The server holds seqs of this device that this file never wrote (a restored backup,
        # a copied folder): this file is not that history.
        raise SyncError("rekey_required", f"服务器已有第 {server_acked} 条，本机只到 {shown} 条")
    return shown


def _direct(store: Store) -> RunDb:
    def run(step: Callable[[Store], Any]) -> Any:
        return step(store)

    return run


def wall_source(store: Store) -> Callable[[], int]:
    """This PC's uncorrected wall clock, as the store's clock sees it (tests skew it): read on
    the network thread, so a busy database thread never skews the offset learned."""
    return store.clock._wall  # noqa: SLF001


def _parse_sync(resp: dict[str, Any]) -> tuple[list[dict[str, Any]], int, bool, int, int]:
    try:
        feed = resp["changes"]
        cursor = int(resp["cursor"])
        more = bool(resp.get("more", False))
        acked = int(resp["acked_seq"])
        server_time = int(resp["server_time_ms"])
        if not isinstance(feed, list):
            raise TypeError("changes")
        for ch in feed:
            if ch.get("t") not in schema.TABLES:
                # A table this version does not know: a newer server. Stop before the cursor
                # moves past rows we could not store.
                raise SyncError("upgrade", f"未知的数据表 {ch.get('t')!r}")
            if not (
                isinstance(ch.get("id"), str)
                and hlc.is_stamp(ch.get("s"))
                and isinstance(ch.get("f"), dict)
            ):
                raise TypeError("change")
    except SyncError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise SyncError("bad_response", f"同步回答格式不对：{exc}") from exc
    return feed, cursor, more, acked, server_time


def _unreported_check(store: Store) -> bool | None:
    """The last digest check's result when the server has not been told it yet (one write on
    the server when it changes, not one per sync)."""
    if store.meta("sync_verified") is None:
        return None
    ok = bool(store.meta("sync_verified"))
    if store.meta("sync_verified_reported") == str(ok):
        return None
    sync_state.put(store, sync_verified_reported=str(ok))
    return ok


def _device_name() -> str:
    try:
        return socket.gethostname()[:100] or "PC"
    except OSError:
        return "PC"


def enroll(store: Store, server_url: str, code: str, **kwargs: Any) -> EnrollResult:
    """Shortcut for ``SyncClient(store, **kwargs).enroll(server_url, code)``."""
    return SyncClient(store, **kwargs).enroll(server_url, code)


def sync(store: Store, **kwargs: Any) -> SyncResult:
    """Shortcut for ``SyncClient(store, **kwargs).sync()``."""
    return SyncClient(store, **kwargs).sync()
