"""导出诊断信息: one zip for county IT with what they need to tell what happened on a PC —
the log files, the versions, the sync state (never the device token) and the integrity check.
No personal data: no records, no names (the station file itself is not included)."""

from __future__ import annotations

import json
import platform
import sys
import zipfile
from pathlib import Path
from typing import Any

from pzh_station import __version__, logs
from pzh_station.services import maintenance
from pzh_station.services.context import Services


def sync_state(services: Services) -> dict[str, Any]:
    """The sync state as IT needs it; the token is left out."""
    from pzh_station.sync_client.state import SyncState

    state = SyncState.load(services.store)
    return {
        "server_url": state.server_url,
        "device_id": state.device_id,
        "enrolled": state.enrolled,
        "acked_seq": state.acked_seq,
        "cursor": state.cursor,
        "pending": state.pending,
        "last_success": state.last_success,
        "last_attempt": state.last_attempt,
        "last_error": state.last_error,
        "last_error_kind": state.last_error_kind,
        "clock_offset_ms": state.clock_offset_ms,
    }


def write_zip(services: Services, dest: Path, *, extra: dict[str, str] | None = None) -> Path:
    """Write the diagnostics zip to ``dest``.

    :param extra: versions only the caller knows (Qt and PySide6 from the UI).
    """
    data_dir = services.data_dir
    info = {
        "app_version": __version__,
        "python": sys.version,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "frozen": bool(getattr(sys, "frozen", False)),
        "data_dir": str(data_dir),
        "schema_version": services.store.schema_version,
        **(extra or {}),
    }
    dest = Path(dest)
    tmp = dest.with_name(dest.name + ".part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("versions.json", json.dumps(info, ensure_ascii=False, indent=2))
        zf.writestr(
            "sync-state.json", json.dumps(sync_state(services), ensure_ascii=False, indent=2)
        )
        problems = maintenance.check(data_dir)
        zf.writestr("check.txt", "\n".join(problems) or "检查通过：数据文件完好。")
        backups = [f"{p.name}\t{p.stat().st_size}" for p in maintenance.list_backups(data_dir)]
        zf.writestr("backups.txt", "\n".join(backups))
        for log in logs.log_files(data_dir):
            zf.write(log, f"logs/{log.name}")
    tmp.replace(dest)
    return dest
