"""The desk's log file: ``<data dir>/logs/pzh-station.log``, rotated at 1 MB, 5 kept.

What goes in: the start (version, OS, Python, Qt), every sync attempt and its outcome, errors with
their tracebacks, crashes. What never goes in: personal data — log lines name tables, counts,
ids and error kinds, never names, phone numbers or record contents. IT gets the folder through
帮助 → 导出诊断信息 (:mod:`pzh_station.services.diagnostics`).
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import platform
import sys
from pathlib import Path

from pzh_station import __version__

LOG_NAME = "pzh-station.log"
MAX_BYTES = 1_000_000
BACKUPS = 5
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"


def log_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "logs"


def setup(data_dir: Path) -> Path | None:
    """Send the ``pzh_station`` and ``pzh_core`` loggers to the data dir's rotating log file.

    :returns: the log file, or None when it cannot be written (a read-only folder must not stop
        the app; the log then goes nowhere).
    """
    folder = log_dir(data_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            folder / LOG_NAME, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
        )
    except OSError:
        return None
    handler.setFormatter(logging.Formatter(FORMAT))
    for name in ("pzh_station", "pzh_core"):
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if getattr(h, "pzh_log", False)]:
            logger.removeHandler(old)
            old.close()
        handler.pzh_log = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    logging.getLogger("pzh_station").info(
        "start: pzh-station %s, %s, Python %s%s",
        __version__,
        os_text(),
        platform.python_version(),
        " (frozen)" if getattr(sys, "frozen", False) else "",
    )
    return folder / LOG_NAME


def os_text() -> str:
    """The system for the start line, e.g. ``Windows 10 10.0.19045 AMD64`` or ``Linux 5.10.0
    x86_64 glibc 2.31``. Not ``platform.platform()``: on Linux it reads the Python binary to find
    the C library version, 20–50 ms at every start; the C library says it itself."""
    parts = [platform.system(), platform.release(), platform.machine()]
    if sys.platform == "win32":
        parts.insert(2, platform.version())
    try:
        parts.append(os.confstr("CS_GNU_LIBC_VERSION") or "")
    except (AttributeError, ValueError, OSError):  # not glibc, or not Unix
        pass
    return " ".join(p for p in parts if p)


def log_files(data_dir: Path) -> list[Path]:
    folder = log_dir(data_dir)
    return sorted(folder.glob(LOG_NAME + "*")) if folder.is_dir() else []
