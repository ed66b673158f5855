"""A data file that is not a database: the server and its admin commands stop at once with a
Chinese message and exit code 2 (they used to wait for ever on the writer thread)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sync.server", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={
            **{k: v for k, v in os.environ.items() if k != "PZH_SYNC_DATABASE"},
            "PYTHONUTF8": "1",
            "PYTHONPATH": str(ROOT),
        },
        cwd=ROOT,
        timeout=60,
    )


@pytest.mark.parametrize("content", [b"this is not a database" * 100, b"\x00" * 4096])
def test_a_data_file_that_is_not_a_database_stops_with_a_message(
    tmp_path: Path, content: bytes, engine: str
) -> None:
    if engine != "sqlite":
        pytest.skip("a SQLite data file")
    (tmp_path / "server.sqlite3").write_bytes(content)
    for args in (
        ("serve", "--port", "0", "--data-dir", str(tmp_path)),
        ("admin", "list-stations", "--data-dir", str(tmp_path)),
    ):
        proc = _run(*args)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert "不是本服务器的数据文件" in proc.stderr and "server.sqlite3" in proc.stderr
        assert "Traceback" not in proc.stderr
