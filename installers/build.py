#!/usr/bin/env python3
"""Build pzh-station for the OS this runs on — one command:

    python installers/build.py                  # the bundle in installers/out/dist/PzhStation
    python installers/build.py --installer      # … and the NSIS installer (needs makensis)
    python installers/build.py --installer-only # installer around an existing bundle
    python installers/build.py --deb           # Linux: the bundle and a .deb (installers/deb.py)
    python installers/build.py --deb --old-root # … built inside a Debian 11 root (glibc 2.31)

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


def write_build_info(out: Path, *, old_root: bool) -> None:
    """``<out>/build-info.json``: where the bundle was built (the glibc scan test reads it)."""
    import json
    import platform

    lib, ver = platform.libc_ver()
    info = {"old_root": old_root, "glibc": ver if lib == "glibc" else "", "python": sys.version}
    (out / "build-info.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Build the pzh-station bundle (and installer or .deb) for this OS."
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
    deb = parser.add_argument_group("Linux .deb (docs/linux-desktops.md)")
    deb.add_argument("--deb", action="store_true", help="also build the .deb")
    deb.add_argument("--deb-only", action="store_true", help="only the .deb, around a bundle")
    deb.add_argument(
        "--old-root",
        action="store_true",
        help="build inside a Debian 11 root (glibc 2.31; installers/oldroot.py), slow",
    )
    deb.add_argument("--uos-store", action="store_true", help="no files outside /opt/apps")
    deb.add_argument("--server", default="", help="preset: the city server address")
    deb.add_argument("--enroll", default="", help="preset: an enrollment code")
    deb.add_argument("--ca-bundle", default="", help="preset: the city's CA bundle (PEM path)")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    if args.old_root:
        import oldroot

        return oldroot.build(out, passthrough=oldroot.passthrough(argv or sys.argv[1:]))
    bundle = out / "dist" / product.APP_ID
    if not (args.installer_only or args.deb_only):
        bundle = build_bundle(out, clean=args.clean)
        write_build_info(out, old_root=os.environ.get("PZH_OLD_ROOT_BUILD") == "1")
        for name in (product.APP_EXE, product.CLI_EXE):
            sign(bundle / (name + EXE_SUFFIX))
    if args.installer or args.installer_only:
        build_installer(bundle, out)
    if args.deb or args.deb_only:
        import deb as debian

        preset = {"server_url": args.server, "enrollment_code": args.enroll}
        preset["ca_bundle"] = args.ca_bundle
        package = debian.build_deb(bundle, out, preset=preset, store=args.uos_store)
        say(f"deb {package} ({package.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
