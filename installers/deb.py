"""The .deb of the desk app for the domestic Linux desktops (统信UOS, 银河麒麟) and Debian/Ubuntu.

    python installers/build.py --deb                       # bundle + .deb
    python installers/build.py --deb --server URL --enroll CODE   # a county's preset package

Layout (the UOS app-store layout, docs/linux-desktops.md): everything under ``/opt/apps/<appid>/``
— ``files/`` (the PyInstaller bundle), ``entries/applications/<appid>.desktop``,
``entries/icons/hicolor/256x256/apps/<appid>.png`` and ``info`` (the store's JSON). Other desktops
(Kylin, Deepin, GNOME, KDE) find the entry and the icon through two symlinks under /usr/share,
left out with ``--uos-store`` (the store refuses files outside /opt/apps). No maintainer scripts.

Data is never under /opt: the app keeps it in the user's XDG data dir
(``~/.local/share/pzh-station``).
A preset (server address, enrollment code, CA bundle) given to the build goes into
``files/preset.ini`` beside the program, where the app reads it as on Windows; IT can instead
write ``/etc/pzh-station/preset.ini`` on a PC (never part of the package, so an upgrade keeps it).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import product

APPID = "cn.gov.panzhihua.pzh-station"  # the package name and the UOS appid
PREFIX = Path("opt/apps") / APPID
ICON_PNG = product.ROOT / "resources" / "icons" / "pzh-station.png"
COMMENT_ZH = "乡镇综合文化站的活动台账、培训班、文化志愿者、年报与同步"
# glibc is the one library the bundle cannot carry; the rest it needs from the system are the
# X11/GL stack every desktop has (PyInstaller copies the others into the bundle).
DEPENDS = "libc6 (>= 2.31), libgl1 | libgl1-mesa-glx, libegl1 | libegl1-mesa, libfontconfig1"


def arch() -> str:
    return subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()


def deb_version(text: str | None = None) -> str:
    """Debian's form of the version (``1.2.0rc1`` → ``1.2.0~rc1``, so it sorts before 1.2.0)."""
    ver = text or product.version()
    return ver.replace("rc", "~rc").replace("a", "~a").replace("b", "~b")


def desktop_entry() -> str:
    exe = f"/{PREFIX}/files/{product.APP_EXE}"
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        f"Name={product.DISPLAY_NAME}\n"
        f"Name[zh_CN]={product.DISPLAY_NAME}\n"
        "GenericName[zh_CN]=文化站工作台\n"
        f"Comment={COMMENT_ZH}\n"
        f"Comment[zh_CN]={COMMENT_ZH}\n"
        f"Exec={exe}\n"
        f"TryExec={exe}\n"
        f"Icon={APPID}\n"
        "Terminal=false\n"
        "Categories=Office;\n"
        f"StartupWMClass={product.APP_EXE}\n"
        "X-Deepin-Vendor=user-custom\n"
    )


def info_json(architecture: str) -> str:
    """The UOS store's ``info`` file: the app asks for no special permission."""
    info = {
        "appid": APPID,
        "name": product.DISPLAY_NAME,
        "version": ".".join(str(n) for n in product.version_tuple()),
        "arch": [architecture],
        "permissions": {
            "autostart": False,
            "notification": False,
            "trayicon": False,
            "clipboard": False,
            "account": False,
            "bluetooth": False,
            "camera": False,
            "audio_record": False,
            "installed_apps": False,
        },
    }
    return json.dumps(info, ensure_ascii=False, indent=2) + "\n"


def preset_ini(values: dict[str, str]) -> str:
    lines = [
        "; Written by installers/build.py --deb (the package's preset; see docs/it-deployment.md)"
    ]
    lines.append("[pzh-station]")
    lines += [f"{key} = {value}" for key, value in values.items() if value]
    return "\n".join(lines) + "\n"


def control(architecture: str, installed_kb: int) -> str:
    return (
        f"Package: {APPID}\n"
        f"Version: {deb_version()}\n"
        f"Architecture: {architecture}\n"
        f"Maintainer: {product.PUBLISHER} <pzh-station@localhost>\n"
        f"Installed-Size: {installed_kb}\n"
        f"Depends: {DEPENDS}\n"
        "Section: misc\n"
        "Priority: optional\n"
        f"Homepage: {product.URL}\n"
        f"Description: {product.DISPLAY_NAME} (pzh-station)\n"
        " Offline-first desk app of Panzhihua's township cultural stations: activity log,\n"
        " training classes, cultural volunteers, annual return; syncs with the city server.\n"
    )


def stage(bundle: Path, root: Path, *, preset: dict[str, str], store: bool) -> None:
    """Lay the package's files out under ``root`` (the future ``/``)."""
    top = root / PREFIX
    shutil.copytree(bundle, top / "files", symlinks=True)
    entries = top / "entries"
    (entries / "applications").mkdir(parents=True)
    (entries / "applications" / f"{APPID}.desktop").write_text(desktop_entry(), encoding="utf-8")
    icon_dir = entries / "icons" / "hicolor" / "256x256" / "apps"
    icon_dir.mkdir(parents=True)
    shutil.copyfile(ICON_PNG, icon_dir / f"{APPID}.png")
    (top / "info").write_text(info_json(arch()), encoding="utf-8")
    if any(preset.values()):
        (top / "files" / "preset.ini").write_text(preset_ini(preset), encoding="utf-8")
    if not store:  # other desktops look under /usr/share only
        links = {
            root / "usr/share/applications" / f"{APPID}.desktop": Path(
                f"/{PREFIX}/entries/applications/{APPID}.desktop"
            ),
            root / "usr/share/icons/hicolor/256x256/apps" / f"{APPID}.png": Path(
                f"/{PREFIX}/entries/icons/hicolor/256x256/apps/{APPID}.png"
            ),
        }
        for link, target in links.items():
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(target)
    for path in [root, *root.rglob("*")]:  # 0755/0644 whatever the build machine's umask
        if not path.is_symlink():
            executable = path.is_dir() or path.stat().st_mode & 0o111
            path.chmod(0o755 if executable else 0o644)


def build_deb(
    bundle: Path,
    out: Path,
    *,
    preset: dict[str, str] | None = None,
    store: bool = False,
    compress: str = "xz",
) -> Path:
    """Package ``bundle`` as ``out/<appid>_<version>_<arch>.deb`` and return its path.
    ``compress``: ``xz`` for releases (smallest; every dpkg since Debian 6 reads it), ``gzip``
    where speed matters more than size (the tests)."""
    architecture = arch()
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{APPID}_{deb_version()}_{architecture}.deb"
    with tempfile.TemporaryDirectory(prefix="pzh-deb-", dir=out) as tmp:
        root = Path(tmp) / "root"
        stage(bundle, root, preset=preset or {}, store=store)
        size_kb = sum(f.stat().st_size for f in root.rglob("*") if f.is_file()) // 1024 + 1
        (root / "DEBIAN").mkdir()
        (root / "DEBIAN" / "control").write_text(control(architecture, size_kb), encoding="utf-8")
        (root / "DEBIAN").chmod(0o755)
        subprocess.run(
            [
                "dpkg-deb",
                "--root-owner-group",
                f"-Z{compress}",
                "-z6",
                "--build",
                str(root),
                str(target),
            ],
            check=True,
            capture_output=True,
        )
    return target
