#!/usr/bin/env python3
"""Which glibc a bundle needs: the highest ``GLIBC_x.y`` symbol version any ELF file in it requires.

    python installers/glibc_scan.py installers/out/dist/PzhStation            # report
    python installers/glibc_scan.py installers/out/dist/PzhStation --max 2.31 # exit 1 above 2.31

The loader refuses a program or library whose version references name a ``GLIBC_`` version the
system's libc does not define, so the highest one over every ELF file (the programs, Python's
libpython and extension modules, Qt's libraries and plugins) is the oldest glibc the bundle starts
on. Read from the ``.gnu.version_r`` section with ``objdump -p`` (binutils, which PyInstaller
needs on Linux anyway).

Targets (docs/linux-desktops.md): 2.31 — Kylin V10 SP1 and UOS V23; a build on Debian 12 needs 2.36.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

TARGET = (2, 31)
_REF = re.compile(r"\bGLIBC_(\d+)\.(\d+)(?:\.(\d+))?\b")


def is_elf(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def elf_files(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink() and is_elf(path):
            yield path


def required(path: Path) -> tuple[int, ...] | None:
    """The highest GLIBC_ version ``path`` requires (None when it names none)."""
    out = subprocess.run(
        ["objdump", "-p", str(path)], capture_output=True, text=True, errors="replace", check=True
    ).stdout
    refs = out.split("Version References:", 1)
    if len(refs) < 2:
        return None
    found = [tuple(int(n) for n in m.groups() if n is not None) for m in _REF.finditer(refs[1])]
    return max(found) if found else None


def scan(folder: Path) -> dict[Path, tuple[int, ...]]:
    """Every ELF file under ``folder`` that names a GLIBC_ version → the highest it names."""
    result = {}
    for path in elf_files(folder):
        need = required(path)
        if need is not None:
            result[path] = need
    return result


def highest(found: dict[Path, tuple[int, ...]]) -> tuple[int, ...]:
    return max(found.values(), default=(0,))


def dotted(version: tuple[int, ...]) -> str:
    return ".".join(str(n) for n in version)


def parse(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in text.split("."))


def host_glibc() -> tuple[int, ...]:
    """The glibc of the machine this runs on (``(0,)`` where there is none)."""
    import platform

    lib, ver = platform.libc_ver()
    return parse(ver) if lib == "glibc" and ver else (0,)


def report(folder: Path, found: dict[Path, tuple[int, ...]], limit: tuple[int, ...]) -> str:
    over = sorted(((v, p) for p, v in found.items() if v > limit), reverse=True)
    lines = [
        f"{len(found)} ELF files in {folder}; highest GLIBC_ needed: {dotted(highest(found))} "
        f"(limit {dotted(limit)})"
    ]
    for version, path in over[:25]:
        lines.append(f"  {dotted(version):>6}  {path.relative_to(folder)}")
    if len(over) > 25:
        lines.append(f"  … and {len(over) - 25} more above {dotted(limit)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--max", default=None, help=f"fail above this (e.g. {dotted(TARGET)})")
    args = parser.parse_args(argv)
    limit = parse(args.max) if args.max else (99,)
    found = scan(args.folder)
    print(report(args.folder, found, limit if args.max else TARGET))
    return 1 if highest(found) > limit else 0


if __name__ == "__main__":
    sys.exit(main())
