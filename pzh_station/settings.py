"""Settings of one PC: ``settings.json`` in the data dir, with install-time presets as fallback.

County IT presets values (city server address, an enrollment code, a CA bundle) at install
time in ``preset.ini`` — beside the program (the install dir), in
``%PROGRAMDATA%\\pzh-station\\preset.ini`` (Linux: ``/etc/pzh-station/preset.ini``, written by IT
beside the .deb's own) — or the file named by ``PZH_STATION_PRESET``. A preset
is used only where ``settings.json`` has no value of its own, so a reinstall or upgrade never
overrides what the station set. ``preset.ini`` has one section ``[pzh-station]`` with keys of the
same names as below.

Keys: ``server_url``, ``enrollment_code``, ``ca_bundle`` (path of a PEM file, for a city's own
CA), ``operator`` (the staff member at the keyboard), ``sync_interval_s``.
"""

from __future__ import annotations

import configparser
import json
import os
import sys
from pathlib import Path
from typing import Any

FILE = "settings.json"
PRESET = "preset.ini"
SECTION = "pzh-station"
ENV_PRESET = "PZH_STATION_PRESET"
ENV_ETC = "PZH_STATION_ETC"  # tests: stands in for /etc


def preset_files() -> list[Path]:
    files: list[Path] = []
    if os.environ.get(ENV_PRESET):
        files.append(Path(os.environ[ENV_PRESET]))
    files.append(Path(sys.executable).resolve().parent / PRESET)
    program_data = os.environ.get("PROGRAMDATA")
    if program_data:
        files.append(Path(program_data) / "pzh-station" / PRESET)
    if sys.platform != "win32":
        files.append(Path(os.environ.get(ENV_ETC, "/etc")) / "pzh-station" / PRESET)
    return files


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) as written by an editor, else the Chinese Windows code page
    (GBK/GB18030) as written by the NSIS installer's WriteINIStr."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def read_preset() -> dict[str, str]:
    """Values of the first preset file found (empty when none)."""
    for path in preset_files():
        if path.is_file():
            parser = configparser.ConfigParser(interpolation=None)
            try:
                parser.read_string(_decode(path.read_bytes()))
            except (configparser.Error, OSError):
                continue
            if parser.has_section(SECTION):
                return {k: v.strip() for k, v in parser.items(SECTION) if v.strip()}
    return {}


class Settings:
    """:param data_dir: the station's data dir (``settings.json`` lives there)."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / FILE
        self._own = self._load()
        self._preset = read_preset()

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, key: str, default: Any = None) -> Any:
        if key in self._own and self._own[key] not in (None, ""):
            return self._own[key]
        return self._preset.get(key, default)

    def set(self, key: str, value: Any) -> None:
        """Store a value of this PC's own (atomic write)."""
        self._own[key] = value
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".part")
        tmp.write_text(json.dumps(self._own, ensure_ascii=False, indent=2), encoding="utf-8")
        tmp.replace(self.path)
