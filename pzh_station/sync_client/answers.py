"""One ``/v1/sync`` answer on the desk: its shape checked before anything is written
(:func:`parse_sync`), the mark it may move (:func:`shown_mark`), and everything it brings applied
in one transaction (:func:`apply_answer`), so an interruption at any byte leaves data and state
consistent. Also the digest outcome still to tell the server (:func:`unreported_check`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pzh_core import hlc, schema
from pzh_station.store import Store, certificates, replica, set_aside, sync_state
from pzh_station.sync_client import clock
from pzh_station.sync_client.errors import SyncError


@dataclass
class Answer:
    """What a sync answer says, checked."""

    feed: list[dict[str, Any]]
    cursor: int
    more: bool
    acked: int
    server_time: int
    digest: str | None
    values: str | None  # the root of the server's digest of values (beside ``digest``)
    refused: list[dict[str, Any]]
    remaining: Any
    pc_number: int | None = None  # this device's number in its station (certificates' prefix)


def parse_sync(resp: dict[str, Any]) -> Answer:
    """Check an answer's shape (also a USB bundle's feed); raises :class:`SyncError`."""
    try:
        feed = resp["changes"]
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
        refused = resp.get("set_aside") or []
        root, values = resp.get("digest"), resp.get("values")
        return Answer(
            feed=feed,
            cursor=int(resp["cursor"]),
            more=bool(resp.get("more", False)),
            acked=int(resp["acked_seq"]),
            server_time=int(resp["server_time_ms"]),
            digest=root if isinstance(root, str) else None,
            values=values if isinstance(values, str) else None,
            refused=refused if isinstance(refused, list) else [],
            remaining=resp.get("remaining"),
            pc_number=_pc_number(resp.get("pc_number")),
        )
    except SyncError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise SyncError("bad_response", f"同步回答格式不对：{exc}") from exc


def _pc_number(value: Any) -> int | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and 0 < value < 1_000_000
    return value if ok else None


def shown_mark(batch: list[dict[str, Any]], acked: int, server_acked: int) -> int:
    """The last seq this request showed the server: the acked mark moves only up to it (device
    epoch). Seqs the server holds above it are compared with this file by the next request."""
    shown = batch[-1]["seq"] if batch else acked
    if server_acked > shown and not batch:
        # The server holds seqs of this device that this file never wrote (a restored backup,
        # a copied folder): this file is not that history.
        raise SyncError("rekey_required", f"服务器已有第 {server_acked} 条，本机只到 {shown} 条")
    return shown


def apply_answer(
    store: Store,
    *,
    answer: Answer,
    cursor: int,
    acked: int,
    timing: tuple[int, int],
) -> tuple[set[str], int, int]:
    """Apply one answer in one transaction: the offset, the changes the server set aside, the
    pulled page, the new cursor and acked mark ``acked``, and a rewind if the clock ran ahead.
    ``timing`` is (sent, received) on this PC's clock. Returns (tables pulled, rows re-stamped,
    changes still pending)."""
    sent, received = timing
    with store.transaction():
        sync_state.learn_offset(store, answer.server_time, sent, received)
        tables = take(store, answer)
        if not answer.more:
            replica.settle_profile(store)  # a PC that just joined: the server's profile first
        sync_state.put(store, sync_cursor=cursor, sync_acked_seq=acked)
        if answer.pc_number:
            certificates.learn_pc_number(store, answer.pc_number)
        rewound = replica.rewind_if_ahead(store, clock.future_limit(answer.server_time))
    return tables, rewound, sync_state.pending_count(store, acked)


def take(store: Store, answer: Answer) -> set[str]:
    """What an answer brings — a ``/v1/sync`` answer or a USB return bundle alike — inside the
    caller's transaction: the changes the server set aside (kept, the server's value put back;
    ``store.set_aside``), then the pulled changes. Returns the tables pulled."""
    set_aside.take(store, answer.refused)
    return replica.apply_feed(store, answer.feed)


def unreported_check(store: Store) -> bool | None:
    """The last digest check's result when the server has not been told it yet (one write on
    the server when it changes, not one per sync)."""
    if store.meta("sync_verified") is None:
        return None
    ok = bool(store.meta("sync_verified"))
    if store.meta("sync_verified_reported") == str(ok):
        return None
    sync_state.put(store, sync_verified_reported=str(ok))
    return ok
