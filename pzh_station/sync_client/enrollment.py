"""Enrolling this PC with a one-time code (docs/sync-client.md, "Enrollment in one transaction").

The server answers the device id and token for the code; then, in one transaction, the clock
offset is stored, the rows move to the server's station id (a PC that worked offline), the
profile typed here is held back (the server's wins, issue 12 situation 8), the token goes to the
PC's credential store, and the acked mark and cursor start at 0, so the whole change log is
pushed and the whole station feed pulled by the next sync. A retry after a lost answer sends the
same ``request_id`` and gets the same device (idempotent enrollment, situation 5).
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pzh_station import __version__
from pzh_station.store import Store, replica, sync_state
from pzh_station.sync_client import clock
from pzh_station.sync_client.errors import SyncError
from pzh_station.sync_client.steps import wall_source
from pzh_station.sync_client.transport import normalise_url

if TYPE_CHECKING:
    from pzh_station.sync_client.client import SyncClient


@dataclass
class EnrollResult:
    device_id: str
    station_id: str
    station_name: str
    kept_changes: int  # local changes kept for the first push (a PC that worked offline)
    adopted: dict[str, tuple] = field(default_factory=dict)  # {field: (typed here, server's)}


@dataclass
class _Granted:
    """The server's answer to an enrollment, checked, with the PC's times around it."""

    device_id: str
    token: str
    station_id: str
    station: dict[str, Any]
    server_time: int
    sent: int
    received: int

    def seed(self) -> dict[str, str]:
        """The station's name and county as the server has them."""
        return {k: v for k in ("name", "county") if isinstance(v := self.station.get(k), str) and v}


def device_name() -> str:
    """This PC's name as the server lists it (the host name)."""
    try:
        return socket.gethostname()[:100] or "PC"
    except OSError:
        return "PC"


def enroll(
    client: SyncClient, server_url: str, code: str, *, name: str | None = None
) -> EnrollResult:
    """Enroll the client's PC (see :meth:`SyncClient.enroll`)."""
    url = normalise_url(server_url)
    code = "".join(ch for ch in (code or "") if ch.isalnum()).upper()
    if not code:
        raise SyncError("bad_code", "未填写注册码")
    enrolled_station = client.db(lambda s: s.meta("sync_station_id"))
    granted = _ask(client, url, code, name or device_name())
    if enrolled_station and enrolled_station != granted.station_id:
        found = client.db(lambda s: (s.get("stations", enrolled_station) or {}).get("name"))
        raise SyncError("other_station", found or enrolled_station)

    def take(store: Store) -> tuple[int, dict[str, tuple]]:
        with store.transaction():
            sync_state.learn_offset(store, granted.server_time, granted.sent, granted.received)
            adopted = replica.set_station(store, granted.station_id, granted.seed())
            sync_state.keep_token(store, granted.device_id, granted.token)  # not in the file
            sync_state.put(
                store,
                sync_server_url=url,
                sync_device_id=granted.device_id,
                sync_station_id=granted.station_id,
                # A new device on the server holds nothing: push the whole log, pull all.
                sync_acked_seq=0,
                sync_cursor=0,
                sync_last_error="",
                sync_last_error_kind="",
                enroll_request="",
            )
            replica.rewind_if_ahead(store, clock.future_limit(granted.server_time))
        return sync_state.pending_count(store, 0), adopted

    kept, adopted = client.db(take)
    station_name = str(granted.station.get("name") or "")
    return EnrollResult(granted.device_id, granted.station_id, station_name, kept, adopted)


def _ask(client: SyncClient, url: str, code: str, name: str) -> _Granted:
    """``POST /v1/enroll``; a refused code is ``bad_code``."""
    local_device, wall = client.db(lambda s: (s.device_id, wall_source(s)))
    # Kept until it succeeds: a retry after a lost answer gets the same device.
    request_id = client.db(lambda s: sync_state.request_id(s, "enroll_request", code))
    transport = client._transport(url)  # noqa: SLF001 - the client's transport factory
    try:
        sent = wall()
        resp = transport.post(
            "/v1/enroll",
            {
                "code": code,
                "device_name": name,
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
        return _Granted(
            device_id=str(resp["device_id"]),
            token=str(resp["token"]),
            station_id=str(resp["station"]["id"]),
            station=dict(resp["station"]),
            server_time=int(resp["server_time_ms"]),
            sent=sent,
            received=received,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise SyncError("bad_response", "注册回答缺少字段") from exc
