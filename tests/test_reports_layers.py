"""The reports core (indicators, report service, CLI) imports no Qt: the city server runs it."""

from __future__ import annotations

import subprocess
import sys


def test_reports_core_imports_no_qt():
    code = (
        "import sys\nimport pzh_station.reports.indicators, pzh_station.services.reports, pzh_station.cli.reports\n"
        "bad = [m for m in sys.modules if m.startswith('PySide6')]\nassert not bad, bad\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_every_report_option_has_help_text():
    from pzh_station.cli.main import build_parser

    parser = build_parser()
    report = next(a for a in parser._subparsers._group_actions[0].choices.items() if a[0] == "report")[1]
    commands = report._subparsers._group_actions[0].choices
    assert set(commands) == {"annual", "monthly", "summary"}
    for name, sub in commands.items():
        for action in sub._actions:
            assert action.help, (name, action.dest)
