"""The city sync server: a FastAPI app (``create_app``) serving the protocol of
``pzh_core.protocol``.

Endpoints under ``/v1``: ``enroll``, ``sync`` (push and pull in one request), ``health``,
``time``; the OpenAPI document at ``/openapi.json`` (and ``/docs``). Bad input always gets a 4xx
``{"error", "message"}`` with a Chinese message and changes nothing; see docs/sync-protocol.md.

The endpoints are routers by area: :mod:`api_devices` (health, time, enroll, rekey) and
:mod:`api_sync` (sync), with what they share in :mod:`api_common` and the error answers in
:mod:`errors`; the web pages (issue 8) are ``sync/server/web``. Everything reaches the storage,
settings and limiters through ``request.app.state``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import anyio
from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware

from pzh_core import hlc, protocol
from sync.server import api_devices, api_sync
from sync.server.errors import install_handlers
from sync.server.limits import RateLimiter
from sync.server.sql_storage import DEFAULT_CLAMP_MS, open_storage
from sync.server.storage import (
    Storage,
)

log = logging.getLogger("pzh.sync.server")
DB_NAME = "server.sqlite3"
DATABASE_ENV = "PZH_SYNC_DATABASE"  # a postgresql:// URL (default: the SQLite file)
READ_DATABASE_ENV = "PZH_SYNC_READ_DATABASE"  # a read replica for the web pages' figures


@dataclass
class ServerSettings:
    """Limits of one server (defaults are the production values).

    :param clamp_ms: stamps further than this ahead of server time are rewritten.
    :param sync_rate: sync requests per second a device may keep up (token refill rate).
    :param sync_burst: sync requests a device may make at once.
    :param enroll_rate: enrollment attempts per second from one client address.
    :param enroll_burst: enrollment attempts at once from one address.
    """

    clamp_ms: int = DEFAULT_CLAMP_MS
    sync_rate: float = 2.0
    sync_burst: int = 60
    enroll_rate: float = 0.1
    enroll_burst: int = 10
    exchange_threads: int = 6
    body_timeout_s: float = 180.0
    max_body: int = protocol.MAX_BODY_BYTES
    max_compressed: int = protocol.MAX_COMPRESSED_BYTES
    # The oldest desk version whose changes are accepted ("" = any); older desks' changes are
    # set aside with code desk_too_old (PZH_SYNC_MIN_DESK_VERSION=1.4).
    min_desk_version: str = ""
    # Above this many stations the city's web overview shows one row per county, each linking
    # to its stations (PZH_SYNC_STATIONS_ON_PAGE; docs/web.md).
    stations_on_page: int = 300

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ServerSettings:
        """Defaults, overridden by ``PZH_SYNC_<FIELD>`` variables (e.g.
        ``PZH_SYNC_SYNC_BURST=120``).

        :raises ValueError: a variable that is not a number.
        """
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = environ.get(f"PZH_SYNC_{f.name.upper()}")
            if raw is not None:
                kind = type(getattr(cls(), f.name))
                try:
                    values[f.name] = kind(raw)
                except ValueError as exc:
                    raise ValueError(f"PZH_SYNC_{f.name.upper()}: not a number: {raw!r}") from exc
        return cls(**values)


def database_of(data_dir: str | Path, database: str | None = None) -> str | Path:
    """The database a server over ``data_dir`` uses: ``database``, else ``$PZH_SYNC_DATABASE``,
    else the SQLite file in ``data_dir``."""
    return database or os.environ.get(DATABASE_ENV) or Path(data_dir) / DB_NAME


def create_app(
    data_dir: str | Path,
    *,
    settings: ServerSettings | None = None,
    storage: Storage | None = None,
    now: Callable[[], int] = hlc.wall_ms,
    database: str | None = None,
    read_database: str | None = None,
) -> FastAPI:
    """The server app over ``data_dir``.

    :param settings: limits; production defaults when None.
    :param storage: a storage to use instead of opening one (it is then not closed here).
    :param now: the server's wall clock in ms (tests replace it).
    :param database: a ``postgresql://`` URL; default ``$PZH_SYNC_DATABASE``, else the SQLite
        file ``server.sqlite3`` in ``data_dir``.
    :param read_database: a read replica of it for the web pages' figures only; default
        ``$PZH_SYNC_READ_DATABASE``, else none (the figures read the primary).
    """
    settings = settings or ServerSettings()
    own_storage = storage is None
    if storage is None:
        storage = open_storage(
            database_of(data_dir, database),
            now=now,
            clamp_ms=settings.clamp_ms,
            min_desk_version=settings.min_desk_version,
            read_database=read_database or os.environ.get(READ_DATABASE_ENV) or None,
        )
    store: Storage = storage

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        app.state.photos.close()
        app.state.bundle_keys.close()
        if own_storage:
            store.close()

    app = FastAPI(
        title="pzh-station city sync server",
        version=str(protocol.PROTOCOL_VERSION),
        description="Sync protocol of 文化站工作台 (see docs/sync-protocol.md).",
        lifespan=lifespan,
    )
    app.state.storage = store
    _publish_definitions(store, data_dir)
    app.state.settings = settings
    app.state.data_dir = Path(data_dir)
    # Per process: a flood guard for one device (with N processes a device may make N times as
    # many requests). Enrollment attempts are counted in the database, across processes.
    app.state.sync_limiter = RateLimiter(settings.sync_rate, settings.sync_burst)
    # Few exchanges at once: they share one writer and the GIL; more threads only add switching.
    app.state.exchange_slots = anyio.CapacityLimiter(settings.exchange_threads)
    app.add_middleware(GZipMiddleware, minimum_size=400, compresslevel=6)
    install_handlers(app)
    app.include_router(api_devices.router)
    app.include_router(api_sync.router)
    _install_parts(app, store, Path(data_dir))
    return app


def _publish_definitions(store: Storage, data_dir: str | Path) -> None:
    """The city's 口径 file to every station (issue 13); a bad file is logged, not fatal."""
    from pzh_core.definitions import DefinitionError
    from sync.server import definitions

    try:
        definitions.publish(store, data_dir)
    except DefinitionError as exc:
        log.error("the city's definition file cannot be used (%s); stations keep theirs", exc)


def _install_parts(app: FastAPI, store: Storage, data_dir: Path) -> None:
    """The web pages (issue 8), photos as evidence (issue 15: chunked, resumable) and the USB
    bundles' device keys (issue 15)."""
    from sync.server import bundles, photo_api, web
    from sync.server.api_common import authenticate
    from sync.server.bundle_keys import BundleKeys

    web.install(app)
    photo_api.install(app, authenticate, photo_api.open_store(store, data_dir, store.now))
    bundles.install(app, authenticate, BundleKeys(store.engine, data_dir, now_ms=store.now))
