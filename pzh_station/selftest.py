"""``pzh-station --self-test``: prove a (frozen) build works end to end, then exit 0.

Runs in a fresh temporary data dir whose name holds Chinese characters and spaces (as on station
PCs whose user names are Chinese), so path handling is checked too. Steps, in order:

1. the bundled reference data is found and read;
2. a store is opened, a record written and read back, settings written and read back;
3. a backup is made and checked (backups live in the same non-ASCII dir);
4. an .xlsx is written and read back, and a Chinese PDF is written (openpyxl, reportlab and the
   PDF font are in the bundle);
5. the TLS stack the sync uses loads its CA certificates (requests + certifi's bundle);
6. Qt starts (offscreen unless ``QT_QPA_PLATFORM`` says otherwise), the bundled icon loads (which
   needs the ``ico`` image plugin), the main window is built and every page is opened, background
   tasks are awaited, and no exception escaped into Qt's event loop.

Exit 0 and "自检通过" on success; otherwise exit 1 with the failed step and the traceback. The
windowed Windows program has no console: there the report also goes to
``%TEMP%\\pzh-station-selftest.log`` (``pzh-station-cli.exe --self-test`` prints it).
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
import traceback
from pathlib import Path

TEMP_PREFIX = "pzh 自检 数据 "
LOG_NAME = "pzh-station-selftest.log"


class SelfTestError(Exception):
    pass


def _check(condition: bool, what: str) -> None:
    if not condition:
        raise SelfTestError(what)


def _core_steps(tmp: Path, steps: list[str]) -> None:
    _resources_step(steps)
    _store_steps(tmp, steps)
    _files_step(tmp, steps)
    _tls_step(steps)


def _resources_step(steps: list[str]) -> None:
    from pzh_core.domain import refdata
    from pzh_core.resources import resources_dir

    _check(resources_dir().is_dir(), f"resources folder missing: {resources_dir()}")
    guide = resources_dir().parent / "docs" / "station-staff.md"
    _check(guide.is_file(), f"staff guide (帮助 → 使用说明) missing: {guide}")
    _check(bool(refdata.counties()), "reference data (counties) is empty")
    steps.append("resources")


def _store_steps(tmp: Path, steps: list[str]) -> None:
    """A record written and read back, settings, a backup and its check."""
    from pzh_core.domain.activity import Activity
    from pzh_station import paths
    from pzh_station.services import maintenance
    from pzh_station.services.activities import ActivityService
    from pzh_station.services.context import open_services
    from pzh_station.services.station import StationProfile, StationService
    from pzh_station.settings import Settings

    services = open_services(tmp, operator="自检")
    try:
        StationService(services).save_profile(
            StationProfile(name="自检站", county="东区", population=1)
        )
        steps.append("store")
        svc = ActivityService(services)
        aid = svc.save(Activity(title="自检活动", date="2024-01-01", kind="lecture"))
        _check(svc.get(aid).title == "自检活动", "activity read back differs from what was written")
        steps.append("write+read")
    finally:
        services.close()

    settings = Settings(tmp)
    settings.set("operator", "自检员")
    _check(Settings(tmp).get("operator") == "自检员", "settings.json read back differs")
    steps.append("settings")

    made = maintenance.backup_now(tmp)
    _check(
        made.is_file() and made.parent == paths.backups_dir(tmp),
        f"backup not where expected: {made}",
    )
    _check(not maintenance.check(tmp), "integrity check reported problems")
    steps.append("backup")


def _files_step(tmp: Path, steps: list[str]) -> None:
    """An .xlsx written and read back, a Chinese PDF (openpyxl, reportlab, the PDF font)."""
    from pzh_core import tabular
    from pzh_station.io import pdf

    sheet = tabular.write_table(tmp / "自检 导出.xlsx", ["名称", "人数"], [["自检活动", 12]])
    table = tabular.read_table(sheet, {"title": ["名称"], "count": ["人数"]}, required=["title"])
    _check(len(table.rows) == 1, "xlsx read back differs")
    made = pdf.build(
        tmp / "自检 报表.pdf",
        [pdf.title("自检报表"), pdf.table(["名称", "人数"], [["自检活动", 12]])],
    )
    _check(made.read_bytes()[:5] == b"%PDF-", "PDF not written")
    steps.append("xlsx+pdf")


def _tls_step(steps: list[str]) -> None:
    import ssl

    import certifi
    import requests  # noqa: F401 - the sync transport; importing it proves it is bundled

    context = ssl.create_default_context(cafile=certifi.where())
    _check(
        context.cert_store_stats()["x509_ca"] > 50,
        f"CA bundle {certifi.where()} has too few certificates",
    )
    steps.append("tls")


def _ui_steps(tmp: Path, steps: list[str]) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QApplication

    from pzh_core.resources import resources_dir
    from pzh_station.ui.context import UiContext
    from pzh_station.ui.main_window import MainWindow
    from pzh_station.ui.pages import PAGES
    from pzh_station.ui.tasks import Tasks

    escaped: list[str] = []
    previous_hook = sys.excepthook

    def hook(kind, value, tb) -> None:  # noqa: ANN001 - exceptions raised inside Qt slots land here
        escaped.append("".join(traceback.format_exception(kind, value, tb)))

    sys.excepthook = hook
    try:
        app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "pzh-station"])
        steps.append(f"qt ({app.platformName()})")
        from pzh_station.ui import qt_locale

        _check(bool(qt_locale.install(app)), "Qt's Chinese texts (qtbase_zh_CN.qm) not found")
        steps.append("qt zh_CN")
        icon = resources_dir() / "icons" / "pzh-station.ico"
        if icon.exists():
            _check(
                not QImage(str(icon)).isNull(),
                "the .ico icon does not load (imageformats/qico plugin missing?)",
            )
            steps.append("icon")
        ctx = UiContext(data_dir=tmp, tasks=Tasks(tmp))
        window = MainWindow(ctx)
        window.show()
        for spec in PAGES:
            window.show_page(spec.key)
            app.processEvents()
        deadline = time.monotonic() + 30
        while not (ctx.tasks.idle and window.has_started) and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.01)
        _check(window.has_started, "the status bar's sync and photo agents did not start")
        _check(ctx.tasks.idle, "background tasks did not finish within 30 s")
        app.processEvents()
        window.close()  # closes the database thread before the temp dir goes
        QCoreApplication.processEvents()
        steps.append(f"main window ({len(PAGES)} pages)")
    finally:
        sys.excepthook = previous_hook
    _check(not escaped, "exception inside the event loop:\n" + "\n".join(escaped))


def _report(text: str, *, error: bool) -> None:
    stream = sys.stderr if error else sys.stdout
    if stream is not None:
        print(text, file=stream, flush=True)
    else:  # windowed program: no console to print to
        try:
            (Path(tempfile.gettempdir()) / LOG_NAME).write_text(text + "\n", encoding="utf-8")
        except OSError:
            pass


def run() -> int:
    steps: list[str] = []
    frozen = "frozen" if getattr(sys, "frozen", False) else "source"
    header = (
        f"pzh-station self-test ({frozen}, Python {platform.python_version()},"
        f" {platform.platform()})"
    )
    try:
        with tempfile.TemporaryDirectory(prefix=TEMP_PREFIX, ignore_cleanup_errors=True) as name:
            tmp = Path(name)
            _core_steps(tmp, steps)
            _ui_steps(tmp, steps)
    except Exception:  # noqa: BLE001 - the self-test reports every failure
        _report(
            f"{header}\n自检失败 (self-test FAILED) after: {', '.join(steps) or 'nothing'}\n"
            + traceback.format_exc(),
            error=True,
        )
        return 1
    _report(f"{header}\n自检通过 (self-test OK): {', '.join(steps)}", error=False)
    return 0
