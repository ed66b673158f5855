"""The training and people core imports no Qt (the CLI and server-side tools reuse it)."""

from __future__ import annotations

import subprocess
import sys

CORE = [
    "pzh_station.domain.person", "pzh_station.domain.training", "pzh_station.store.people",
    "pzh_station.store.training", "pzh_station.services.people", "pzh_station.services.training",
    "pzh_station.services.roster_import", "pzh_station.services.training_export",
    "pzh_station.services.demo_training", "pzh_station.io.roster_pdf", "pzh_station.cli.training",
]


def test_training_core_imports_no_qt():
    code = "import sys\n" + "".join(f"import {m}\n" for m in CORE) + (
        "bad = [m for m in sys.modules if m.startswith('PySide6')]\nassert not bad, bad\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
