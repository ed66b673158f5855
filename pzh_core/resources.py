"""Where the bundled ``resources/`` folder is: inside a PyInstaller bundle (``sys._MEIPASS``),
beside the packages in a checkout or an editable install, or — for a wheel installed with pip, such
as the city server's ``pip install ".[server]"`` — under ``<prefix>/share/pzh-station/resources``
(the wheel's data files, see pyproject.toml)."""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    checkout = Path(__file__).resolve().parent.parent / "resources"
    if checkout.is_dir():
        return checkout
    return Path(sys.prefix) / "share" / "pzh-station" / "resources"
