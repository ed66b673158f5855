"""The sync state of one station database, kept in its ``meta`` table, and the change log's
seqs as sync sees them.

Keys (all strings): ``sync_server_url``, ``sync_device_id`` (the id the server gave this PC),
``sync_token`` (only in files from before the token moved to :mod:`pzh_station.credentials`:
moved out when the file opens, :func:`move_token_out`), ``sync_station_id`` (set once the
station came from the server),
``sync_acked_seq`` (highest change-log seq the server holds), ``sync_cursor`` (last server
feed seq applied here), ``sync_last_success`` / ``sync_last_attempt`` (UTC ISO time),
``sync_last_error`` / ``sync_last_error_kind``, and ``clock_offset_ms`` (server − local clock,
read by :class:`Store` when it opens).

The acked seq and the cursor are written in the same transaction as the pulled rows they
describe, so an interruption at any point leaves them consistent with the data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from pzh_station import credentials
from pzh_station.store import restamp
from pzh_station.store.db import Store

log = logging.getLogger(__name__)

KEYS = (
    "sync_server_url",
    "sync_device_id",
    "sync_token",
    "sync_station_id",
    "sync_acked_seq",
    "sync_cursor",
    "sync_last_success",
    "sync_last_attempt",
    "sync_last_error",
    "sync_last_error_kind",
    "sync_verified",
    "sync_digest_differs",
)


def put(store: Store, **values: object) -> None:
    """Set meta keys (joins the caller's transaction if there is one)."""
    with store.transaction() as conn:
        for key, value in values.items():
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, "" if value is None else str(value)),
            )


def utc_now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


@dataclass
class SyncState:
    """A snapshot of the sync state, for the agent, the status bar and the CLI."""

    server_url: str = ""
    device_id: str = ""
    token: str = ""
    station_id: str = ""
    acked_seq: int = 0
    cursor: int = 0
    last_success: str = ""
    last_attempt: str = ""
    last_error: str = ""
    last_error_kind: str = ""
    pending: int = 0
    clock_offset_ms: int = 0
    verified: str = ""  # when the last sync found this replica equal to the server's (digest)
    digest_differs: str = ""  # tables that still differed after the last sync's repair
    set_aside: int = 0  # changes the server refused, listed for staff (store.set_aside)

    @property
    def enrolled(self) -> bool:
        return bool(self.token and self.server_url)

    @classmethod
    def load(cls, store: Store) -> SyncState:
        marks = ",".join("?" * len(KEYS))
        rows = dict(
            store.conn.execute(
                f"SELECT key, value FROM meta WHERE key IN ({marks}, 'clock_offset_ms')", KEYS
            ).fetchall()
        )
        acked = int(rows.get("sync_acked_seq") or 0)
        return cls(
            server_url=rows.get("sync_server_url", ""),
            device_id=rows.get("sync_device_id", ""),
            token=token(store, rows.get("sync_device_id", "")),
            station_id=rows.get("sync_station_id", ""),
            acked_seq=acked,
            cursor=int(rows.get("sync_cursor") or 0),
            last_success=rows.get("sync_last_success", ""),
            last_attempt=rows.get("sync_last_attempt", ""),
            last_error=rows.get("sync_last_error", ""),
            last_error_kind=rows.get("sync_last_error_kind", ""),
            pending=pending_count(store, acked),
            clock_offset_ms=int(rows.get("clock_offset_ms") or 0),
            verified=rows.get("sync_verified", ""),
            digest_differs=rows.get("sync_digest_differs", ""),
            set_aside=store.conn.execute(
                "SELECT count(*) FROM set_aside WHERE dismissed = 0"
            ).fetchone()[0],
        )


def token_name(device_id: str) -> str:
    return f"device-token-{device_id}"


def token(store: Store, device_id: str | None = None) -> str:
    """This file's device token, from the PC's credential store (never from the file: a
    backup, or the file on another PC, has none). Old tokens stay there after a re-key, so a
    backup restored on this PC can still re-key; another PC needs a new enrollment code."""
    device = store.meta("sync_device_id") if device_id is None else device_id
    if not device:
        return ""
    return credentials.default().get(token_name(device)) or ""


def keep_token(store: Store, device_id: str, value: str) -> None:
    """Keep the device's token in the PC's credential store, none in the file."""
    credentials.default().put(token_name(device_id), value)
    _scrub_token(store)


def _scrub_token(store: Store, key: str = "sync_token") -> None:
    """Remove a secret kept in the file by older versions, overwriting its bytes (secure_delete),
    so that no later backup holds it in a free page."""
    if store.meta(key) is None:
        return
    store.conn.execute("PRAGMA secure_delete = ON")
    try:
        with store.transaction() as conn:
            conn.execute("DELETE FROM meta WHERE key = ?", (key,))
    finally:
        store.conn.execute("PRAGMA secure_delete = OFF")


BUNDLE_KEY = "bundle_private_key"  # kept in the file by the first version of USB bundles
BUNDLE_KEY_ID = "bundle_key_id"  # meta: which credential holds this file's bundle key


def bundle_key(store: Store, make: Callable[[], str]) -> str:
    """This PC's bundle private key (issue 15), kept like the token in the PC's credential
    store under an id the file names (``bundle_key_id``); made with ``make`` when there is none
    — a backup or a copy on another PC gets a key of its own (registered with the server again)."""
    key_id = store.meta(BUNDLE_KEY_ID)
    found = credentials.default().get(f"bundle-key-{key_id}") if key_id else None
    if found:
        return found
    legacy = store.meta(BUNDLE_KEY)
    key = legacy or make()
    key_id = uuid.uuid4().hex
    credentials.default().put(f"bundle-key-{key_id}", key)
    put(store, **{BUNDLE_KEY_ID: key_id})
    _scrub_token(store, BUNDLE_KEY)
    return key


def move_token_out(store: Store) -> bool:
    """A file from before the credential store: its token moves to the PC's credential store
    (first start of this version). True when one moved."""
    if store.meta(BUNDLE_KEY):
        bundle_key(store, lambda: "")  # the bundle key moves out with the token
    legacy = store.meta("sync_token")
    device = store.meta("sync_device_id")
    if not legacy:
        if legacy is not None:
            _scrub_token(store)
        return False
    if device:
        credentials.default().put(token_name(device), legacy)
    _scrub_token(store)
    if not store.conn.in_transaction:  # the old page images leave the WAL file too
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    log.warning("device token moved out of the station file to %s", credentials.default().where)
    return True


def pending_count(store: Store, acked_seq: int | None = None) -> int:
    """Changes recorded here that the server does not hold yet."""
    if acked_seq is None:
        acked_seq = int(store.meta("sync_acked_seq") or 0)
    return store.conn.execute(
        "SELECT count(*) FROM changes WHERE seq > ?", (acked_seq,)
    ).fetchone()[0]


def max_seq(store: Store) -> int:
    return store.conn.execute("SELECT coalesce(max(seq), 0) FROM changes").fetchone()[0]


def request_id(store: Store, key: str, attempt: str) -> str:
    """The id of one attempt (an enrollment with this code, a re-key with this token), kept in
    meta ``key`` until it succeeds: a retry after a lost answer sends the same id, and the server
    answers the same device."""
    try:
        kept = json.loads(store.meta(key) or "{}")
    except ValueError:
        kept = {}
    mark = hashlib.sha256(attempt.encode("utf-8")).hexdigest()[:16]
    if isinstance(kept, dict) and kept.get("for") == mark and isinstance(kept.get("id"), str):
        return kept["id"]
    new = str(uuid.uuid4())
    put(store, **{key: json.dumps({"for": mark, "id": new})})
    return new


def become_device(store: Store, *, device_id: str, token: str) -> None:
    """This file is now device ``device_id`` (a re-key): its new stamps carry the new id, and the
    feed is pulled again from the start — it brings back the old id's changes, this PC's own
    earlier work included. The change log and its acked mark stay: the new device has no seqs on
    the server, so everything after the mark is pushed again (what the server holds merges to
    nothing). Those never-acknowledged writes take the new id as their stamps' node, in the log
    and in the rows (``store.restamp``): the lost copy may have issued the same stamps for other
    values."""
    with store.transaction():
        restamp.pending_to_device(store, store.clock.device, device_id)
        keep_token(store, device_id, token)
        put(
            store,
            device_id=device_id,
            sync_device_id=device_id,
            sync_cursor=0,
            rekey_request="",
        )
        store.clock.device = device_id
    log.warning("re-keyed as device %s", device_id)


def learn_offset(
    store: Store, server_time_ms: int, sent_local_ms: int, received_local_ms: int
) -> int:
    """Store the offset of the local clock from the server's (inside the caller's transaction).

    :param sent_local_ms: local wall time when the request was sent.
    :param received_local_ms: local wall time when the answer arrived.
    :returns: the offset in ms.
    """
    midpoint = (sent_local_ms + received_local_ms) // 2
    offset = int(server_time_ms) - midpoint
    store.clock.offset_ms = offset
    put(store, clock_offset_ms=offset)
    return offset


def local_wall(store: Store) -> int:
    """This PC's uncorrected wall clock, as the store's clock sees it (tests skew it)."""
    return store.clock.physical() - store.clock.offset_ms
