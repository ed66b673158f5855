"""What the agent reads from the PC's settings (``settings.json`` / install-time ``preset.ini``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pzh_station.settings import Settings

DEFAULT_INTERVAL_S = 300  # a sync every 5 minutes while online


@dataclass
class SyncSettings:
    server_url: str = ""
    enrollment_code: str = ""
    ca_bundle: str | None = None
    interval_s: int = DEFAULT_INTERVAL_S

    @classmethod
    def load(cls, data_dir: Path) -> SyncSettings:
        s = Settings(data_dir)
        try:
            interval = int(s.get("sync_interval_s", DEFAULT_INTERVAL_S))
        except (TypeError, ValueError):
            interval = DEFAULT_INTERVAL_S
        return cls(
            server_url=str(s.get("server_url", "") or ""),
            enrollment_code=str(s.get("enrollment_code", "") or ""),
            ca_bundle=str(s.get("ca_bundle")) if s.get("ca_bundle") else None,
            interval_s=max(30, interval),
        )


def remember_server(data_dir: Path, server_url: str) -> None:
    """Keep the address that worked, so the dialog shows it next time."""
    Settings(data_dir).set("server_url", server_url)
