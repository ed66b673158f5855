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


def write_zip(
    services: Services,
    dest: Path,
    *,
    sync_state: dict[str, Any],
    extra: dict[str, str] | None = None,
) -> Path:
    """Write the diagnostics zip to ``dest``.

    :param sync_state: the sync state as IT needs it, without the device token (the caller
        reads it: services do not reach into the sync client).
    :param extra: versions only the caller knows (Qt and PySide6 from the UI).
    """
    sync_state = {k: v for k, v in sync_state.items() if k != "token"}
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
        zf.writestr("sync-state.json", json.dumps(sync_state, ensure_ascii=False, indent=2))
        problems = maintenance.check(data_dir)
        zf.writestr("check.txt", "\n".join(problems) or "检查通过：数据文件完好。")
        backups = [f"{p.name}\t{p.stat().st_size}" for p in maintenance.list_backups(data_dir)]
        zf.writestr("backups.txt", "\n".join(backups))
        for log in logs.log_files(data_dir):
            zf.write(log, f"logs/{log.name}")
    tmp.replace(dest)
    return dest
