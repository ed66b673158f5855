"""帮助 menu: the station staff guide (使用说明, F1) read offline from the copy shipped with the
app, 关于 (version, data folder, server, device) and 导出诊断信息 for county IT."""

from __future__ import annotations

import datetime as dt
import platform
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox, QTextBrowser, QVBoxLayout

from pzh_core.resources import resources_dir
from pzh_station import __version__
from pzh_station.services import diagnostics
from pzh_station.ui.files import saved_box

if TYPE_CHECKING:
    from pzh_station.ui.main_window import MainWindow

GUIDE = "station-staff.md"


def guide_path() -> Path:
    """The staff guide: ``docs/`` beside ``resources/`` in a checkout and in the bundle."""
    return resources_dir().parent / "docs" / GUIDE


def show_guide(window: MainWindow) -> QDialog:
    dialog = QDialog(window)
    dialog.setObjectName("guide_dialog")
    dialog.setWindowTitle(window.tr("使用说明"))
    browser = QTextBrowser(dialog)
    browser.setObjectName("guide_text")
    browser.setOpenExternalLinks(False)
    try:
        browser.setMarkdown(guide_path().read_text(encoding="utf-8"))
    except OSError:
        browser.setPlainText(window.tr("找不到使用说明文件：{}").format(guide_path()))
    QVBoxLayout(dialog).addWidget(browser)
    area = window.geometry()
    dialog.resize(min(860, area.width() - 40), min(640, area.height() - 40))
    dialog.show()
    window.guide_dialog = dialog  # kept: a second F1 shows the same window
    return dialog


def about_text(window: MainWindow, state: dict) -> str:
    tr = window.tr
    lines = [
        tr("文化站工作台 版本 {}").format(__version__),
        tr("数据文件夹：{}").format(window.ctx.data_dir),
        tr("市同步服务器：{}").format(state.get("server_url") or tr("未注册")),
        tr("本机设备号：{}").format(state.get("device_id") or tr("未注册")),
        tr("上次成功同步：{}").format(state.get("last_success") or tr("从未")),
        f"Qt {qVersion()} / PySide6 {pyside_version} / Python {platform.python_version()}",
    ]
    return "\n".join(lines)


def sync_state(services) -> dict[str, Any]:  # noqa: ANN001
    """The sync state for 关于 and the diagnostics; never the device token."""
    from dataclasses import asdict

    from pzh_station.store.sync_state import SyncState

    state = asdict(SyncState.load(services.store))
    state.pop("token", None)
    state["enrolled"] = bool(state.get("server_url"))
    return state


def show_about(window: MainWindow) -> None:
    def shown(state: dict) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Information,
            window.tr("关于文化站工作台"),
            about_text(window, state),
            parent=window,
        )
        box.setObjectName("about_box")
        box.open()
        window.about_box = box

    window.ctx.tasks.run(sync_state, success=shown)


def export_diagnostics(window: MainWindow, path: str | None = None) -> None:
    if path is None:
        suggested = Path.home() / f"文化站工作台诊断信息-{dt.date.today():%Y%m%d}.zip"
        path, _ = QFileDialog.getSaveFileName(
            window, window.tr("导出诊断信息"), str(suggested), window.tr("压缩文件 (*.zip)")
        )
    if not path:
        return
    extra = {"qt": qVersion(), "pyside6": pyside_version}

    def done(made: Path) -> None:
        text = window.tr("诊断信息已保存到：\n{}\n请把这个文件发给县信息中心。").format(made)
        window.diagnostics_box = saved_box(window, made, text, open_file=False)

    window.ctx.tasks.run(
        lambda s: diagnostics.write_zip(s, Path(path), sync_state=sync_state(s), extra=extra),
        success=done,
    )
