"""The records and errors of the city server's storage interface (:mod:`sync.server.storage`):
stations, codes, devices, audit entries, feed entries, push and pull results, and the
exceptions a storage method raises. Times are milliseconds since the epoch (UTC) unless a name
says otherwise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, NamedTuple


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
    pc_number: int | None = None  # its number in the station (certificate numbers: J01 …)

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


class FeedEntry(NamedTuple):
    """One entry of the change feed, as the pull sends it (a tuple: a pull makes up to 500 of
    them per request, and a frozen dataclass costs several times as much to make)."""

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
    values: str | None = None  # the root of its values' digest, beside ``digest``
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


@dataclass(frozen=True)
class Scope:
    """Which stations a list covers: ``county`` ("" = every county), ``station_id`` ("" = every
    station of the scope)."""

    county: str = ""
    station_id: str = ""

    def where(self, alias: str = "s") -> tuple[str, list[Any]]:
        parts: list[str] = []
        params: list[Any] = []
        if self.county:
            parts.append(f"{alias}.county = ?")
            params.append(self.county)
        if self.station_id:
            parts.append(f"{alias}.id = ?")
            params.append(self.station_id)
        return (" AND ".join(parts) or "1 = 1"), params


@dataclass
class Page:
    """One page of a list: its ``rows`` and the ``total`` in the list."""

    rows: list[Any]
    total: int
