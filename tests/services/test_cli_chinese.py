"""The command line speaks Chinese: argparse's own texts, errors, and what commands print."""

from __future__ import annotations

import re
import subprocess
import sys

from pzh_station.cli.main import build_parser

ENGLISH = re.compile(r"usage:|positional arguments|options:|show this help|error:|invalid choice")


def _help_texts(parser) -> list[str]:
    texts = [parser.format_help()]
    for action in parser._subparsers._group_actions if parser._subparsers else []:
        for sub in action.choices.values():
            texts += _help_texts(sub)
    return texts


def test_every_help_page_is_free_of_argparse_english():
    texts = _help_texts(build_parser())
    assert len(texts) > 15
    for text in texts:
        assert not ENGLISH.search(text), text
        assert text.startswith("用法：")
    assert "显示此帮助并退出" in texts[0]


def test_errors_are_chinese(data_dir):
    proc = subprocess.run(
        [sys.executable, "-m", "pzh_station", "import", "nothing", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        encoding="utf-8",
    )
    assert proc.returncode == 2
    assert "错误：" in proc.stderr and "无效的选择" in proc.stderr, proc.stderr
    assert not ENGLISH.search(proc.stderr)


def test_demo_data_counts_are_labelled_in_chinese(cli):
    cli("init", "--station", "测试站", "--county", "仁和区", check=True)
    out = cli("demo-data", check=True).stdout
    assert "活动" in out and "志愿者" in out
    assert not re.search(r"[a-z_]{4,}", out), out  # no raw keys such as service_records
