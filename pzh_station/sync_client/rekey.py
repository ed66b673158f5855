"""The device epoch, the client's side (docs/architecture.md decision 4; docs/sync-protocol.md,
"Device epoch").

One device id is one unbroken change history. When the server answers a sync with 409
``rekey_required`` this file is not the one that last synced under its id — a restored backup,
a data folder copied to another PC, a seq the server never saw — and the client re-keys: the
server issues a new device id against the old token (``POST /v1/rekey``); the file takes it
(``store.sync_state.become_device``: new stamps carry it, the cursor goes back to 0, the change
log stays pending) and the sync starts again. The pull from cursor 0 brings back everything the
server holds under the old id, this PC's own later work included. One path for all three cases.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pzh_station import __version__
from pzh_station.store import sync_state
from pzh_station.sync_client import enrollment
from pzh_station.sync_client.errors import SyncError

if TYPE_CHECKING:
    from pzh_station.sync_client.client import SyncClient


def rekey(client: SyncClient, url: str, token: str) -> str:
    """Become a new device of the same station; returns the new token.

    :raises SyncError: ``unauthorized`` when the server no longer accepts the old token.
    """
    request_id = client.db(lambda s: sync_state.request_id(s, "rekey_request", token))
    transport = client._transport(url, token)  # noqa: SLF001 - the client's transport factory
    try:
        resp = transport.post(
            "/v1/rekey",
            {
                "request_id": request_id,
                "device_name": enrollment.device_name(),
                "app_version": __version__,
            },
        )
    finally:
        transport.close()
    try:
        device_id, new_token = str(resp["device_id"]), str(resp["token"])
    except (KeyError, TypeError) as exc:
        raise SyncError("bad_response", "换新身份的回答缺少字段") from exc
    client.db(lambda s: sync_state.become_device(s, device_id=device_id, token=new_token))
    return new_token
