"""Where the bundled ``resources/`` folder is: beside the packages in a checkout, or inside a
PyInstaller bundle (``sys._MEIPASS``)."""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"
