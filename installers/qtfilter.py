"""Which collected Qt files go into the bundle.

PyInstaller's PySide6 hooks collect every plugin of a used module and the Qt translations in every
language; excluding Python modules does not remove those files. The spec passes every collected
binary and data file through :func:`keep`, which drops

- Qt libraries the app does not use (Quick/QML, WebEngine, Pdf, Multimedia, 3D …),
- plugins of kinds a desk app never loads here (tls, network information, wayland, gtk themes …),
- translations other than Simplified Chinese, and Qt's software OpenGL (``opengl32sw.dll``, 20 MB).

Names are matched on the bundle path, so the same rules work for the Windows layout
(``PySide6/Qt6Core.dll``, ``PySide6/plugins/...``) and the Linux one
(``PySide6/Qt/lib/libQt6Core.so.6``, ``PySide6/Qt/plugins/...``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Qt libraries kept (by module name). Charts/OpenGL/PrintSupport/Svg are kept for the report and
# chart pages; DBus and XcbQpa only exist on Linux (the xcb platform plugin needs them).
QT_LIBS = {
    "Core",
    "Gui",
    "Widgets",
    "Charts",
    "OpenGL",
    "OpenGLWidgets",
    "PrintSupport",
    "Svg",
    "SvgWidgets",
    "Network",
    "DBus",
    "XcbQpa",
    "Concurrent",
}

# Plugins kept, by folder; a folder not listed here is dropped entirely. ``None`` keeps all files.
PLUGINS: dict[str, set[str] | None] = {
    # windows (Windows), xcb (Linux desktops), offscreen (--self-test, CI), cocoa (macOS)
    "platforms": {"qwindows", "qxcb", "qoffscreen", "qminimal", "qcocoa"},
    "imageformats": {"qico", "qsvg", "qjpeg", "qgif"},
    "iconengines": {"qsvgicon"},
    "styles": {"qmodernwindowsstyle", "qwindowsvistastyle"},
    # Chinese input methods on Linux (ibus, fcitx); not the virtual keyboard (it needs Qt Quick)
    "platforminputcontexts": {
        "composeplatforminputcontextplugin",
        "ibusplatforminputcontextplugin",
        "fcitxplatforminputcontextplugin",
        "fcitx5platforminputcontextplugin",
    },
    "xcbglintegrations": None,
    "printsupport": None,
}

TRANSLATIONS_KEPT = re.compile(r"^qt(base)?_zh_CN\.qm$")
DROPPED_FILES = {"opengl32sw.dll", "d3dcompiler_47.dll"}
_QT_LIB = re.compile(r"^(?:lib)?Qt6([A-Za-z0-9]+?)(?:\.dll|\.so(?:\.\d+)*|\.dylib)$")
_PYSIDE_EXT = re.compile(r"^Qt([A-Za-z0-9]+)\.(?:pyd|abi3\.so|.*\.so)$")


def _parts(dest: str) -> list[str]:
    return dest.replace("\\", "/").split("/")


def used_modules(dests: Iterable[str]) -> set[str]:
    """Qt modules whose PySide6 extension was collected (``PySide6/QtCharts.pyd`` → ``Charts``)."""
    found = set()
    for dest in dests:
        parts = _parts(dest)
        if len(parts) == 2 and parts[0] == "PySide6":
            match = _PYSIDE_EXT.match(parts[1])
            if match:
                found.add(match.group(1))
    return found


def keep(dest: str, *, used: set[str] = frozenset()) -> bool:  # type: ignore[assignment]
    """Whether the file collected as ``dest`` (path inside the bundle) stays in the bundle.

    :param used: Qt modules the Python code imports (their libraries are always kept).
    """
    parts = _parts(dest)
    name = parts[-1]
    match = _QT_LIB.match(name)
    if parts[0] != "PySide6":
        # Qt libraries also appear as links at the top of the bundle (Linux): same rule.
        return not match or match.group(1) in QT_LIBS or match.group(1) in used
    if name.lower() in DROPPED_FILES:
        return False
    if "translations" in parts[:-1]:
        return bool(TRANSLATIONS_KEPT.match(name))
    if "plugins" in parts[:-1]:
        idx = parts.index("plugins")
        if len(parts) < idx + 3:
            return True
        kind = parts[idx + 1]
        if kind not in PLUGINS:
            return False
        allowed = PLUGINS[kind]
        stem = re.sub(r"^lib", "", name.split(".")[0])
        return allowed is None or stem in allowed
    if "qml" in parts[:-1] or "libexec" in parts[:-1] or "metatypes" in parts[:-1]:
        return False
    if match:
        module = match.group(1)
        return module in QT_LIBS or module in used
    return True  # PySide6 extensions only arrive when the code imports them


def filter_toc(toc: list[tuple], *, used: set[str]) -> tuple[list[tuple], list[str]]:
    """(kept entries, dropped bundle paths) of a PyInstaller TOC."""
    kept, dropped = [], []
    for entry in toc:
        (kept if keep(entry[0], used=used) else dropped).append(entry)
    return kept, [e[0] for e in dropped]


def kept_qt_dependencies(hook_file: str) -> tuple[list, list, list]:
    """``(hiddenimports, binaries, datas)`` of a PySide6 module as PyInstaller's own hook
    collects them (its documented helper ``add_qt6_dependencies``), less the plugins
    :func:`keep` drops. Used by the hooks in ``installers/hooks/``."""
    from pathlib import Path

    from PyInstaller.utils.hooks.qt import add_qt6_dependencies

    hiddenimports, binaries, datas = add_qt6_dependencies(hook_file)
    binaries = [
        (src, dst)
        for src, dst in binaries
        if "plugins" not in _parts(dst) or keep(f"{dst}/{Path(src).name}")
    ]
    return hiddenimports, binaries, datas
