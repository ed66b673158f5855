#!/usr/bin/env python3
"""Build pzh-station for the OS this runs on — one command:

    python installers/build.py                  # the bundle in installers/out/dist/PzhStation
    python installers/build.py --installer      # … and the NSIS installer (needs makensis)
    python installers/build.py --installer-only # installer around an existing bundle

PyInstaller cannot cross-compile: run it on Windows for the Windows bundle (the CI workflow
``.github/workflows/windows.yml`` does). makensis runs anywhere, so ``--installer`` also works on
Linux around the Linux bundle (the installer tests do that).

Signing (see docs/it-deployment.md): set ``PZH_SIGN_PFX`` (a .pfx/.p12 file) and
``PZH_SIGN_PASSWORD`` (or ``PZH_SIGN_PASSWORD_FILE``); ``installers/sign.py`` then signs both
programs before packaging, the uninstaller while makensis writes it and the installer at the end.
Without a certificate every signing step is skipped with a message.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import product  # noqa: E402

WINDOWS = sys.platform == "win32"
EXE_SUFFIX = ".exe" if WINDOWS else ""
OUT = HERE / "out"


def say(msg: str) -> None:
    print(f"[build] {msg}", flush=True)


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def build_bundle(out: Path, *, clean: bool) -> Path:
    """Run PyInstaller on the spec; return the bundle folder."""
    dist, work = out / "dist", out / "build"
    cmd = [
        sys.executable,
        "-m",
        "PyInstaller",
        str(HERE / "pzh-station.spec"),
        "--noconfirm",
        "--log-level",
        "WARN",
        "--distpath",
        str(dist),
        "--workpath",
        str(work),
    ]
    if clean:
        cmd.append("--clean")
    say(" ".join(cmd))
    started = time.monotonic()
    subprocess.run(cmd, check=True, cwd=ROOT)
    bundle = dist / product.APP_ID
    say(
        f"bundle {bundle} ({folder_size(bundle) / 1e6:.1f} MB) in"
        f" {time.monotonic() - started:.0f} s"
    )
    return bundle


def sign(path: Path) -> None:
    subprocess.run([sys.executable, str(HERE / "sign.py"), str(path)], check=True)


def find_makensis() -> str | None:
    found = shutil.which("makensis")
    if found:
        return found
    for base in (os.environ.get("ProgramFiles(x86)"), os.environ.get("ProgramFiles")):
        if base and (Path(base) / "NSIS" / "makensis.exe").is_file():
            return str(Path(base) / "NSIS" / "makensis.exe")
    return None


def build_installer(
    bundle: Path, out: Path, *, exe_suffix: str = EXE_SUFFIX, makensis: str | None = None
) -> Path:
    """Compile ``installers/pzh-station.nsi`` around ``bundle``; return the installer path."""
    makensis = makensis or find_makensis()
    if not makensis:
        raise SystemExit(
            "makensis not found: install NSIS (Debian: apt install nsis; Windows: choco"
            " install nsis)"
        )
    out.mkdir(parents=True, exist_ok=True)
    setup = out / f"{product.APP_ID}-{product.version()}-setup.exe"
    sign_cmd = f'"{sys.executable}" "{HERE / "sign.py"}"'
    header = product.nsis_header(
        exe_suffix=exe_suffix,
        extra={
            "BUNDLE_DIR": str(bundle),
            "OUT_FILE": str(setup),
            "ICON_FILE": str(product.ICON),
        },
    )
    # !finalize/!uninstfinalize need the command with its quotes, so it goes in as a raw line.
    header += f"!define SIGN_CMD `{sign_cmd}`\n"
    (out / "product.nsh").write_text(header, encoding="utf-8")
    cmd = [
        makensis,
        "-V2",
        "-INPUTCHARSET",
        "UTF8",
        f"-DPRODUCT_NSH={out / 'product.nsh'}",
        str(HERE / "pzh-station.nsi"),
    ]
    say(" ".join(cmd))
    subprocess.run(cmd, check=True, cwd=HERE)
    say(f"installer {setup} ({setup.stat().st_size / 1e6:.1f} MB)")
    return setup


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Build the pzh-station bundle (and installer) for this OS."
    )
    parser.add_argument("--installer", action="store_true", help="also build the NSIS installer")
    parser.add_argument(
        "--installer-only",
        action="store_true",
        help="only the installer, around an existing bundle",
    )
    parser.add_argument(
        "--out", type=Path, default=OUT, help="output folder (default installers/out)"
    )
    parser.add_argument("--clean", action="store_true", help="clear PyInstaller's cache first")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    bundle = out / "dist" / product.APP_ID
    if not args.installer_only:
        bundle = build_bundle(out, clean=args.clean)
        for name in (product.APP_EXE, product.CLI_EXE):
            sign(bundle / (name + EXE_SUFFIX))
    if args.installer or args.installer_only:
        build_installer(bundle, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
