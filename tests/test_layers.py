"""Layers one way: the store, domain, services, io and sync core import no Qt."""

from __future__ import annotations

import subprocess
import sys

CORE = [
    "pzh_station.store", "pzh_station.store.backup", "pzh_station.store.activities",
    "pzh_station.domain.activity", "pzh_station.domain.refdata", "pzh_station.io.tabular",
    "pzh_station.services.activities", "pzh_station.services.station", "pzh_station.services.demo",
    "pzh_station.services.maintenance", "pzh_station.cli.main", "sync.hlc", "sync.merge", "sync.schema",
]


def test_core_modules_import_no_qt():
    code = "import sys\n" + "".join(f"import {m}\n" for m in CORE) + (
        "bad = [m for m in sys.modules if m.startswith('PySide6')]\n"
        "assert not bad, bad\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
