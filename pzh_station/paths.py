"""Where the station's files live.

The data dir (database, backups, settings, logs) is, in order: ``--data-dir DIR``, the
environment variable ``PZH_STATION_DATA_DIR``, or platformdirs' user data dir
(``%LOCALAPPDATA%\\pzh-station`` on Windows, ``~/.local/share/pzh-station`` on Linux) —
never the install dir.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "pzh-station"
ENV_DATA_DIR = "PZH_STATION_DATA_DIR"
DB_NAME = "station.sqlite3"


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    if override:
        return Path(override).expanduser()
    env = os.environ.get(ENV_DATA_DIR)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False, roaming=False))


def db_path(directory: Path) -> Path:
    return directory / DB_NAME


def backups_dir(directory: Path) -> Path:
    return directory / "backups"


def logs_dir(directory: Path) -> Path:
    return directory / "logs"
