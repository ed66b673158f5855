"""The sync agent core is usable without a display: it imports no Qt (the CLI and tests run it
headless; only pzh_station.ui.sync wraps it for the app)."""

from __future__ import annotations

import subprocess
import sys

CORE = ["pzh_station.syncer", "pzh_station.syncer.client", "pzh_station.syncer.clock",
        "pzh_station.syncer.transport", "pzh_station.syncer.state", "pzh_station.syncer.config",
        "pzh_station.cli.sync"]


def test_sync_core_imports_no_qt():
    code = "import sys\n" + "".join(f"import {m}\n" for m in CORE) + (
        "bad = [m for m in sys.modules if m.startswith('PySide6')]\n"
        "assert not bad, bad\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
