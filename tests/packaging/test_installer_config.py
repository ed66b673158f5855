"""Fast checks of the packaging files: one version and one set of names across spec, NSIS script
and build script; the Qt file filter; the NSIS script compiles (around a stand-in bundle);
signing is skipped with a message when no certificate is configured."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

import pzh_station

ROOT = Path(__file__).resolve().parents[2]
INSTALLERS = ROOT / "installers"
sys.path.insert(0, str(INSTALLERS))

import product  # noqa: E402
import qtfilter  # noqa: E402

# installers/build.py under its own name: "build" is also the name of a PyPI package.
_spec = importlib.util.spec_from_file_location("pzh_installers_build", INSTALLERS / "build.py")
build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build)

NSI = (INSTALLERS / "pzh-station.nsi").read_text(encoding="utf-8")
SPEC = (INSTALLERS / "pzh-station.spec").read_text(encoding="utf-8")


def test_version_comes_from_the_package():
    assert product.version() == pzh_station.__version__
    assert product.version_tuple("0.1.0") == (0, 1, 0, 0)
    assert product.version_tuple("1.12.3rc2+local") == (1, 12, 3, 0)  # pre-release: its base
    assert product.nsis_defines(exe_suffix=".exe")["VERSION"] == pzh_station.__version__


def _version_namespace():
    """PyInstaller's version-resource classes, or recording stand-ins where they cannot be imported
    (off Windows PyInstaller does not install ``pefile``, which its module imports)."""
    try:
        from PyInstaller.utils.win32 import versioninfo

        return vars(versioninfo), True
    except ImportError:
        from types import SimpleNamespace

        names = (
            "VSVersionInfo",
            "FixedFileInfo",
            "StringFileInfo",
            "StringTable",
            "StringStruct",
            "VarFileInfo",
            "VarStruct",
        )
        return {
            n: (lambda *a, _n=n, **k: SimpleNamespace(kind=_n, args=a, **k)) for n in names
        }, False


def test_windows_version_resource_is_valid_and_chinese():
    namespace, real = _version_namespace()
    info = eval(product.version_info_text("2.3.4"), namespace)  # what PyInstaller's loader does
    if real:
        assert info.ffi.fileVersionMS == (2 << 16) | 3 and info.ffi.fileVersionLS == 4 << 16
        table = info.kids[0].kids[0]
        strings = {s.name: s.val for s in table.kids}
        name = table.name
    else:
        assert info.ffi.filevers == (2, 3, 4, 0) and info.ffi.prodvers == (2, 3, 4, 0)
        table = info.kids[0].args[0][0]
        name, rows = table.args
        strings = dict(r.args for r in rows)
    assert strings["ProductName"] == product.DISPLAY_NAME == "文化站工作台"
    assert strings["ProductVersion"] == "2.3.4" and strings["FileVersion"] == "2.3.4.0"
    assert strings["OriginalFilename"] == product.APP_EXE + ".exe"
    assert name == "080404B0"  # Simplified Chinese, Unicode


def test_spec_builds_both_programs_from_product_names_without_upx():
    assert "name=product.APP_EXE, console=False" in SPEC
    assert "name=product.CLI_EXE, console=True" in SPEC
    assert "upx=False" in SPEC and "upx=True" not in SPEC
    assert "exclude_binaries=True" in SPEC  # one folder, not one file
    assert "qtfilter.filter_toc" in SPEC and "version=str(version_file)" in SPEC
    assert '(str(ROOT / "resources"), "resources")' in SPEC
    assert product.APP_EXE != product.CLI_EXE


def test_nsis_script_uses_only_defines_the_build_provides():
    provided = set(product.nsis_defines(exe_suffix=".exe")) | {
        "BUNDLE_DIR",
        "OUT_FILE",
        "ICON_FILE",
        "SIGN_CMD",
        "PRODUCT_NSH",
    }
    defined_in_script = set(re.findall(r"^\s*!define\s+(\w+)", NSI, re.M))
    used = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)\}", NSI))
    nsis_builtins = {"NSISDIR", "NSIS_MAX_STRLEN", "BST_CHECKED", "Errors", "If", "Else", "EndIf"}
    unknown = {
        u for u in used - provided - defined_in_script - nsis_builtins if not u.startswith("MUI_")
    }
    assert not unknown, f"NSIS script uses defines nobody provides: {sorted(unknown)}"
    header = product.nsis_header(
        exe_suffix=".exe", extra={"BUNDLE_DIR": "b", "OUT_FILE": "o", "ICON_FILE": "i"}
    )
    assert f'!define VERSION "{pzh_station.__version__}"' in header
    assert f'!define APP_EXE "{product.APP_EXE}.exe"' in header
    assert f'!define CLI_EXE "{product.CLI_EXE}.exe"' in header


def test_nsis_script_has_what_it_deployment_needs():
    assert NSI.lstrip(";\n").count("Unicode true") == 1
    assert re.search(r"^\s*Target amd64-unicode", NSI, re.M)
    assert '!insertmacro MUI_LANGUAGE "SimpChinese"' in NSI
    assert '"$PROGRAMFILES64\\${APP_ID}"' in NSI  # ASCII folder by default
    assert "QuietUninstallString" in NSI and "/S'" in NSI
    for option in (
        "/SERVER=",
        "/ENROLL=",
        "/CABUNDLE=",
        "/ALLUSERS",
        "/CURRENTUSER",
        "/DELETEDATA",
        "/FORCEPRESET",
    ):
        assert option in NSI, option
    assert '"$APPDATA\\${DATA_DIR_NAME}\\preset.ini"' in NSI  # %PROGRAMDATA% in per-machine context
    assert "!finalize" in NSI and "!uninstfinalize" in NSI
    # The uninstaller deletes the data dir only inside the "$DeleteData == 1" branch.
    uninstall = NSI[NSI.index('Section "Uninstall"') :]
    delete_branch = uninstall[uninstall.index("${If} $DeleteData == 1") :]
    before = uninstall[: uninstall.index("${If} $DeleteData == 1")]
    assert "$LOCALAPPDATA\\${DATA_DIR_NAME}" not in before.replace("DetailPrint", "")
    assert 'RMDir /r "$LOCALAPPDATA\\${DATA_DIR_NAME}"' in delete_branch


def test_preset_keys_written_by_installer_are_the_ones_the_app_reads():
    from pzh_station import settings

    written = set(re.findall(r'StrCpy \$R1 "(\w+)"\s*\n\s*StrCpy \$R2', NSI))
    assert written == {"server_url", "enrollment_code", "ca_bundle"}
    assert f'PRESET_SECTION "{settings.SECTION}"' in NSI
    assert settings.PRESET == "preset.ini" and product.DATA_DIR_NAME == "pzh-station"
    for key in written:
        assert f"``{key}``" in settings.__doc__


@pytest.mark.parametrize(
    ("dest", "kept"),
    [
        # Windows layout
        ("PySide6/Qt6Core.dll", True),
        ("PySide6/Qt6Widgets.dll", True),
        ("PySide6/Qt6Quick.dll", False),
        ("PySide6/Qt6Pdf.dll", False),
        ("PySide6/Qt6WebEngineCore.dll", False),
        ("PySide6/opengl32sw.dll", False),
        ("PySide6/plugins/platforms/qwindows.dll", True),
        ("PySide6/plugins/platforms/qdirect2d.dll", False),
        ("PySide6/plugins/imageformats/qico.dll", True),
        ("PySide6/plugins/imageformats/qtiff.dll", False),
        ("PySide6/plugins/styles/qmodernwindowsstyle.dll", True),
        ("PySide6/plugins/tls/qschannelbackend.dll", False),
        ("PySide6/plugins/networkinformation/qnetworklistmanager.dll", False),
        ("PySide6/translations/qtbase_zh_CN.qm", True),
        ("PySide6/translations/qt_zh_CN.qm", True),
        ("PySide6/translations/qtbase_de.qm", False),
        ("PySide6/translations/qtwebengine_zh_CN.qm", False),
        # Linux layout
        ("PySide6/Qt/lib/libQt6Gui.so.6", True),
        ("PySide6/Qt/lib/libQt6Qml.so.6", False),
        ("libQt6VirtualKeyboard.so.6", False),  # top-level link to a dropped library
        ("PySide6/Qt/plugins/platforms/libqxcb.so", True),
        ("PySide6/Qt/plugins/platforms/libqoffscreen.so", True),
        ("PySide6/Qt/plugins/platforms/libqwayland-egl.so", False),
        ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", False),
        ("PySide6/Qt/plugins/platforminputcontexts/libibusplatforminputcontextplugin.so", True),
        ("PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so", False),
        # not Qt
        ("libpython3.11.so.1.0", True),
        ("resources/refdata/counties.json", True),
        ("PySide6/QtWidgets.abi3.so", True),
    ],
)
def test_qt_filter(dest, kept):
    assert qtfilter.keep(dest) is kept
    assert qtfilter.keep(dest.replace("/", "\\")) is kept


def test_qt_filter_keeps_libraries_of_imported_modules():
    used = qtfilter.used_modules(
        ["PySide6/QtCharts.pyd", "PySide6/QtCore.abi3.so", "PySide6/Qt6Charts.dll"]
    )
    assert used == {"Charts", "Core"}
    assert qtfilter.keep("PySide6/Qt6Multimedia.dll") is False
    assert qtfilter.keep("PySide6/Qt6Multimedia.dll", used={"Multimedia"}) is True


def test_icon_is_a_multi_size_ico():
    data = product.ICON.read_bytes()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind) == (0, 1) and count >= 5
    sizes = {data[6 + 16 * i] or 256 for i in range(count)}
    assert {16, 32, 48, 256} <= sizes
    assert (ROOT / "resources" / "icons" / "pzh-station.png").read_bytes()[
        :8
    ] == b"\x89PNG\r\n\x1a\n"


def test_sign_is_skipped_with_a_message_without_certificate(tmp_path):
    target = tmp_path / "程序 a.exe"
    target.write_bytes(b"MZ")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PZH_SIGN")}
    proc = subprocess.run(
        [sys.executable, str(INSTALLERS / "sign.py"), str(target)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**env, "PYTHONUTF8": "1"},
    )
    assert proc.returncode == 0
    assert "skipped" in proc.stdout and "no certificate" in proc.stdout
    assert target.read_bytes() == b"MZ"


def test_sign_fails_loudly_when_certificate_is_set_but_unusable(tmp_path):
    if not shutil.which("osslsigncode"):
        pytest.skip("osslsigncode not installed")
    target = tmp_path / "a.exe"
    target.write_bytes(b"MZ")
    env = {
        **os.environ,
        "PZH_SIGN_PFX": str(tmp_path / "missing.pfx"),
        "PZH_SIGN_TIMESTAMP": "none",
    }
    proc = subprocess.run(
        [sys.executable, str(INSTALLERS / "sign.py"), str(target)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 1 and "failed to sign" in proc.stderr
    assert target.read_bytes() == b"MZ" and not (tmp_path / "a.exe.signed").exists()


@pytest.mark.skipif(
    not shutil.which("makensis"), reason="makensis not installed (Debian: nsis; CI installs it)"
)
def test_nsis_script_compiles_around_a_stand_in_bundle(tmp_path):
    fake = tmp_path / "bundle"
    (fake / "_internal" / "resources" / "icons").mkdir(parents=True)
    for name in (product.APP_EXE, product.CLI_EXE):
        (fake / f"{name}.exe").write_bytes(b"MZ stand-in")
    (fake / "_internal" / "resources" / "icons" / "pzh-station.ico").write_bytes(
        product.ICON.read_bytes()
    )
    setup = build.build_installer(fake, tmp_path / "输出 out", exe_suffix=".exe")
    data = setup.read_bytes()
    assert data[:2] == b"MZ" and len(data) > 50_000
    assert setup.name == f"{product.APP_ID}-{pzh_station.__version__}-setup.exe"
    # x64 installer (PE32+): the optional header magic is 0x20b.
    pe = struct.unpack("<I", data[0x3C:0x40])[0]
    assert data[pe : pe + 4] == b"PE\0\0"
    assert struct.unpack("<H", data[pe + 24 : pe + 26])[0] == 0x20B


@pytest.mark.skipif(
    not (shutil.which("makensis") and shutil.which("osslsigncode") and shutil.which("openssl")),
    reason="needs makensis, osslsigncode and openssl",
)
def test_signing_hooks_sign_uninstaller_and_installer(tmp_path, monkeypatch):
    keys = tmp_path / "keys"
    keys.mkdir()
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(keys / "k.pem"),
            "-out",
            str(keys / "c.pem"),
            "-days",
            "2",
            "-subj",
            "/CN=pzh-station test signer",
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            "openssl",
            "pkcs12",
            "-export",
            "-out",
            str(keys / "t.pfx"),
            "-inkey",
            str(keys / "k.pem"),
            "-in",
            str(keys / "c.pem"),
            "-passout",
            "pass:s3cret",
        ],
        check=True,
        capture_output=True,
    )
    monkeypatch.setenv("PZH_SIGN_PFX", str(keys / "t.pfx"))
    monkeypatch.setenv("PZH_SIGN_PASSWORD", "s3cret")
    monkeypatch.setenv("PZH_SIGN_TIMESTAMP", "none")  # no network in tests
    fake = tmp_path / "bundle"
    (fake / "_internal").mkdir(parents=True)
    for name in (product.APP_EXE, product.CLI_EXE):
        (fake / f"{name}.exe").write_bytes(b"MZ stand-in")
    setup = build.build_installer(fake, tmp_path / "out", exe_suffix=".exe")
    proc = subprocess.run(
        ["osslsigncode", "verify", "-in", str(setup)], capture_output=True, text=True
    )
    # Self-signed, so the chain is untrusted; but the signature is there and matches the file.
    out = proc.stdout + proc.stderr
    assert "Signature Index: 0" in out and "pzh-station test signer" in out
    current = re.search(r"Current message digest\s*:\s*(\w+)", out).group(1)
    assert current == re.search(r"Calculated message digest\s*:\s*(\w+)", out).group(1)


def test_installer_refuses_32_bit_windows_first_with_a_chinese_message():
    """PySide6 6 has no 32-bit Windows build: .onInit stops before anything is written."""
    on_init = NSI.split("Function .onInit", 1)[1].split("FunctionEnd", 1)[0]
    check = on_init.split("${EndIf}", 1)[0]  # the first block of .onInit
    assert "${IfNot} ${RunningX64}" in check
    assert "需要 64 位 Windows 10" in check and "MB_ICONSTOP" in check and "/SD IDOK" in check
    assert "SetErrorLevel ${EXIT_OLD_WINDOWS}" in check and "Quit" in check
    assert re.search(r"!define EXIT_OLD_WINDOWS 4\b", NSI)
    assert "32-bit Windows 10" in (ROOT / "docs" / "it-deployment.md").read_text(encoding="utf-8")
