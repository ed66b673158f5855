"""The sync agent core: enrollment and one full sync. No Qt; the UI and the CLI both use it.

One full sync is a loop of exchanges (``POST /v1/sync``), each pushing one size-capped batch of
the change log after the acked seq and pulling one page of the station's feed after the cursor.
Each page is applied with :meth:`Store.apply_remote` in the same transaction that stores the new
cursor and acked seq, so an interruption at any byte resumes without loss: a batch resent after
a lost answer is ignored by the server (it knows the device seqs it holds), and a page pulled
twice merges to the same rows. The loop ends when nothing is left to push and the server says
there is no ``more``; an idle sync is one request.
"""

from __future__ import annotations

import json
import logging
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pzh_core import hlc, merge, protocol, schema
from pzh_station import __version__
from pzh_station.store import Store
from pzh_station.sync_client import clock, state, verify
from pzh_station.sync_client.errors import SyncError
from pzh_station.sync_client.state import SyncState
from pzh_station.sync_client.transport import RetryPolicy, Transport, normalise_url

log = logging.getLogger(__name__)

PUSH_MAX_CHANGES = protocol.MAX_PUSH
# Uncompressed bytes per pushed batch: ~15-25 KB gzipped, a few seconds on 2G, so a cut link
# costs little, while a typical day still goes in one or two requests.
PUSH_MAX_BYTES = 96 * 1024
PULL_LIMIT = protocol.MAX_PULL
MAX_ROUNDS = 10_000  # a guard against a server that never says "no more"
MAX_REPAIRS = 3  # digest repairs per sync (each may log fields again and push them)

TransportFactory = Callable[..., Transport]


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
    tables: set[str] = field(default_factory=set)  # tables that received rows from the server
    verified: bool = False  # the replica's digest equals the server's (同步完成 only then)
    checks: list[verify.Check] = field(default_factory=list)  # digest repairs this sync made


@dataclass
class EnrollResult:
    device_id: str
    station_id: str
    station_name: str
    kept_changes: int  # local changes kept for the first push (a PC that worked offline)


class SyncClient:
    """Sync one station database with the city server.

    :param store: the open store (belongs to the calling thread).
    :param ca_bundle: PEM file of a city's own CA (Settings key ``ca_bundle``); None: public CAs.
    :param retry: retry policy of each request.
    :param transport_factory: builds the :class:`Transport` (tests count bytes through it).
    """

    def __init__(
        self,
        store: Store,
        *,
        ca_bundle: str | None = None,
        retry: RetryPolicy | None = None,
        transport_factory: TransportFactory = Transport,
        push_max_bytes: int = PUSH_MAX_BYTES,
    ) -> None:
        self.store = store
        self.ca_bundle = ca_bundle or None
        self.retry = retry
        self.transport_factory = transport_factory
        self.push_max_bytes = push_max_bytes
        self.last_transport: Transport | None = None

    def _transport(self, url: str, token: str | None = None) -> Transport:
        t = self.transport_factory(url, token=token, ca_bundle=self.ca_bundle, retry=self.retry)
        self.last_transport = t
        return t

    # -- status -------------------------------------------------------------------------
    def state(self) -> SyncState:
        return SyncState.load(self.store)

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
        store = self.store
        enrolled_station = store.meta("sync_station_id")
        request_id = _enroll_request_id(store, code)
        transport = self._transport(url)
        try:
            sent = clock.local_wall(store)
            resp = transport.post(
                "/v1/enroll",
                {
                    "code": code,
                    "device_name": device_name or _device_name(),
                    "app_version": __version__,
                    # The id already inside this PC's stamps; the server keeps it when free.
                    "device_id": store.device_id,
                    # Kept until it succeeds: a retry after a lost answer gets the same device.
                    "request_id": request_id,
                },
                auth=False,
            )
            received = clock.local_wall(store)
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
            name = (store.get("stations", enrolled_station) or {}).get("name") or enrolled_station
            raise SyncError("other_station", name)

        with store.transaction() as conn:
            clock.learn_offset(store, server_time, sent, received)
            old_station = store.station_id
            if old_station and old_station != new_station:
                _move_station(store, old_station, new_station)
            if not old_station:
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('station_id', ?)", (new_station,)
                )
            # The server's profile of the station, at the lowest stamp: any real write wins
            # over it, and it is not pushed back (apply_remote logs no change).
            seed = {
                k: v
                for k, v in (("name", station.get("name")), ("county", station.get("county")))
                if isinstance(v, str) and v
            }
            if seed:
                store.apply_remote("stations", new_station, new_station, seed, hlc.ZERO)
            state.put(
                store,
                sync_server_url=url,
                sync_device_id=device_id,
                sync_token=token,
                sync_station_id=new_station,
                # A new device on the server holds nothing: push the whole log, pull everything.
                sync_acked_seq=0,
                sync_cursor=0,
                sync_last_error="",
                sync_last_error_kind="",
                enroll_request="",
            )
            clock.rewind_if_ahead(store, clock.future_limit(server_time))
        kept = state.pending_count(store, 0)
        return EnrollResult(device_id, new_station, str(station.get("name") or ""), kept)

    # -- sync ---------------------------------------------------------------------------
    def sync(self) -> SyncResult:
        """One full sync: push everything pending, pull everything new.

        :raises SyncError: with a Chinese message (also recorded as the last error).
        """
        store = self.store
        st = SyncState.load(store)
        state.put(store, sync_last_attempt=state.utc_now_iso())
        if not st.enrolled:
            err = SyncError("not_enrolled")
            self._record_error(err)
            raise err
        if not store.station_id:
            err = SyncError("no_station")
            self._record_error(err)
            raise err
        transport = self._transport(st.server_url, st.token)
        result = SyncResult()
        try:
            self._loop(transport, result)
        except SyncError as exc:
            self._record_error(exc)
            raise
        finally:
            transport.close()
            result.requests = transport.stats.requests
            result.body_bytes_up = transport.stats.body_bytes_up
            result.body_bytes_down = transport.stats.body_bytes_down
        result.pending = state.pending_count(store)
        state.put(
            store,
            sync_last_success=state.utc_now_iso(),
            sync_last_error="",
            sync_last_error_kind="",
        )
        return result

    def _record_error(self, exc: SyncError) -> None:
        try:
            state.put(self.store, sync_last_error=exc.message, sync_last_error_kind=exc.kind)
        except Exception:  # noqa: BLE001 - never hide the sync error behind a store error
            log.exception("could not record the sync error")

    def _loop(self, transport: Transport, result: SyncResult) -> None:
        store = self.store
        # A clock known to be ahead (offset learned earlier) is set back before pushing.
        result.rewound_rows += clock.rewind_if_ahead(
            store, clock.future_limit(store.clock.physical())
        )
        for _ in range(MAX_ROUNDS):
            acked = int(store.meta("sync_acked_seq") or 0)
            cursor = int(store.meta("sync_cursor") or 0)
            batch = self._batch(acked)
            sent = clock.local_wall(store)
            resp = transport.post(
                "/v1/sync",
                {
                    "client_time_ms": sent,
                    "acked_seq": acked,  # the server checks this file's history (device epoch)
                    "push": batch,
                    "cursor": cursor,
                    "limit": PULL_LIMIT,
                },
            )
            received = clock.local_wall(store)
            feed, new_cursor, more, server_acked, server_time = _parse_sync(resp)
            server_root = resp.get("digest")
            if batch and server_acked < batch[-1]["seq"]:
                # The server answered 200 but does not hold what we sent: never loop on it.
                raise SyncError("refused", f"服务器只确认到第 {server_acked} 条")
            with store.transaction():
                last = store.meta("hlc_last")
                if last and hlc.is_stamp(last):
                    store.clock.observe(last)  # another connection may have stamped further
                clock.learn_offset(store, server_time, sent, received)
                station = store.station_id or ""
                for change in feed:
                    if change.get("r"):
                        _replace_stamp(store, change["t"], change["id"], change["r"], change["s"])
                    if store.apply_remote(
                        change["t"], change["id"], station, change["f"], change["s"]
                    ):
                        result.tables.add(change["t"])
                new_acked = self._settle_acked(acked, server_acked)
                state.put(store, sync_cursor=max(new_cursor, cursor), sync_acked_seq=new_acked)
                result.rewound_rows += clock.rewind_if_ahead(store, clock.future_limit(server_time))
            result.pushed += len(batch)
            result.pulled += len(feed)
            if not more and state.pending_count(store, new_acked) == 0:
                if not isinstance(server_root, str) or len(result.checks) >= MAX_REPAIRS:
                    return  # an older server without a digest, or repairs that did not hold
                done = self._verify(transport, server_root, new_acked, max(new_cursor, cursor))
                result.checks.append(done)
                result.verified = done.verified
                if done.verified or not done.logged:
                    return
                # Fields the server lacked were logged again: push them, then verify again.
        raise SyncError("bad_response", "同步轮次过多")

    def _verify(
        self, transport: Transport, server_root: str, acked: int, cursor: int
    ) -> verify.Check:
        base = {"push": [], "acked_seq": acked, "cursor": cursor, "limit": 1}
        done = verify.check(
            lambda step: step(self.store),
            lambda body: transport.post("/v1/sync", body),
            server_root,
            base,
        )
        state.put(
            self.store,
            sync_verified=state.utc_now_iso() if done.verified else "",
            sync_digest_differs=",".join(done.tables),
        )
        return done

    def _settle_acked(self, acked: int, server_acked: int) -> int:
        """The acked seq to store, given what the server says it holds (caller's transaction).

        Normally ``server_acked``. When the server holds seqs this log never reached, the file
        was restored from a backup and new changes may reuse seqs the server already has: they
        are renumbered above the server's seq so they are pushed, not ignored.
        """
        store = self.store
        local_max = state.max_seq(store)
        if server_acked <= local_max:
            return server_acked
        shift = server_acked - acked
        conn = store.conn
        conn.execute("UPDATE changes SET seq = -(seq + ?) WHERE seq > ?", (shift, acked))
        conn.execute("UPDATE changes SET seq = -seq WHERE seq < 0")
        # AUTOINCREMENT only remembers inserted seqs: make new changes start above both.
        conn.execute(
            "UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'changes'",
            (max(state.max_seq(store), server_acked),),
        )
        log.warning("change log behind the server (restored backup?): renumbered by %d", shift)
        return server_acked

    def _batch(self, acked: int) -> list[dict[str, Any]]:
        """Pending changes after ``acked``, oldest first, capped in count and bytes."""
        batch: list[dict[str, Any]] = []
        size = 0
        for ch in self.store.pending_changes(acked, limit=PUSH_MAX_CHANGES):
            item = {
                "seq": ch["seq"],
                "t": ch["tbl"],
                "id": ch["row_id"],
                "s": ch["stamp"],
                "f": ch["fields"],
            }
            n = len(json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
            if batch and size + n > self.push_max_bytes:
                break
            batch.append(item)
            size += n
        return batch


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


def _replace_stamp(store: Store, table: str, row_id: str, old: str, new: str) -> None:
    """The server rewrote a stamp of ours that was too far in the future (clamping): put its
    stamp where ours still stands, so this row agrees with the server's (caller's transaction)."""
    row = store.conn.execute(f"SELECT clocks FROM {table} WHERE id = ?", (row_id,)).fetchone()
    if row is None:
        return
    clocks = json.loads(row[0])
    if old not in clocks.values():
        return
    clocks = {f: (new if s == old else s) for f, s in clocks.items()}
    top = merge.row_stamp(clocks)
    store.conn.execute(
        f"UPDATE {table} SET clocks = ?, updated_at = ?, device_id = ? WHERE id = ?",
        (json.dumps(clocks, sort_keys=True), top, top.split(".", 2)[2], row_id),
    )


def _move_station(store: Store, old: str, new: str) -> None:
    """Move every local row from a station id made on this PC to the server's (caller's
    transaction). The station's own profile row is keyed by the station id: re-key it and its
    change-log entries, so the push describes the server's station."""
    conn = store.conn
    for table in schema.TABLES:
        conn.execute(f"UPDATE {table} SET station_id = ? WHERE station_id = ?", (new, old))
    clash = conn.execute("SELECT 1 FROM stations WHERE id = ?", (new,)).fetchone()
    if clash:
        conn.execute("DELETE FROM stations WHERE id = ?", (new,))
    conn.execute("UPDATE stations SET id = ? WHERE id = ?", (new, old))
    conn.execute("UPDATE changes SET row_id = ? WHERE tbl = 'stations' AND row_id = ?", (new, old))
    conn.execute("UPDATE meta SET value = ? WHERE key = 'station_id'", (new,))


def _enroll_request_id(store: Store, code: str) -> str:
    """The id of this enrollment attempt: the same while the same code is retried (the server
    then answers the same device if an earlier answer was lost), a new one for another code."""
    try:
        kept = json.loads(store.meta("enroll_request") or "{}")
    except ValueError:
        kept = {}
    if isinstance(kept, dict) and kept.get("code") == code and isinstance(kept.get("id"), str):
        return kept["id"]
    request_id = str(uuid.uuid4())
    state.put(store, enroll_request=json.dumps({"code": code, "id": request_id}))
    return request_id


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
