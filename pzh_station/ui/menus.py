"""The main window's menu bar, in the Windows convention:

文件  导入 ▸ / 导出 ▸ / 备份 / 从备份恢复… / 退出
帮助  使用说明 (F1) / 导出诊断信息… / 关于

Each entry reuses what the pages already do (the volunteer archive's import, the settings page's
backup …); the activity log's import and export, which no page has a button for, run here with
their progress shown (:mod:`pzh_station.ui.transfers`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar

if TYPE_CHECKING:
    from pzh_station.ui.main_window import MainWindow


def _action(menu: QMenu, text: str, slot, *, shortcut: QKeySequence | str | None = None) -> QAction:  # noqa: ANN001
    action = menu.addAction(text)
    action.triggered.connect(lambda _checked=False: slot())
    if shortcut is not None:
        # the list form: setShortcut's overloads would build the Qt namespace's 93 enums at start
        action.setShortcuts([QKeySequence(shortcut)])
    return action


class _Lazy:
    """A module imported on first use: the dialogs behind the menu are not needed at start."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __getattr__(self, attr: str):  # noqa: ANN204
        from importlib import import_module

        return getattr(import_module(self.name), attr)


help_dialogs = _Lazy("pzh_station.ui.help_dialogs")
transfers = _Lazy("pzh_station.ui.transfers")


def install(window: MainWindow) -> dict[str, QAction]:
    """Build the menu bar of ``window``. :returns: the actions by key (tests trigger them)."""
    bar: QMenuBar = window.menuBar()
    tr = window.tr
    actions: dict[str, QAction] = {}

    file_menu = bar.addMenu(tr("文件(&F)"))
    imports = file_menu.addMenu(tr("导入(&I)"))
    actions["import_activities"] = _action(
        imports, tr("活动台账…"), lambda: transfers.import_activities(window)
    )
    actions["import_roster"] = _action(
        imports, tr("培训班花名册…"), lambda: _page_call(window, "training", "import_roster")
    )
    actions["import_volunteers"] = _action(
        imports, tr("文化志愿者档案…"), lambda: _page_call(window, "volunteers", "import_archive")
    )
    exports = file_menu.addMenu(tr("导出(&E)"))
    actions["export_activities"] = _action(
        exports, tr("活动台账…"), lambda: transfers.export_activities(window)
    )
    actions["export_volunteers"] = _action(
        exports, tr("文化志愿者档案…"), lambda: _page_call(window, "volunteers", "export_archive")
    )
    file_menu.addSeparator()
    actions["backup"] = _action(
        file_menu, tr("备份(&B)"), lambda: _page_call(window, "settings", "backup_now")
    )
    actions["restore"] = _action(
        file_menu, tr("从备份恢复(&R)…"), lambda: _page_call(window, "settings", "show_backups")
    )
    file_menu.addSeparator()
    actions["quit"] = _action(file_menu, tr("退出(&X)"), window.close, shortcut="Ctrl+Q")

    help_menu = bar.addMenu(tr("帮助(&H)"))
    actions["guide"] = _action(
        help_menu, tr("使用说明(&G)"), lambda: help_dialogs.show_guide(window), shortcut="F1"
    )
    actions["diagnostics"] = _action(
        help_menu, tr("导出诊断信息(&D)…"), lambda: help_dialogs.export_diagnostics(window)
    )
    help_menu.addSeparator()
    actions["about"] = _action(help_menu, tr("关于(&A)"), lambda: help_dialogs.show_about(window))
    return actions


def _page_call(window: MainWindow, key: str, method: str) -> None:
    """Show the page of ``key`` and run its ``method`` (what its own button does)."""
    page = window.show_page(key)
    getattr(page, method)()
