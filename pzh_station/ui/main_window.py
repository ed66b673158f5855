"""The main window: navigation on the left, the current area's page on the right."""

from __future__ import annotations

from importlib import import_module

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QWidget,
)

from pzh_station.ui.context import UiContext
from pzh_station.ui.pages import PAGES, PageSpec


class MainWindow(QMainWindow):
    def __init__(self, ctx: UiContext, *, station_name: str = "") -> None:
        super().__init__()
        self.ctx = ctx
        self.setWindowTitle(self.tr("文化站工作台") + (f" — {station_name}" if station_name else ""))
        self.resize(1280, 720)  # fits 1366×768 with the taskbar
        self.setMinimumSize(960, 600)
        self.nav = QListWidget()
        self.nav.setFixedWidth(150)
        self.stack = QStackedWidget()
        self._pages: dict[str, QWidget] = {}
        for spec in PAGES:
            self.nav.addItem(QCoreApplication.translate("Pages", spec.title))
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.nav.currentRowChanged.connect(self._show_row)
        ctx.tasks.failed.connect(self._show_error)
        self.nav.setCurrentRow(0)

    def page(self, key: str) -> QWidget:
        """The page of an area, built on first use."""
        if key not in self._pages:
            spec = next(s for s in PAGES if s.key == key)
            widget = self._build(spec)
            self._pages[key] = widget
            self.stack.addWidget(widget)
        return self._pages[key]

    def show_page(self, key: str) -> QWidget:
        row = next(i for i, s in enumerate(PAGES) if s.key == key)
        self.nav.setCurrentRow(row)
        return self.page(key)

    def _build(self, spec: PageSpec) -> QWidget:
        module, cls = spec.factory.split(":")
        return getattr(import_module(module), cls)(self.ctx, self)

    def _show_row(self, row: int) -> None:
        if row >= 0:
            self.stack.setCurrentWidget(self.page(PAGES[row].key))

    def _show_error(self, error: Exception) -> None:
        message = getattr(error, "message", None) or str(error)
        self.statusBar().showMessage(message, 15_000)
        QMessageBox.warning(self, self.tr("出错了"), message)

    def closeEvent(self, event) -> None:  # noqa: ANN001, N802
        self.ctx.tasks.shutdown()
        super().closeEvent(event)
