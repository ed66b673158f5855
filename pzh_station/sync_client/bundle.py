"""USB bundles on the desk (issue 15): export what the server does not have yet (changes and
photos) to one signed file, import the server's signed answer, enroll from an enrollment file.

Bundles and network sync mix freely: both move the same marks (``sync_acked_seq``,
``sync_cursor``) forward only, and the server skips every change seq it already holds, so a
change that went by USB and again over the network (or a bundle imported twice) is applied once.

Keys (decision 4): the PC's Ed25519 private key is made once and kept, like the device token,
in the PC's credential store (``store.sync_state.bundle_key``; never in the file or its
backups; a file from the first bundle version gives it up when it opens); its public key
reaches the server by ``POST /v1/keys`` after a network sync, or inside the enrollment bundle of
a PC enrolled by file.
The server's public key (``server_public_key``) comes with that answer or in the enrollment file.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pzh_core import bundle, hlc
from pzh_core.bundle import BundleError
from pzh_station import __version__
from pzh_station.store import Store, replica, sync_state
from pzh_station.store import photos as q
from pzh_station.store.photo_files import PhotoFiles, photo_dir
from pzh_station.store.sync_state import SyncState, put
from pzh_station.sync_client import answers, enrollment
from pzh_station.sync_client.errors import SyncError
from pzh_station.sync_client.steps import RunDb, as_run_db
from pzh_station.sync_client.transport import Transport

REGISTERED = "bundle_key_registered"
SERVER_KEY = "server_public_key"
PENDING_ENROLL = "bundle_enroll"  # JSON of the enrollment file's code, until the answer comes


def private_key(store: Store) -> str:
    """This PC's bundle key: in the PC's credential store, never in the file or its backups."""
    return sync_state.bundle_key(store, bundle.new_private_key)


def register_key(store: Store | RunDb, transport: Transport) -> None:
    """Tell the server this PC's bundle key and learn the server's (once; cheap afterwards).

    :param store: the open store, or the app's ``run_db`` (database steps on its worker).
    """
    db = as_run_db(store)
    public, registered, known = db(
        lambda s: (bundle.public_key_of(private_key(s)), s.meta(REGISTERED), s.meta(SERVER_KEY))
    )
    if registered == public and known:
        return
    resp = transport.post("/v1/keys", {"public_key": public})
    server_key = resp.get("server_public_key")
    if not bundle.valid_public_key(server_key):
        raise SyncError("bad_response", "服务器没有给出同步包的公钥")
    db(lambda s: put(s, **{REGISTERED: public, SERVER_KEY: server_key}))


@dataclass
class Exported:
    path: Path
    changes: int
    photos: int
    size: int


def export(store: Store, path: str | Path) -> Exported:
    """Write everything the server may not have: pending changes and photos.

    :raises BundleError: this PC cannot make a bundle the server would accept yet.
    """
    st = SyncState.load(store)
    enroll = json.loads(store.meta(PENDING_ENROLL) or "null")
    if not enroll and not (st.enrolled and store.meta(REGISTERED)):
        raise BundleError("not_ready")
    push = [
        {"seq": c["seq"], "t": c["tbl"], "id": c["row_id"], "s": c["stamp"], "f": c["fields"]}
        for c in store.pending_changes(st.acked_seq, limit=10**9)
    ]
    files = PhotoFiles(photo_dir(store.path))
    photo_files = [
        (u.hash, files.read(u.hash)) for u in q.pending_uploads(store, 10**6) if files.has(u.hash)
    ]
    manifest: dict[str, Any] = {
        "direction": "up",
        "protocol": 1,
        "station_id": store.station_id,
        "device_id": st.device_id,
        "created_ms": int(time.time() * 1000),
        "app_version": __version__,
        "push": push,
        "cursor": st.cursor,
    }
    if enroll:
        manifest["enroll"] = {**enroll, "device_id": store.device_id, "app_version": __version__}
    path = Path(path)
    size = bundle.write(path, manifest, photo_files, private_key(store))
    return Exported(path, len(push), len(photo_files), size)


@dataclass
class Imported:
    changes: int
    photos_done: int
    enrolled: bool
    set_aside: int = 0  # changes the server refused (kept in the set-aside list, as online)


def import_answer(store: Store, path: str | Path) -> Imported:
    """Apply the server's signed answer (idempotent: twice changes nothing).

    :raises BundleError: not the server's, altered, or for another PC — nothing applied.
    """
    server_key = store.meta(SERVER_KEY)
    if not server_key:
        raise BundleError("not_ready")
    b = bundle.read(Path(path), trusted_keys=[server_key])
    try:
        m = b.manifest
        if m.get("direction") != "down":
            raise BundleError(
                "wrong_direction", "这是本机导出的同步包，应交给县（区）文化馆导入市服务器。"
            )
        if m.get("station_id") != store.station_id:
            raise BundleError("unknown_key")
        enrolled = m.get("enrolled") if isinstance(m.get("enrolled"), dict) else None
        if not enrolled and m.get("device_id") != store.meta("sync_device_id"):
            raise BundleError("unknown_key")
        feed = m.get("changes", [])
        # The same checks as a network answer, before anything is written; applied the same way
        # (set-aside changes kept with the server's value put back, then the feed).
        answer = answers.parse_sync(
            {
                "changes": feed,
                "set_aside": m.get("set_aside"),
                "cursor": 0,
                "acked_seq": 0,
                "server_time_ms": 0,
            }
        )
        with store.transaction():
            answers.take(store, answer)
            acked = int(store.meta("sync_acked_seq") or 0)
            cursor = int(store.meta("sync_cursor") or 0)
            marks = {
                "sync_acked_seq": max(acked, int(m.get("acked_seq", 0))),
                "sync_cursor": max(cursor, int(m.get("cursor", 0))),
            }
            if enrolled:
                sync_state.keep_token(store, enrolled["device_id"], enrolled["token"])
                marks.update(
                    sync_device_id=enrolled["device_id"],
                    sync_station_id=m["station_id"],
                    **{REGISTERED: bundle.public_key_of(private_key(store)), PENDING_ENROLL: ""},
                )
                if store.meta("sync_server_url") is None:
                    marks["sync_server_url"] = ""
            put(store, **marks)
            done = q.mark_received(store, list(m.get("received_photos", [])))
        last = store.meta("hlc_last")
        if last and hlc.is_stamp(last):
            store.clock.observe(last)
        return Imported(len(feed), done, bool(enrolled), len(answer.refused))
    finally:
        b.close()


def enroll_from_file(store: Store, path: str | Path, *, device_name: str = "") -> str:
    """Take an enrollment file (a PC without network): the station comes from it, the code goes
    to the server in the next bundle. Returns the station's name."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("format") != "pzh-enrollment":
            raise ValueError
        station, code, key = data["station"], data["code"], data["server_public_key"]
        if not bundle.valid_public_key(key) or not isinstance(code, str):
            raise ValueError
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BundleError("not_enrollment") from exc
    if sync_state.token(store):
        raise BundleError("already_enrolled")
    with store.transaction():
        seed = {k: station.get(k) for k in ("name", "county") if station.get(k)}
        replica.set_station(store, station["id"], seed)
        enroll = {"code": code, "device_name": device_name or enrollment.device_name()}
        put(
            store,
            **{SERVER_KEY: key, PENDING_ENROLL: json.dumps(enroll, ensure_ascii=False)},
            sync_station_id=station["id"],
            sync_server_url=data.get("server_url") or "",
            sync_acked_seq=0,
            sync_cursor=0,
        )
    return str(station.get("name") or "")
