"""The main window's menu bar, in the Windows convention:

文件  导入 ▸ / 导出 ▸ / 备份 / 从备份恢复… / 退出
帮助  使用说明 (F1) / 导出诊断信息… / 关于

Each entry reuses what the pages already do (the volunteer archive's import, the settings page's
backup …); the activity log's import and export, which no page has a button for, run here with
their progress shown (:mod:`pzh_station.ui.transfers`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar, QWidget

if TYPE_CHECKING:
    from pzh_station.ui.main_window import MainWindow


def _action(menu: QMenu, text: str, slot, *, shortcut: QKeySequence | str | None = None) -> QAction:  # noqa: ANN001
    action = menu.addAction(text)
    action.triggered.connect(lambda _checked=False: slot())
    if shortcut is not None:
        # the list form: setShortcut's overloads would build the Qt namespace's 93 enums at start
        action.setShortcuts([QKeySequence(shortcut)])
    return action


P = TypeVar("P", bound=QWidget)


def _page(window: MainWindow, key: str, kind: type[P]) -> P:
    """Show the page of ``key`` and return it as the class it is."""
    page = window.show_page(key)
    assert isinstance(page, kind), (key, type(page))
    return page


# The dialogs and pages behind the menu are imported on first use: the first screen needs none.
def _import_activities(window: MainWindow) -> None:
    from pzh_station.ui import transfers

    transfers.import_activities(window)


def _export_activities(window: MainWindow) -> None:
    from pzh_station.ui import transfers

    transfers.export_activities(window)


def _import_roster(window: MainWindow) -> None:
    from pzh_station.ui.training.page import TrainingPage

    _page(window, "training", TrainingPage).import_roster()


def _import_volunteers(window: MainWindow) -> None:
    from pzh_station.ui.volunteers.page import VolunteersPage

    _page(window, "volunteers", VolunteersPage).import_archive()


def _export_volunteers(window: MainWindow) -> None:
    from pzh_station.ui.volunteers.page import VolunteersPage

    _page(window, "volunteers", VolunteersPage).export_archive()


def _backup(window: MainWindow) -> None:
    from pzh_station.ui.settings_page import SettingsPage

    _page(window, "settings", SettingsPage).backup_now()


def _restore(window: MainWindow) -> None:
    from pzh_station.ui.settings_page import SettingsPage

    _page(window, "settings", SettingsPage).show_backups()


def _guide(window: MainWindow) -> None:
    from pzh_station.ui import help_dialogs

    help_dialogs.show_guide(window)


def _diagnostics(window: MainWindow) -> None:
    from pzh_station.ui import help_dialogs

    help_dialogs.export_diagnostics(window)


def _about(window: MainWindow) -> None:
    from pzh_station.ui import help_dialogs

    help_dialogs.show_about(window)


def install(window: MainWindow) -> dict[str, QAction]:
    """Build the menu bar of ``window``. :returns: the actions by key (tests trigger them)."""
    bar: QMenuBar = window.menuBar()
    tr = window.tr
    actions: dict[str, QAction] = {}

    file_menu = bar.addMenu(tr("文件(&F)"))
    imports = file_menu.addMenu(tr("导入(&I)"))
    actions["import_activities"] = _action(
        imports, tr("活动台账…"), lambda: _import_activities(window)
    )
    actions["import_roster"] = _action(imports, tr("培训班花名册…"), lambda: _import_roster(window))
    actions["import_volunteers"] = _action(
        imports, tr("文化志愿者档案…"), lambda: _import_volunteers(window)
    )
    exports = file_menu.addMenu(tr("导出(&E)"))
    actions["export_activities"] = _action(
        exports, tr("活动台账…"), lambda: _export_activities(window)
    )
    actions["export_volunteers"] = _action(
        exports, tr("文化志愿者档案…"), lambda: _export_volunteers(window)
    )
    file_menu.addSeparator()
    actions["backup"] = _action(file_menu, tr("备份(&B)"), lambda: _backup(window))
    actions["restore"] = _action(file_menu, tr("从备份恢复(&R)…"), lambda: _restore(window))
    file_menu.addSeparator()
    actions["quit"] = _action(file_menu, tr("退出(&X)"), window.close, shortcut="Ctrl+Q")

    help_menu = bar.addMenu(tr("帮助(&H)"))
    actions["guide"] = _action(help_menu, tr("使用说明(&G)"), lambda: _guide(window), shortcut="F1")
    actions["diagnostics"] = _action(
        help_menu, tr("导出诊断信息(&D)…"), lambda: _diagnostics(window)
    )
    help_menu.addSeparator()
    actions["about"] = _action(help_menu, tr("关于(&A)"), lambda: _about(window))
    return actions
