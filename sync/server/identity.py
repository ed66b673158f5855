"""Device identity on the server: idempotent enrollment, the device epoch check and re-keying
(docs/sync-protocol.md, "Device epoch"; docs/architecture.md, decision 4).

Functions here run inside the storage's writer transaction (they take its connection); they
raise :class:`EnrollError` or :class:`BatchRejected`, and the transaction then rolls back whole.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from typing import Any

from pzh_core import digest
from sync.server.db.conn import Conn
from sync.server.storage import REKEYED, BatchRejected, EnrollError, RekeyRefused

# The columns added to srv_devices for this are migration 4 (sync/server/db/migrations.py).


def _unused(conn: Conn, device_id: str) -> Any | None:
    """The device row when it exists, is active and has never made a request with its token."""
    return conn.execute(
        "SELECT * FROM srv_devices WHERE id = ? AND revoked_ms IS NULL AND last_seen_ms IS NULL",
        (device_id,),
    ).fetchone()


def next_pc_number(conn: Conn, station: str) -> int:
    """The next PC number of a station (its devices' certificate-number prefix ``J01``, ``J02``
    …, issue 13 §5): one more than any given, the station's row locked so two enrollments at
    once take turns (and a unique index, server migration 15, stands behind it)."""
    conn.one("SELECT id FROM srv_stations WHERE id = ?" + conn.dialect.for_update, (station,))
    top = conn.scalar("SELECT max(pc_number) FROM srv_devices WHERE station_id = ?", (station,))
    return int(top or 0) + 1


def number_devices(c: Conn) -> None:
    """Server migration 15: the devices held get 1, 2, … per station in the order they were
    made; a new device takes the next (:func:`next_pc_number`), never a number given before."""
    if "pc_number" not in c.columns("srv_devices"):
        c.ddl("ALTER TABLE srv_devices ADD COLUMN pc_number INTEGER")
    numbers: dict[str, int] = {}
    for row in c.all(
        "SELECT id, station_id FROM srv_devices WHERE pc_number IS NULL"
        " ORDER BY station_id, created_ms, id"
    ):
        device, station = row[0], row[1]
        if station not in numbers:
            numbers[station] = next_pc_number(c, station) - 1
        numbers[station] += 1
        c.execute("UPDATE srv_devices SET pc_number = ? WHERE id = ?", (numbers[station], device))
    c.ddl("CREATE UNIQUE INDEX IF NOT EXISTS srv_devices_pc ON srv_devices(station_id, pc_number)")


def enroll(
    conn: Conn,
    now: int,
    code: str,
    *,
    token_hash: str,
    device_name: str,
    app_version: str,
    device_id: str | None,
    request_id: str | None,
) -> tuple[str, str]:
    """Spend ``code`` and register a device; returns ``(device id, station id)``.

    A retry of the same enrollment (same code, same ``request_id``) whose answer was lost gets
    the same device with the new token, while that device has not used its token.
    """
    # Locked: requests spending one code at once (two server processes) take turns, and the
    # later ones find it spent (or, with the same request id, the device it made).
    row = conn.one("SELECT * FROM srv_codes WHERE code = ?" + conn.dialect.for_update, (code,))
    if row is None:
        raise EnrollError("unknown")
    if row["spent_ms"] is not None:
        dev = _unused(conn, row["device_id"]) if request_id and row["device_id"] else None
        if dev is None or dev["request_id"] != request_id:
            raise EnrollError("spent")
        conn.execute("UPDATE srv_devices SET token_hash = ? WHERE id = ?", (token_hash, dev["id"]))
        return dev["id"], dev["station_id"]
    if row["expires_ms"] <= now:
        raise EnrollError("expired")
    station = row["station_id"]
    if conn.execute("SELECT 1 FROM srv_stations WHERE id = ?", (station,)).fetchone() is None:
        raise EnrollError("station")
    did = device_id
    if not did or conn.execute("SELECT 1 FROM srv_devices WHERE id = ?", (did,)).fetchone():
        did = uuid.uuid4().hex
    conn.execute(
        "INSERT INTO srv_devices (id, station_id, token_hash, name, app_version, created_ms,"
        " request_id, pc_number) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (did, station, token_hash, device_name, app_version, now, request_id)
        + (next_pc_number(conn, station),),
    )
    conn.execute(
        "UPDATE srv_codes SET spent_ms = ?, device_id = ? WHERE code = ?", (now, did, code)
    )
    return did, station


def rekey(
    conn: Conn,
    now: int,
    old_id: str,
    *,
    token_hash: str,
    request_id: str,
    device_name: str | None,
    app_version: str | None,
) -> tuple[str, str]:
    """Make a new device of the old one's station and retire the old one (reason ``rekeyed``);
    returns ``(new device id, station id)``. Idempotent on ``(old_id, request_id)``."""
    old = conn.one("SELECT * FROM srv_devices WHERE id = ?" + conn.dialect.for_update, (old_id,))
    if old is None:
        raise RekeyRefused("unknown")
    if old["revoked_ms"] is not None and old["revoke_reason"] != REKEYED:
        raise RekeyRefused("revoked")
    again = conn.execute(
        "SELECT id FROM srv_devices WHERE parent_id = ? AND request_id = ?", (old_id, request_id)
    ).fetchone()
    if again is not None:
        if _unused(conn, again["id"]) is None:
            raise RekeyRefused("revoked")  # that new device has synced: this is not a retry
        conn.execute("UPDATE srv_devices SET token_hash = ? WHERE id = ?", (token_hash, again[0]))
        return again["id"], old["station_id"]
    new_id = uuid.uuid4().hex
    conn.execute(
        "INSERT INTO srv_devices (id, station_id, token_hash, name, app_version, created_ms,"
        " request_id, parent_id, pc_number) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            new_id,
            old["station_id"],
            token_hash,
            old["name"] if device_name is None else device_name,
            old["app_version"] if app_version is None else app_version,
            now,
            request_id,
            old_id,
            # a new number: a copied data folder re-keys, and must not share the old one's
            next_pc_number(conn, old["station_id"]),
        ),
    )
    conn.execute(
        "UPDATE srv_devices SET revoked_ms = COALESCE(revoked_ms, ?), revoke_reason = ?,"
        " replaced_by = ? WHERE id = ?",
        (now, REKEYED, new_id, old_id),
    )
    return new_id, old["station_id"]


def check_epoch(
    conn: Conn,
    device_id: str,
    applied: int,
    acked: int | None,
    changes: Sequence[dict[str, Any]],
) -> None:
    """Refuse (409 ``rekey_required``) a request whose history is not the server's for this
    device: see docs/sync-protocol.md, "Device epoch".

    :param applied: the highest seq the server applied for the device.
    :param acked: the mark the file sent (None from older desks: first pushed seq − 1).
    """
    if acked is None:
        acked = applied
    if changes:
        acked = min(acked, changes[0]["seq"] - 1)
    if acked >= applied:
        return  # nothing of the server's record lies after this file's mark
    if not changes:
        forked(applied, f"file acked {acked}, server applied {applied}, nothing resent")
    top = min(applied, changes[-1]["seq"])
    seen = {
        r[0]: (r[1], r[2])
        for r in conn.execute(
            "SELECT seq, stamp, body FROM srv_seen WHERE device_id = ? AND seq > ? AND seq <= ?",
            (device_id, acked, top),
        ).fetchall()
    }
    sent = {c["seq"]: c["s"] for c in changes if c["seq"] <= top}
    for index, change in enumerate(changes):
        seq = change["seq"]
        if seq > top:
            continue
        stamp, body = seen.get(seq, (None, None))
        if stamp != change["s"] or (body is not None and body != change_body(change)):
            why = "never seen" if seq not in seen else "applied as another change"
            forked(applied, f"seq {seq} below the applied mark was {why}", index)
    missing = sorted(set(seen) - set(sent))
    if missing:
        forked(applied, f"seq {missing[0]} held by the server is not in this file")


def change_body(change: dict[str, Any], fields_json: str | None = None) -> str:
    """A hash of a pushed change's table, row and fields (``srv_seen.body``): a resent seq must
    be the same change, not only carry the same stamp. ``fields_json``: the fields as
    ``digest.sorted_json`` gives them, when the caller has made it already (the list's JSON is
    its items' JSON joined by commas)."""
    if fields_json is None:
        text = digest.sorted_json([change["t"], change["id"], change["f"]])
    else:
        head = digest.sorted_json([change["t"], change["id"]])
        text = f"{head[:-1]},{fields_json}]"
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def forget_bodies(conn: Conn, station: str) -> None:
    """Drop the change hashes of a station's devices (a person's data was erased: a hash of a
    name could confirm a guess); those seqs are compared by stamp alone from then on."""
    conn.execute(
        "UPDATE srv_seen SET body = NULL WHERE body IS NOT NULL"
        " AND device_id IN (SELECT id FROM srv_devices WHERE station_id = ?)",
        (station,),
    )


def forked(applied: int, detail: str, index: int | None = None) -> None:
    """Refuse the request: this file must re-key (409 ``rekey_required``)."""
    raise BatchRejected(409, "rekey_required", detail, index=index, extra={"applied_seq": applied})
