"""The city server's storage interface: what the API and the admin use-cases need, nothing more.

One implementation runs on SQLite and PostgreSQL (:mod:`sync.server.sql_storage`). Every write
method is one transaction: it happens whole or not at all. Times are milliseconds since the epoch
(UTC) unless a name says otherwise. The records and errors it speaks in are in
:mod:`sync.server.storage_types` (imported from here as well).
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from pzh_core.queries import Db
from sync.server.storage_types import (
    AUDIT_ACTIONS,
    REKEYED,
    AuditEntry,
    BatchRejected,
    Code,
    Device,
    EnrollError,
    FeedEntry,
    Page,
    PullResult,
    PushResult,
    RekeyRefused,
    Scope,
    Station,
    StorageOpenError,
)

__all__ = [
    "AUDIT_ACTIONS",
    "REKEYED",
    "AuditEntry",
    "BatchRejected",
    "Code",
    "Device",
    "EnrollError",
    "FeedEntry",
    "Page",
    "PullResult",
    "PushResult",
    "RekeyRefused",
    "Scope",
    "Station",
    "Storage",
    "StorageOpenError",
]

T = TypeVar("T")


class Storage(abc.ABC):
    """Stations, devices, enrollment codes, the change feed and the replica tables."""

    now: Callable[[], int]  # the server's wall clock in ms
    engine: Any  # the database (sync.server.db.engine.Engine): photo store and bundle keys

    # -- stations and codes ---------------------------------------------------------------
    @abc.abstractmethod
    def create_station(
        self, name: str, county: str, *, station_id: str | None = None, actor: str = ""
    ) -> Station:
        """Register a station (and write its replica ``stations`` row with a server stamp);
        with ``actor``, its audit entry in the same transaction."""

    @abc.abstractmethod
    def rename_station(self, station_id: str, name: str, *, actor: str, reason: str) -> Station:
        """Rename a station: its ``srv_stations`` name, a server write of its replica
        ``stations`` row (fed to its devices) and the audit entry, in one transaction."""

    @abc.abstractmethod
    def audit(
        self, actor: str, action: str, target: str, detail: str, *, station_id: str = ""
    ) -> None:
        """Record an administrative act in the audit log (its own transaction).

        :param actor: who: ``web:<account>`` or ``admin`` (the command line).
        :param action: what kind of act, a key of :data:`AUDIT_ACTIONS` (e.g. ``return.approve``).
        :param target: what it was done to (an id or an account name).
        :param detail: what changed, in Chinese, for people.
        :param station_id: the station concerned: county accounts see only their stations'.
        """

    @abc.abstractmethod
    def list_audit(
        self,
        *,
        station_ids: Sequence[str] | None = None,
        actions: Sequence[str] | None = None,
        limit: int | None = 50,
    ) -> list[AuditEntry]:
        """The latest entries, newest first (all with ``limit=None``); with ``station_ids``
        only those about these stations, with ``actions`` only these kinds."""

    @abc.abstractmethod
    def get_station(self, station_id: str) -> Station | None: ...

    @abc.abstractmethod
    def list_stations(self) -> list[Station]: ...

    @abc.abstractmethod
    def add_code(self, code: str, station_id: str, expires_ms: int) -> Code: ...

    @abc.abstractmethod
    def list_codes(self, *, station_id: str | None = None) -> list[Code]: ...

    @abc.abstractmethod
    def get_code(self, code: str) -> Code | None:
        """One enrollment code, or None."""

    # -- devices ---------------------------------------------------------------------------
    @abc.abstractmethod
    def enroll(
        self,
        code: str,
        *,
        token_hash: str,
        device_name: str,
        app_version: str,
        device_id: str | None,
        request_id: str | None = None,
    ) -> tuple[Device, Station]:
        """Spend ``code`` and register a device holding the token with ``token_hash``.

        :param device_id: the id the device asks for (its local id, already in its stamps);
            a fresh one is made when missing or already taken.
        :param request_id: the desk's id of this enrollment attempt: a retry with the same code
            and request id answers the same device (its token replaced) while it is unused.
        :raises EnrollError: unknown, spent or expired code.
        """

    @abc.abstractmethod
    def rekey(
        self,
        device: Device,
        *,
        token_hash: str,
        request_id: str,
        device_name: str | None = None,
        app_version: str | None = None,
    ) -> tuple[Device, Station]:
        """A new device of ``device``'s station holding ``token_hash``; ``device`` is retired
        (reason ``rekeyed``). Idempotent on ``request_id``.

        :raises RekeyRefused: unknown or administrator-revoked device.
        """

    @abc.abstractmethod
    def device_by_token(self, token_hash: str) -> Device | None: ...

    @abc.abstractmethod
    def get_device(self, device_id: str) -> Device | None: ...

    @abc.abstractmethod
    def list_devices(self, *, station_id: str | None = None) -> list[Device]: ...

    @abc.abstractmethod
    def revoke_device(self, device_id: str) -> Device | None:
        """Revoke a device's token (kept revoked; returns None for an unknown id)."""

    # -- sync ------------------------------------------------------------------------------
    @abc.abstractmethod
    def push(
        self,
        device: Device,
        changes: Sequence[dict[str, Any]],
        *,
        client_time_ms: int | None,
        acked_seq: int | None = None,
        app_version: str | None = None,
    ) -> PushResult:
        """Apply validated changes of ``device`` in one transaction (all or none).

        A well-formed change a rule refuses (``pzh_core.domain.rules``; every change of a desk
        older than the oldest accepted ``app_version``) is set aside: listed in
        ``PushResult.set_aside`` and kept for the sync-health page; its seq counts as received.

        ``acked_seq`` is the mark the device's file holds; a history that is not the server's
        for the device is refused (409 ``rekey_required``, docs/sync-protocol.md "Device epoch").
        Changes with ``seq`` at or below the device's applied mark are skipped. Stamps too far
        ahead of server time are rewritten to a server stamp. Records the device's sync health.
        :raises BatchRejected: e.g. a row that belongs to another station; nothing is applied.
        """

    @abc.abstractmethod
    def pull(self, device: Device, cursor: int, limit: int) -> PullResult:
        """Feed entries of the device's station after ``cursor`` (its own ones only when their
        stamp was rewritten), at most ``limit``, and the cursor to ask from next."""

    @abc.abstractmethod
    def list_set_aside(self, *, limit: int = 500) -> list[dict[str, Any]]:
        """The newest set-aside changes (station, device, seq, change, code, message, time)."""

    # -- the web pages' lists, counted and paged in SQL (sync.server.sql_health) ---------------
    @abc.abstractmethod
    def health_by_county(self, scope: Scope) -> list[dict[str, Any]]:
        """Per county of ``scope``: stations and devices, and how many need attention."""

    @abc.abstractmethod
    def health_stations(self, scope: Scope, *, limit: int, offset: int) -> Page:
        """The stations of ``scope`` with their sync health, those needing attention first."""

    @abc.abstractmethod
    def health_devices(self, scope: Scope, *, limit: int, offset: int) -> Page:
        """The devices of ``scope``, in use and needing attention first."""

    @abc.abstractmethod
    def devices_of(self, station_ids: list[str]) -> list[Device]:
        """Every device of these stations."""

    @abc.abstractmethod
    def set_aside_page(self, scope: Scope, *, limit: int, offset: int) -> Page:
        """The set-aside changes of ``scope``'s stations, newest first."""

    @abc.abstractmethod
    def stations_page(self, scope: Scope, *, limit: int, offset: int) -> Page:
        """The stations of ``scope`` by county and name."""

    @abc.abstractmethod
    def codes_page(self, scope: Scope, *, limit: int, offset: int) -> Page:
        """The enrollment codes of ``scope``'s stations, newest first."""

    @abc.abstractmethod
    def late_page(self, scope: Scope, *, limit: int, offset: int) -> Page:
        """The pending late changes of ``scope``'s stations, newest first."""

    @abc.abstractmethod
    def late_change(self, late_id: str) -> dict[str, Any] | None:
        """One late change (``late_changes`` row with ``station_id``), or None."""

    @abc.abstractmethod
    def period_counts(
        self, scope: Scope, year: int, due: list[str], done: tuple[str, ...]
    ) -> list[dict[str, Any]]:
        """Per county of ``scope``: stations, those with a ``due`` month not ``done``, and the
        year's periods in each state."""

    @abc.abstractmethod
    def verify(
        self, device: Device, tables: dict[str, str], kind: str = "stamps"
    ) -> dict[str, str]:
        """``{table: bucket string}`` of each table of the device's station whose digest value
        differs from the client's ``{table: value}`` (``pzh_core.digest``; ``kind`` "stamps" or
        "values")."""

    @abc.abstractmethod
    def fetch_buckets(self, device: Device, wanted: dict[str, list[int]]) -> list[list[Any]]:
        """The station's rows in the wanted buckets, ``[table, id, fields, field stamps]``."""

    @abc.abstractmethod
    def record_check(self, device_id: str, ok: bool, differs: str | None = None) -> None:
        """Remember the device's last digest check (for the sync health page)."""

    @abc.abstractmethod
    def record_error(self, device_id: str, message: str) -> None:
        """Remember the last error a device's request met (for the sync health page)."""

    @abc.abstractmethod
    def server_write(
        self,
        station_id: str,
        table: str,
        row_id: str,
        fields: dict[str, Any],
        *,
        operator: str = "",
    ) -> None:
        """A change made on the server (e.g. an administrator renames a station), merged and
        fed to the station's devices like any other change."""

    @abc.abstractmethod
    def list_periods(self, stations: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """The submitted and decided periods (``periods`` rows with ``station_id``)."""

    @abc.abstractmethod
    def period_states(self, stations: Sequence[str], year: int) -> list[tuple[str, str, str]]:
        """``(station_id, period, status)`` of one year's periods (the county's list)."""

    @abc.abstractmethod
    def record_history(self, station_id: str, table: str, row_id: str) -> list[Any]:
        """A record's history entries (``pzh_core.history.Entry``): the feed's changes and the
        refused ones."""

    @abc.abstractmethod
    def recent_changes(self, station_id: str, limit: int = 100) -> list[dict[str, Any]]:
        """A station's latest changes, newest first."""

    @abc.abstractmethod
    def list_late_changes(self, stations: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """The changes pushed to locked periods, newest first (``late_changes`` rows)."""

    @abc.abstractmethod
    def server_update(
        self,
        station_id: str,
        table: str,
        row_id: str,
        make: Callable[[dict[str, Any] | None], dict[str, Any]],
        *,
        operator: str = "",
        audit: tuple[str, str, str, str] | None = None,
    ) -> dict[str, Any]:
        """A server write decided on the row as it is, in one transaction: ``make`` gets the
        row's current fields (None when it does not exist) and returns the fields to write, or
        raises to write nothing (e.g. approving a period that was withdrawn meanwhile). With
        ``audit`` = (actor, action, target, detail) its audit entry is written in the same
        transaction."""

    # -- shared state of the server processes ---------------------------------------------------
    @abc.abstractmethod
    def take_token(self, key: str, rate: float, burst: int) -> float:
        """Take one token from the bucket ``key`` (``burst`` at once, refilled at ``rate`` per
        second; kept in the database, so every server process counts the same requests):
        0 when allowed, else the seconds until a token is there."""

    @abc.abstractmethod
    def signin_failures(
        self, keys: Sequence[str], change: Callable[[dict[str, list[int]]], T]
    ) -> T:
        """In one transaction, the failed sign-in times (ms) kept under each of ``keys``
        (``{key: times}``, ``[]`` for a key never seen), locked until it ends so that every
        server process counts the same attempts, are given to ``change``, which may alter the
        lists in place; the lists it altered are stored. Returns what ``change`` returns.
        The policy is :mod:`sync.server.web.throttle`'s."""

    # -- reading replica tables (reports, web pages) -------------------------------------------
    @abc.abstractmethod
    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        """Run a read-only SELECT over the replica tables (trusted SQL only: never user text)."""

    def primary_db(self) -> Db | None:
        """Like :meth:`indicator_db`, but never a read replica (an approval's snapshot)."""
        return self.indicator_db()

    def indicator_db(self) -> Db | None:
        """A read-only view of the replica tables for the core's indicator queries
        (:mod:`pzh_core.queries`), or None when this storage cannot run them."""
        return None

    @abc.abstractmethod
    def close(self) -> None: ...
