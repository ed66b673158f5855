"""The activity log's import and export from the 文件 menu, with their progress shown.

Import: read and check every row (cancellable: nothing is written yet), then — only when every
row is right (all or nothing, as on the command line) — write them in one transaction (cancelling
rolls it back). The result or the per-row problems are shown in a box.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from pzh_core.tabular import TableError
from pzh_station.services.activities import ActivityService, ImportResult
from pzh_station.ui.files import saved_box
from pzh_station.ui.progress import Cancelled, Progress

if TYPE_CHECKING:
    from pzh_station.ui.main_window import MainWindow

SHOWN_PROBLEMS = 20


def ask_open(parent: QWidget, title: str) -> str:
    path, _ = QFileDialog.getOpenFileName(
        parent, title, str(Path.home()), parent.tr("表格文件 (*.xlsx *.csv)")
    )
    return path


def ask_save(parent: QWidget, title: str, suggested: str) -> str:
    path, _ = QFileDialog.getSaveFileName(
        parent,
        title,
        str(Path.home() / suggested),
        parent.tr("Excel 文件 (*.xlsx);;CSV 文件 (*.csv)"),
    )
    return path


def import_activities(window: MainWindow, path: str | None = None) -> Progress | None:
    """Import an activity file chosen by the user (or ``path``). :returns: the progress dialog."""
    path = path or ask_open(window, window.tr("导入活动台账"))
    if not path:
        return None
    progress = Progress(window, window.tr("正在导入活动台账"))
    report = progress.reporter

    def job(services) -> ImportResult:  # noqa: ANN001
        svc = ActivityService(services)
        result = svc.read_import(path, progress=report)
        if result.problems:
            return result
        return svc.write_import(result, progress=report)

    def done(result: ImportResult) -> None:
        progress.finish()
        if result.problems:
            lines = [str(p) for p in result.problems[:SHOWN_PROBLEMS]]
            more = len(result.problems) - len(lines)
            text = window.tr("文件中有 {} 处问题，没有导入任何一行。请改正后再导入：\n").format(
                len(result.problems)
            ) + "\n".join(lines)
            if more > 0:
                text += window.tr("\n……另有 {} 处").format(more)
            _box(window, QMessageBox.Icon.Warning, text)
        else:
            _box(
                window,
                QMessageBox.Icon.Information,
                window.tr("已导入 {} 条活动。").format(result.written),
            )

    def failed(error: Exception) -> None:
        progress.finish()
        if isinstance(error, Cancelled):
            window.statusBar().showMessage(window.tr("已取消导入，没有写入任何数据。"), 10_000)
            return
        message = (
            error.message
            if isinstance(error, TableError)
            else getattr(error, "message", str(error))
        )
        _box(window, QMessageBox.Icon.Warning, window.tr("导入失败：") + message)

    window.ctx.tasks.run(job, success=done, failure=failed)
    return progress


def export_activities(window: MainWindow, path: str | None = None) -> None:
    path = path or ask_save(window, window.tr("导出活动台账"), window.tr("活动台账.xlsx"))
    if not path:
        return
    if not path.lower().endswith((".xlsx", ".csv")):
        path += ".xlsx"

    def done(n: int) -> None:
        saved_box(window, Path(path), window.tr("已导出 {} 条活动到：\n{}").format(n, path))

    window.ctx.tasks.run(
        lambda s: ActivityService(s).export(path),
        success=done,
        failure=lambda e: _box(window, QMessageBox.Icon.Warning, window.tr("导出失败：") + str(e)),
    )


def _box(parent: QWidget, icon: QMessageBox.Icon, text: str) -> QMessageBox:
    box = QMessageBox(icon, parent.tr("文化站工作台"), text, parent=parent)
    box.setObjectName("transfer_box")
    box.open()
    return box
