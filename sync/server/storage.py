"""The city server's storage interface: what the API and the admin use-cases need, nothing more.

One implementation runs on SQLite and PostgreSQL (:mod:`sync.server.sql_storage`). Every write
method is one transaction: it happens whole or not at all. Times are milliseconds since the epoch
(UTC) unless a name says otherwise.
"""

from __future__ import annotations

import abc
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from pzh_core.queries import Db

CHINA = timezone(timedelta(hours=8))


def china_day(ms: int) -> str:
    """The calendar day in Panzhihua (UTC+8) of a time in ms, ``YYYY-MM-DD``."""
    return datetime.fromtimestamp(ms / 1000, CHINA).strftime("%Y-%m-%d")


@dataclass(frozen=True)
class Station:
    id: str
    name: str
    county: str
    created_ms: int


@dataclass(frozen=True)
class Code:
    """A one-time enrollment code (stored as typed by a person, e.g. ``K7MP-X3QD``)."""

    code: str
    station_id: str
    created_ms: int
    expires_ms: int
    spent_ms: int | None = None
    device_id: str | None = None  # the device that spent it


@dataclass(frozen=True)
class Device:
    id: str
    station_id: str
    name: str
    app_version: str
    created_ms: int
    revoked_ms: int | None = None
    applied_seq: int = 0  # highest device seq the server holds
    last_sync_ms: int | None = None  # last successful sync exchange
    last_seen_ms: int | None = None  # last request, successful or not
    changes_day: str = ""  # the day (China time, YYYY-MM-DD) that changes_today counts
    changes_today: int = 0
    skew_ms: int | None = None  # client clock − server clock at the last sync
    clamped_total: int = 0  # stamps rewritten because they were too far in the future
    last_error: str = ""
    last_error_ms: int | None = None
    request_id: str | None = None  # the enrollment or re-key request that made it
    parent_id: str | None = None  # the device it re-keyed
    replaced_by: str | None = None  # the device that re-keyed it
    revoke_reason: str | None = None  # 'admin' | 'rekeyed'
    digest_ok: int | None = None  # the device's last digest check: 1 equal, 0 differed
    digest_differs: str | None = None  # tables that differed
    digest_ms: int | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_ms is not None


@dataclass(frozen=True)
class AuditEntry:
    """One administrative act: who did what to what, when (the audit log: web pages, CLI)."""

    id: int
    ms: int
    actor: str  # "web:<account>" or "admin" (the command line)
    action: str  # a key of AUDIT_ACTIONS, e.g. "station.rename"
    target: str  # what it was done to: a station, device or return id, an account name
    station_id: str  # the station concerned, for county scoping ("" for web accounts)
    detail: str  # what changed, in Chinese, for people

    @property
    def label(self) -> str:
        return AUDIT_ACTIONS.get(self.action, self.action)


# The actions' labels on the pages and in exports. A module that records a new kind of act adds
# its label here (an unknown action is shown as its key).
AUDIT_ACTIONS = {
    "station.create": "创建文化站",
    "station.rename": "文化站改名",
    "code.issue": "发放邀请码",
    "device.revoke": "停用设备",
    "user.create": "新建账号",
    "user.password": "重设密码",
    "user.scope": "修改账号范围",
    "user.disable": "停用账号",
    "user.enable": "启用账号",
    # issue 14: the county's and the city's decisions on submitted periods and late changes
    "period.approve": "审核通过",
    "period.return": "退回报送",
    "period.unlock": "解锁",
    "period.accept": "市级确认",
    "late.accept": "接受审核后的修改",
    "late.reject": "拒绝审核后的修改",
    "deadline.set": "设置修改期限",
}


@dataclass(frozen=True)
class FeedEntry:
    """One entry of the change feed, as the pull sends it."""

    seq: int
    table: str
    row_id: str
    stamp: str
    fields_json: str  # the fields as stored: a JSON object (sent as it is, never re-encoded)
    replaced: str | None = None  # the pushed stamp this entry's stamp replaced (clamping)
    operator: str = ""  # who made it (the desk's operator, or the web user for a server write)

    @property
    def fields(self) -> dict[str, Any]:
        return json.loads(self.fields_json)


@dataclass
class PushResult:
    acked_seq: int
    applied: int = 0  # changes applied now (not seen before)
    skipped: int = 0  # changes already held (a resent batch)
    clamped: int = 0
    feed_added: int = 0
    set_aside: list[dict[str, Any]] = field(default_factory=list)  # changes a rule refused


@dataclass
class PullResult:
    changes: list[FeedEntry] = field(default_factory=list)
    cursor: int = 0
    more: bool = False
    digest: str | None = None  # the station's root digest, when ``more`` is false
    remaining: int | None = None  # entries still to come after this page, when ``more``


class StorageOpenError(Exception):
    """The data file cannot be opened as the server's storage (not a database, damaged);
    ``message`` says so in Chinese, for the administrator."""

    def __init__(self, path: object, detail: str) -> None:
        super().__init__(f"{path}: {detail}")
        self.path = path
        self.detail = detail
        self.message = (
            f"{path} 不是本服务器的数据文件（不是 SQLite 数据库，或已损坏：{detail}）。"
            "请检查 --data-dir / --database，或从备份恢复该文件。"
        )


class EnrollError(Exception):
    """An enrollment code that cannot be used; ``reason`` is unknown | spent | expired | station."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


REKEYED = "rekeyed"  # revoke reason of a device whose file re-keyed (a new id replaced it)


class RekeyRefused(Exception):
    """The old device cannot be re-keyed: ``reason`` is ``unknown`` or ``revoked``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class BatchRejected(Exception):
    """A pushed batch that was not applied at all; ``status``/``code`` become the HTTP answer."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        index: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.index = index
        self.extra = extra or {}  # more keys of the error answer (e.g. applied_seq)


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

    @abc.abstractmethod
    def verify(self, device: Device, tables: dict[str, str]) -> dict[str, str]:
        """``{table: bucket string}`` of each table of the device's station whose digest value
        differs from the client's ``{table: value}`` (``pzh_core.digest``)."""

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
