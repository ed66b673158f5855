"""Functions stay short (issue 11: under ~60 lines) in the desk and the core: a longer one is
split into named helpers (one per section or group box). Read from the source with ``ast``."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("pzh_station", "pzh_core")
LIMIT = 60  # lines from ``def`` to the last line, docstring included

# Longer functions allowed, each with its reason.
ALLOWED = {
    # frozen historical migrations: a migration never changes after it ships
    "pzh_station/store/migrations/m0002_training.py:up",
    "pzh_station/store/migrations/m0003_volunteers.py:up",
    # being split this session by their owners (desk-sync: the sync client; native: start-up);
    # an entry whose function got short may stay until then
    "pzh_station/sync_client/client.py:enroll",
    "pzh_station/sync_client/verify.py:check",
    "pzh_station/selftest.py:_core_steps",
}


def _long_functions() -> dict[str, int]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    length = (node.end_lineno or node.lineno) - node.lineno + 1
                    if length > LIMIT:
                        found[f"{path.relative_to(ROOT).as_posix()}:{node.name}"] = length
    return found


def test_desk_and_core_functions_are_at_most_60_lines():
    too_long = {k: v for k, v in _long_functions().items() if k not in ALLOWED}
    assert too_long == {}, "split into named helpers: " + ", ".join(
        f"{k} ({v} lines)" for k, v in sorted(too_long.items())
    )
