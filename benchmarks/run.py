"""Run every benchmark: ``python benchmarks/run.py [--quick]``.

Each module in ``MODULES`` is a plain script (``benchmarks/<name>.py``) run in its own process (so
peak-memory figures are its own); it prints its figures as Markdown. Record them, with the
machine, in ``docs/benchmarks.md``. Engineers append their module to ``MODULES``.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

MODULES = [
    "bench_activities",
    "bench_training",
    "bench_volunteers",
    "bench_server",
    "bench_sync",
    "bench_reports",
    "bench_web",
    "bench_periods",
    "bench_province",
    "bench_load",
    "bench_bundle",
    "bench_photos",
    "bench_startup",
    "bench_clocks",
]


def machine() -> str:
    lines = [
        f"python {platform.python_version()} on {platform.platform()}",
        f"cpus: {os.cpu_count()}",
    ]
    for cmd in (["lscpu"], ["free", "-m"]):
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        keep = [
            ln
            for ln in out.splitlines()
            if cmd[0] != "lscpu"
            or ln.split(":")[0]
            in (
                "Architecture",
                "CPU(s)",
                "Model name",
                "Thread(s) per core",
                "CPU max MHz",
                "L3 cache",
            )
        ]
        lines += keep
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
    }
    print("## Machine\n```\n" + machine() + "\n```\n")
    only = [a for a in argv if not a.startswith("-")]
    flags = [a for a in argv if a.startswith("-")]
    failed = []
    for name in MODULES:
        if only and name not in only:
            continue
        print(f"# {name}\n", flush=True)
        proc = subprocess.run([sys.executable, str(HERE / f"{name}.py"), *flags], env=env, cwd=ROOT)
        if proc.returncode != 0:
            failed.append(name)
    if failed:
        print("FAILED: " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
