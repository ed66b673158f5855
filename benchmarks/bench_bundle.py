"""Bundle size (unpacked and as an installer) and frozen start time against start from source.

    python benchmarks/bench_bundle.py [--quick] [--reuse]

Builds the bundle for this OS with installers/build.py (``--reuse``: take the last build in
installers/out/bench if there is one) and, where makensis is installed, the NSIS installer. Start
time is measured for ``--version`` (process start, imports of the CLI) and ``--self-test`` (store,
backup, Qt, main window with every page, offscreen): median of N runs, frozen vs ``python -m``.
On Linux this measures the Linux bundle; the Windows figures come from the CI workflow's summary.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "installers"))
import product  # noqa: E402

OUT = ROOT / "installers" / "out" / "bench"
EXE = ".exe" if sys.platform == "win32" else ""


def size_mb(path: Path) -> float:
    return (
        sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink()) / 1e6
    )


def timed(cmd: list[str], runs: int, env: dict[str, str]) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, env=env, cwd=ROOT, timeout=300)
        times.append(time.perf_counter() - start)
    return statistics.median(times), max(times)


def main(argv: list[str]) -> int:
    quick, reuse = "--quick" in argv, "--reuse" in argv
    runs = 3 if quick else 7
    bundle = OUT / "dist" / product.APP_ID
    rows: list[tuple[str, str]] = []
    if not (reuse and bundle.is_dir()):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, str(ROOT / "installers" / "build.py"), "--out", str(OUT)],
            check=True,
            capture_output=True,
            cwd=ROOT,
        )
        rows.append(
            ("PyInstaller build (one folder, two programs)", f"{time.perf_counter() - start:.0f} s")
        )
    rows.append((f"bundle unpacked ({sys.platform})", f"{size_mb(bundle):.1f} MB"))
    internal = bundle / "_internal"
    parts = sorted(
        ((size_mb(p) if p.is_dir() else p.stat().st_size / 1e6), p.name)
        for p in internal.iterdir()
        if not p.is_symlink()
    )
    rows.append(
        ("largest parts", ", ".join(f"{name} {mb:.1f} MB" for mb, name in reversed(parts[-5:])))
    )
    setups = sorted(OUT.glob("*-setup.exe"))
    if shutil.which("makensis") and not (reuse and setups):
        start = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "installers" / "build.py"),
                "--out",
                str(OUT),
                "--installer-only",
            ],
            check=True,
            capture_output=True,
            cwd=ROOT,
        )
        rows.append(("makensis (solid LZMA)", f"{time.perf_counter() - start:.0f} s"))
        setups = sorted(OUT.glob("*-setup.exe"))
    if setups:
        rows.append(("installer (NSIS, solid LZMA)", f"{setups[-1].stat().st_size / 1e6:.1f} MB"))
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    frozen = str(bundle / (product.CLI_EXE + EXE))
    source = [sys.executable, "-m", "pzh_station"]
    for what in ("--version", "--self-test"):
        f_med, f_max = timed([frozen, what], runs, env)
        s_med, s_max = timed([*source, what], runs, env)
        rows.append((f"`{what}` frozen", f"{f_med * 1000:.0f} ms (max {f_max * 1000:.0f})"))
        rows.append((f"`{what}` from source", f"{s_med * 1000:.0f} ms (max {s_max * 1000:.0f})"))
    print(f"median of {runs} runs\n")
    print("| measurement | result |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
