"""Administration use-cases, shared by the command line (``pzh-sync-server admin``) and the web
pages: stations, enrollment codes, devices and their sync health.

Each function takes a :class:`~sync.server.storage.Storage`; errors a person can fix are raised
as :class:`AdminError` with a Chinese message.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from pzh_core.china_tz import china_day
from pzh_core.text import has_control
from sync.server import auth
from sync.server.storage import Code, Device, Station, Storage

DAY_MS = 24 * 3600 * 1000
MAX_EXPIRES_DAYS = 365


class AdminError(ValueError):
    """Something an administrator asked for that cannot be done; the message is Chinese."""


def _county_label(county: str) -> str:
    """The county's label (what stations store), from its label or code."""
    try:
        from pzh_core.domain import refdata
    except ImportError:  # a server installed without the desktop package: accept as typed
        return county.strip()
    code = refdata.code_for("counties", county)
    if code is None:
        raise AdminError(f"未知的县（区）：“{county}”。可选：{'、'.join(refdata.counties())}")
    return refdata.label("counties", code)


def station_name(name: str) -> str:
    """A station name as typed, cleaned (full-width letters and spaces made plain, runs of spaces
    made one) and checked: not empty, at most 100 characters, no control characters."""
    from pzh_core.tabular import normalise_text

    if has_control(name or "", line=True):
        raise AdminError("文化站名称含有不可见的控制字符（可能是从别处复制来的），请重新输入。")
    name = normalise_text(name or "")
    if not name:
        raise AdminError("请填写文化站名称。")
    if len(name) > 100:
        raise AdminError("文化站名称过长（最多100字）。")
    return name


def _name_key(name: str) -> str:
    return "".join(name.split()).casefold()


def _check_unique(storage: Storage, name: str, county: str, *, except_id: str = "") -> None:
    """Names are unique within a county: two rows nobody can tell apart help no one."""
    for st in storage.list_stations():
        if st.county == county and st.id != except_id and _name_key(st.name) == _name_key(name):
            raise AdminError(
                f"{county}已有名为“{st.name}”的文化站，请换一个名称（可加上所在村、社区）。"
            )


def create_station(storage: Storage, name: str, county: str, *, actor: str = "") -> Station:
    """Register a station.

    :param name: the station's name, e.g. 大河中路街道综合文化站 (unique within its county).
    :param county: county label (仁和区) or code (renhe).
    :param actor: who asked (recorded in the audit log), e.g. ``web:chenli``.
    """
    name = station_name(name)
    label = _county_label(county or "")
    _check_unique(storage, name, label)
    station = storage.create_station(name, label, actor=actor or "admin")
    from sync.server import definitions

    path = getattr(storage, "path", None)
    if path is not None:  # the city's definition file reaches the new station too
        definitions.publish(storage, Path(path).parent, station_ids=[station.id])
    # ...and so do the settings the city and its county set before it existed.
    definitions.inherit(storage, station.id, label)
    return station


def rename_station(
    storage: Storage, station_id: str, name: str, *, actor: str, reason: str = ""
) -> Station:
    """Rename a station: a server write of its ``stations`` row (so its PCs pull the new name),
    in one transaction with its audit-log entry.

    :param reason: why, as the administrator typed it (kept in the audit log).
    """
    st = storage.get_station(station_id)
    if st is None:
        raise AdminError(f"没有这个文化站：{station_id}")
    name = station_name(name)
    if name == st.name:
        raise AdminError("新名称与现在的名称相同。")
    if has_control(reason or "", line=True):
        raise AdminError("原因含有不可见的控制字符，请重新输入。")
    reason = (reason or "").strip()
    if len(reason) > 200:
        raise AdminError("原因最多200字。")
    _check_unique(storage, name, st.county, except_id=st.id)
    return storage.rename_station(station_id, name, actor=actor, reason=reason)


def issue_code(
    storage: Storage, station_id: str, *, expires_days: int = 7, actor: str = ""
) -> Code:
    """Make a one-time enrollment code for a station.

    :param station_id: the station the enrolling device will belong to.
    :param expires_days: days the code stays valid (1 to 365).
    :param actor: who asked (an audit entry is recorded when given).
    """
    st = storage.get_station(station_id)
    if st is None:
        raise AdminError(f"没有这个文化站：{station_id}")
    if not isinstance(expires_days, int) or not 1 <= expires_days <= MAX_EXPIRES_DAYS:
        raise AdminError(f"有效天数须在1到{MAX_EXPIRES_DAYS}之间。")
    expires = storage.now() + expires_days * DAY_MS
    for _ in range(5):  # a collision is astronomically rare; retry rather than fail
        try:
            code = storage.add_code(auth.new_code(), station_id, expires)
        except Exception as exc:  # noqa: BLE001 - unique constraint on the code
            last = exc
            continue
        if actor:
            detail = f"{st.county} · {st.name}：{code.code}，{expires_days}天有效"
            storage.audit(actor, "code.issue", station_id, detail, station_id=station_id)
        return code
    raise AdminError(f"无法生成邀请码：{last}")


def list_codes(storage: Storage, *, station_id: str | None = None) -> list[Code]:
    return storage.list_codes(station_id=station_id)


def list_stations(storage: Storage) -> list[Station]:
    return storage.list_stations()


def list_devices(storage: Storage, *, station_id: str | None = None) -> list[Device]:
    return storage.list_devices(station_id=station_id)


def revoke_device(storage: Storage, device_id: str, *, actor: str = "") -> Device:
    """Revoke a device: its token is refused from now on (it must enroll again with a new code)."""
    dev = storage.revoke_device(device_id)
    if dev is None:
        raise AdminError(f"没有这个设备：{device_id}")
    if actor:
        st = storage.get_station(dev.station_id)
        where = f"{st.county} · {st.name}" if st else dev.station_id
        detail = f"{where}：{dev.name or '未命名设备'}（{dev.id}）"
        storage.audit(actor, "device.revoke", dev.id, detail, station_id=dev.station_id)
    return dev


def sync_health(storage: Storage) -> list[dict[str, Any]]:
    """One row per device with its station: last successful sync, changes received today, clock
    skew, last error (what the web "sync health" page shows)."""
    stations = {s.id: s for s in storage.list_stations()}
    today = china_day(storage.now())
    out = []
    for dev in storage.list_devices():
        st = stations.get(dev.station_id)
        row = asdict(dev)
        row["changes_today"] = dev.changes_today if dev.changes_day == today else 0
        row.update(
            revoked=dev.revoked, station_name=st.name if st else "", county=st.county if st else ""
        )
        out.append(row)
    return out
