"""The sync agent core (no Qt): enrollment, one full sync, the state it keeps, its errors.

The UI runs it on its own thread (``pzh_station.ui.sync_page``); the CLI runs it headless
(``pzh-station enroll`` / ``pzh-station sync``). See ``docs/sync-client.md``.
"""

from pzh_station.store.sync_state import SyncState
from pzh_station.sync_client.client import EnrollResult, SyncClient, SyncResult, enroll, sync
from pzh_station.sync_client.errors import SyncError
from pzh_station.sync_client.progress import SyncCancelled, SyncProgress
from pzh_station.sync_client.transport import RetryPolicy, Transport

__all__ = [
    "EnrollResult",
    "RetryPolicy",
    "SyncClient",
    "SyncCancelled",
    "SyncError",
    "SyncProgress",
    "SyncResult",
    "SyncState",
    "Transport",
    "enroll",
    "sync",
]
