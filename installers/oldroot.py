"""``installers/build --deb --old-root``: build the bundle and .deb inside a Debian 11 root, so the
bundle needs glibc 2.31 at most (Kylin V10 SP1, UOS V23) instead of the build machine's.

Slow (the first run makes the root and compiles Python: about 30–60 min on 2 cores), so it runs
under its own flag and in the release workflow, never in CI's test run. Needs root (debootstrap,
chroot) on a Debian/Ubuntu machine that reaches the Debian package mirror. Steps, each skipped
when its result is already there (``--old-root-dir`` or ``PZH_OLD_ROOT``, default
``installers/out/oldroot``):

1. ``debootstrap --variant=minbase bullseye`` with the compilers, the headers CPython needs and
   the X11/GL libraries Qt loads (``PACKAGES``).
2. **Python ≥ 3.10**: Debian 11 ships 3.9, prebuilt standalone Pythons are not available from a
   package registry, so CPython 3.11 is compiled *in the root* from Debian 12's source package
   (``apt-get source python3.11`` — the same upstream tarball Debian builds from), into
   ``/opt/py311`` with a shared libpython (PyInstaller needs it). Linked in the root, it needs
   glibc 2.31 at most.
3. A venv with the project and **PySide6 6.9** (the last series with ``manylinux_2_28`` x86-64
   wheels; 6.10 needs glibc 2.34), from PyPI as usual; on arm64 (``PZH_OLD_ROOT_ARCH=arm64``)
   6.8.0.2, the last with ``manylinux_2_31`` aarch64 wheels.
4. ``installers/build.py`` in the root on a copy of the checkout's tracked files; the result is
   copied back to ``<out>/dist`` and ``<out>/*.deb``, with ``build-info.json`` saying ``old_root``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import product

SUITE = "bullseye"
# The newest PySide6 whose wheels need glibc 2.31 at most, per CPU (checked on PyPI: x86-64's
# manylinux_2_28 wheels end at 6.9.3; aarch64's manylinux_2_31 ones at 6.8.0.2, later ones need
# 2.39). See docs/linux-desktops.md.
PYSIDE = {"amd64": ">=6.9,<6.10", "arm64": "==6.8.0.2"}
PY_PREFIX = "/opt/py311"
VENV = "/opt/buildenv"
PACKAGES = [
    "build-essential", "libssl-dev", "libsqlite3-dev", "zlib1g-dev", "libffi-dev", "libbz2-dev",
    "liblzma-dev", "libncurses-dev", "uuid-dev", "libgdbm-dev", "binutils", "ca-certificates",
    "libfontconfig1", "libglib2.0-0", "libgl1", "libegl1", "libdbus-1-3", "libxkbcommon0",
    "libxkbcommon-x11-0", "libxcb-cursor0", "libxcb-icccm4", "libxcb-image0", "libxcb-keysyms1",
    "libxcb-randr0", "libxcb-render-util0", "libxcb-shape0", "libxcb-xinerama0", "libxcb-xkb1",
    "libx11-xcb1", "libxrender1", "libxi6", "file", "xz-utils", "dpkg-dev",
]  # fmt: skip
OWN_FLAGS = {"--old-root"}
OWN_VALUED = {"--out", "--old-root-dir"}


def say(msg: str) -> None:
    print(f"[old-root] {msg}", flush=True)


def arch() -> str:
    """The Debian architecture to build for: ``PZH_OLD_ROOT_ARCH`` (``arm64`` for 飞腾/鲲鹏 PCs,
    run through qemu-user-static and binfmt — untested here), else this machine's."""
    if os.environ.get("PZH_OLD_ROOT_ARCH"):
        return os.environ["PZH_OLD_ROOT_ARCH"]
    return subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()


def passthrough(argv: list[str]) -> list[str]:
    """The build options to repeat inside the root (all but ``--old-root`` and the folders)."""
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in OWN_FLAGS:
            continue
        elif arg in OWN_VALUED:
            skip = True
        elif not arg.startswith(tuple(f"{v}=" for v in OWN_VALUED)):
            kept.append(arg)
    return kept


def in_root(root: Path, script: str, *, env: dict[str, str] | None = None) -> None:
    """Run a shell script inside the root (chroot), output streamed."""
    base = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LANG": "C.UTF-8"}
    say(f"chroot: {script.strip().splitlines()[0]} …")
    subprocess.run(
        ["chroot", str(root), "/bin/sh", "-ec", script], check=True, env={**base, **(env or {})}
    )


def make_root(root: Path) -> None:
    if (root / "etc" / "debian_version").is_file():
        return
    root.mkdir(parents=True, exist_ok=True)
    cmd = ["debootstrap", "--variant=minbase", f"--arch={arch()}"]
    cmd += [f"--include={','.join(PACKAGES)}", SUITE, str(root)]
    if os.environ.get("PZH_DEBIAN_MIRROR"):
        cmd.append(os.environ["PZH_DEBIAN_MIRROR"])
    say(" ".join(cmd))
    subprocess.run(cmd, check=True)


def share_network(root: Path) -> None:
    """DNS and the machine's CA bundle (a proxy's own CA included) for apt and pip in the root."""
    shutil.copyfile("/etc/resolv.conf", root / "etc" / "resolv.conf")
    host_ca = Path("/etc/ssl/certs/ca-certificates.crt")
    if host_ca.is_file():
        shutil.copyfile(host_ca, root / "etc" / "ssl" / "host-ca.pem")
    proc = root / "proc"
    if not (proc / "self").exists():
        subprocess.run(["mount", "-t", "proc", "proc", str(proc)], check=False)


def mirror(root: Path) -> str:
    """The Debian mirror the root was made from (its sources.list)."""
    for line in (root / "etc" / "apt" / "sources.list").read_text().splitlines():
        parts = line.split()
        if parts[:1] == ["deb"] and len(parts) > 1:
            return parts[1]
    raise SystemExit("no mirror in the root's sources.list")


def build_python(root: Path) -> None:
    if (root / PY_PREFIX.lstrip("/") / "bin" / "python3.11").is_file():
        return
    src_list = root / "etc" / "apt" / "sources.list.d" / "bookworm-src.list"
    src_list.write_text(f"deb-src {mirror(root)} bookworm main\n")
    in_root(
        root,
        f"""
        apt-get update -q
        rm -rf /build/python && mkdir -p /build/python && cd /build/python
        apt-get source --download-only -q python3.11
        tar xf python3.11_*.orig.tar.*
        cd Python-3.11*/
        ./configure -q --prefix={PY_PREFIX} --enable-shared --with-ensurepip=install \\
            LDFLAGS=-Wl,-rpath,{PY_PREFIX}/lib
        make -s -j"$(nproc)"
        make -s altinstall
        {PY_PREFIX}/bin/python3.11 -c 'import ssl, sqlite3, lzma, bz2, ctypes; print("python ok")'
        """,
    )


def copy_sources(root: Path) -> Path:
    """The checkout's tracked files (what a release builds) into ``<root>/src``."""
    dest = root / "src"
    if dest.exists():
        shutil.rmtree(dest)
    files = (
        subprocess.run(["git", "ls-files", "-z"], cwd=product.ROOT, capture_output=True, check=True)
        .stdout.decode("utf-8")
        .split("\0")
    )
    for name in filter(None, files):
        source = product.ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def build(out: Path, *, passthrough: list[str]) -> int:
    if sys.platform != "linux" or os.geteuid() != 0:
        raise SystemExit("--old-root needs Linux and root (debootstrap, chroot)")
    root = Path(os.environ.get("PZH_OLD_ROOT") or (out / "oldroot")).resolve()
    make_root(root)
    share_network(root)
    build_python(root)
    copy_sources(root)
    pip_env = {"PIP_CERT": "/etc/ssl/host-ca.pem", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    pyside = PYSIDE[arch()]
    in_root(
        root,
        f"""
        [ -x {VENV}/bin/python ] || {PY_PREFIX}/bin/python3.11 -m venv {VENV}
        {VENV}/bin/pip install -q "PySide6-Essentials{pyside}" "PySide6-Addons{pyside}" \\
            "PySide6{pyside}"
        {VENV}/bin/pip install -q "/src[build]"
        """,
        env=pip_env,
    )
    args = " ".join(f"'{a}'" for a in passthrough)
    in_root(
        root,
        f"cd /src && {VENV}/bin/python installers/build.py --out /src/out {args}",
        env={"PZH_OLD_ROOT_BUILD": "1", "PYTHONUTF8": "1"},
    )
    out.mkdir(parents=True, exist_ok=True)
    built = root / "src" / "out"
    if (out / "dist").exists():
        shutil.rmtree(out / "dist")
    shutil.copytree(built / "dist", out / "dist", symlinks=True)
    for item in [*built.glob("*.deb"), built / "build-info.json"]:
        shutil.copy2(item, out / item.name)
    say(f"done: {out / 'dist' / product.APP_ID}")
    return 0
