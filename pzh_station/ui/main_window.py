"""The main window: navigation on the left, the current area's page on the right, the operator
(当前录入人) in the tool bar, and the status bar at the bottom.

Status bar: other areas add their permanent widgets (sync state …) with
``window.statusBar().addPermanentWidget(widget)``; ``showMessage`` is used for short notices.

Start-up (issue 17): the window is painted first; the sync state and the photo count in the status
bar — their agents, threads and the network modules — start right after that first paint
(:meth:`MainWindow.start_status_bar`, then ``started``), and the overview computes its figures
on the database worker behind a "正在统计…" placeholder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QMargins,
    QObject,
    QRect,
    QSize,
    QTimer,
    Signal,
)
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QStackedWidget,
    QToolBar,
    QWidget,
)

from pzh_station.services.station import StationProfile, StationService
from pzh_station.settings import Settings
from pzh_station.ui.context import UiContext
from pzh_station.ui.pages import PAGES, PageSpec

if TYPE_CHECKING:
    from pzh_station.ui.photos.status import PhotoStatusLabel
    from pzh_station.ui.sync_page.status import SyncStatusWidget

PREFERRED = QSize(1280, 720)
MINIMUM = QSize(640, 400)
# Window frame on Windows 10/11 and the UOS/Kylin desktops at 100 %: 8-px side and bottom
# borders and a 31-px title bar. Known before the window is shown, when Qt cannot tell yet.
FRAME = QMargins(8, 31, 8, 8)


def fitted_geometry(available: QRect, frame: QMargins = FRAME) -> QRect:
    """Where the window's client area goes so that the whole window, frame included, fits the
    screen's available area (the screen less the task bar): its preferred size when there is
    room, else all there is; centred across, top-aligned."""
    width = max(
        MINIMUM.width(), min(PREFERRED.width(), available.width() - frame.left() - frame.right())
    )
    height = max(
        MINIMUM.height(), min(PREFERRED.height(), available.height() - frame.top() - frame.bottom())
    )
    outer = width + frame.left() + frame.right()
    left = available.left() + max(0, (available.width() - outer) // 2) + frame.left()
    return QRect(left, available.top() + frame.top(), width, height)


class _FirstPaint(QObject):
    """Calls ``then`` once, on the event loop's turn after the widget's first paint."""

    def __init__(self, widget: QWidget, then) -> None:  # noqa: ANN001
        super().__init__(widget)
        self.then = then
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.UpdateRequest:  # a top-level window paints on this
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self.then)  # after this paint is on the screen
        return False


class MainWindow(QMainWindow):
    closed = Signal()
    profile_loaded = Signal(object)  # StationProfile | None
    started = Signal()  # the status bar's sync and photo agents are up (after the first paint)

    def __init__(self, ctx: UiContext, *, station_name: str = "") -> None:
        super().__init__()
        self.ctx = ctx
        self.profile: StationProfile | None = None
        self.confirmed = ""  # the operator whose PIN was typed since they were last chosen
        self.pin_dialog: QWidget | None = None
        self._set_title(station_name)
        # 1366×768 at 150 % is a 911×512 logical screen: pages scroll rather than clip
        self.setMinimumSize(MINIMUM)
        self.fit_to_screen()

        # who is entering records (each record remembers it)
        self.operator_combo = QComboBox()
        self.operator_combo.setMinimumContentsLength(6)
        self.operator_combo.setToolTip(
            self.tr("新登记的记录会记下录入人。人员名单在“设置”中修改。")
        )
        toolbar = QToolBar(self.tr("录入人"))
        toolbar.setObjectName("operator_toolbar")
        toolbar.setMovable(False)
        toolbar.addWidget(QLabel(self.tr("当前录入人：")))
        toolbar.addWidget(self.operator_combo)
        self.addToolBar(toolbar)

        self.nav = QListWidget()
        self.nav.setFixedWidth(150)
        self.stack = QStackedWidget()
        self._pages: dict[str, QWidget] = {}
        self.scrolls: dict[str, QScrollArea] = {}  # each page inside its scroll area
        for spec in PAGES:
            self.nav.addItem(QCoreApplication.translate("Pages", spec.title))
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.statusBar()  # created up front: other areas add permanent widgets to it
        self.sync_status: SyncStatusWidget | None = None  # made after the first paint
        self.photo_status: PhotoStatusLabel | None = None
        self._closing = False
        _FirstPaint(self, self.start_status_bar)

        from pzh_station.ui import menus

        self.actions_by_key = menus.install(self)
        self.nav.currentRowChanged.connect(self._show_row)
        self.operator_combo.activated.connect(self._operator_chosen)
        ctx.tasks.failed.connect(self._show_error)
        ctx.tasks.changed.connect(self._changed)
        self.load_profile()
        start = next((i for i, s in enumerate(PAGES) if s.key == "overview"), 0)
        self.nav.setCurrentRow(start)  # the overview is the app's home (issue 6)

    @property
    def has_started(self) -> bool:
        """Whether ``started`` has been emitted (the first paint is over)."""
        return self.sync_status is not None

    def start_status_bar(self) -> None:
        """The sync state and 照片待上传 N, with their agents (threads, network modules): called
        after the first paint, so the window is on the screen before they load. Idempotent."""
        if self.sync_status is not None or self._closing:
            return
        from pzh_station.ui.photos.status import PhotoStatusLabel
        from pzh_station.ui.sync_page.status import SyncStatusWidget

        self.sync_status = SyncStatusWidget(self.ctx, self)  # stops the sync agent on `closed`
        self.statusBar().addPermanentWidget(self.sync_status)
        self.photo_status = PhotoStatusLabel(self.ctx, self)  # 照片待上传 N (issue 15)
        self.statusBar().addPermanentWidget(self.photo_status)
        self.started.emit()

    # -- station profile and operator ----------------------------------------------------
    def load_profile(self) -> None:
        self.ctx.tasks.run(lambda s: StationService(s).profile(), success=self._profile_loaded)

    def _profile_loaded(self, profile: StationProfile | None) -> None:
        self.profile = profile
        self._set_title(profile.name if profile else "")
        staff = profile.staff if profile else []
        self.operator_combo.clear()
        self.operator_combo.addItems(staff)
        self.operator_combo.setEnabled(bool(staff))
        if not staff:
            self.operator_combo.addItem(self.tr("（请在“设置”中添加录入人员）"))
            self.profile_loaded.emit(profile)
            return
        wanted = self.ctx.operator if self.ctx.operator in staff else staff[0]
        self.operator_combo.setCurrentIndex(staff.index(wanted))
        self.choose_operator(wanted)
        self.profile_loaded.emit(profile)

    def _operator_chosen(self, index: int) -> None:
        if self.profile and 0 <= index < len(self.profile.staff):
            self.choose_operator(self.profile.staff[index])

    def choose_operator(self, name: str) -> None:
        """Make ``name`` the operator; one with a PIN types it first (issue 14). Until then the
        operator is nobody, so no record is saved in a name that was not confirmed."""
        if not self.profile or name not in self.profile.pins or name == self.confirmed:
            if name != self.confirmed:
                self.confirmed = ""
            self.set_operator(name)
            return
        self.confirmed = ""
        from pzh_station.ui.pin_dialog import PinDialog

        self.set_operator("")
        dialog = PinDialog(self.ctx, name, self)
        dialog.confirmed.connect(self._pin_confirmed)
        self.pin_dialog = dialog
        dialog.open()

    def _pin_confirmed(self, name: str) -> None:
        self.confirmed = name
        self.set_operator(name)
        self.statusBar().showMessage(self.tr("当前录入人：{}").format(name), 5_000)

    def set_operator(self, name: str) -> None:
        """Records saved from now on remember ``name``; kept for the next start."""
        changed = name != self.ctx.operator
        self.ctx.operator = name
        self.ctx.tasks.set_operator(name)
        if name and (changed or Settings(self.ctx.data_dir).get("operator") != name):
            try:
                Settings(self.ctx.data_dir).set("operator", name)
            except OSError as exc:  # a read-only data dir must not stop the work
                self.statusBar().showMessage(self.tr("无法保存设置：") + str(exc), 10_000)

    def _set_title(self, station_name: str) -> None:
        self.setWindowTitle(
            self.tr("文化站工作台") + (f" — {station_name}" if station_name else "")
        )

    def _changed(self, areas: set[str]) -> None:
        if "station" in areas:
            self.load_profile()

    def fit_to_screen(self, screen: QScreen | None = None) -> None:
        """Size and place the window inside the screen's available area
        (see :func:`fitted_geometry`)."""
        screen = screen or self.screen() or QGuiApplication.primaryScreen()
        if screen is not None:
            self.setGeometry(fitted_geometry(screen.availableGeometry()))

    # -- pages ---------------------------------------------------------------------------
    def page(self, key: str) -> QWidget:
        """The page of an area, built on first use."""
        if key not in self._pages:
            spec = next(s for s in PAGES if s.key == key)
            widget = self._build(spec)
            self._pages[key] = widget
            # a page smaller than its layout's minimum scrolls instead of clipping controls
            scroll = QScrollArea()
            scroll.setObjectName(f"scroll_{key}")
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            scroll.setWidget(widget)
            self.scrolls[key] = scroll
            self.stack.addWidget(scroll)
        return self._pages[key]

    def show_page(self, key: str) -> QWidget:
        row = next(i for i, s in enumerate(PAGES) if s.key == key)
        self.nav.setCurrentRow(row)
        return self.page(key)

    def _build(self, spec: PageSpec) -> QWidget:
        return spec.factory(self.ctx, self)

    def _show_row(self, row: int) -> None:
        if row >= 0:
            key = PAGES[row].key
            self.page(key)
            self.stack.setCurrentWidget(self.scrolls[key])

    def _show_error(self, error: Exception) -> None:
        message = getattr(error, "message", None) or str(error)
        self.statusBar().showMessage(message, 15_000)
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("出错了"), message, parent=self)
        from PySide6.QtCore import Qt  # its 93 enums load on first use: not before the paint

        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()  # not exec(): never a nested event loop in the middle of other work

    def closeEvent(self, event) -> None:  # noqa: ANN001, N802
        self._closing = True
        self.ctx.tasks.shutdown()
        super().closeEvent(event)
        self.closed.emit()
