"""Every report command documents its options."""

from __future__ import annotations


def test_every_report_option_has_help_text():
    from pzh_station.cli.main import build_parser

    parser = build_parser()
    report = next(
        a for a in parser._subparsers._group_actions[0].choices.items() if a[0] == "report"
    )[1]
    commands = report._subparsers._group_actions[0].choices
    assert set(commands) == {"annual", "monthly", "return", "summary"}
    for name, sub in commands.items():
        for action in sub._actions:
            assert action.help, (name, action.dest)
