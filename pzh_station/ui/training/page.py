"""The training page (培训班): classes on the left; for the chosen class, tabs for its sessions,
roster, attendance grid and completers.

Every slot queues work on ``ctx.tasks``; the page reloads what it shows when ``tasks.changed``
announces ``training``, ``people`` or ``attendance``.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from pzh_core.domain import refdata
from pzh_core.domain import training as d
from pzh_core.domain.training import TrainingClass
from pzh_station.services.people import PeopleService
from pzh_station.services.training import ClassFilter, TrainingService
from pzh_station.ui.context import UiContext
from pzh_station.ui.enabling import enable
from pzh_station.ui.training.attendance import AttendanceTab
from pzh_station.ui.training.class_form import ClassDialog
from pzh_station.ui.training.completion import CompletionTab
from pzh_station.ui.training.registry import PeopleRegistryDialog
from pzh_station.ui.training.roster import RosterTab
from pzh_station.ui.training.sessions import SessionsTab, _error_text
from pzh_station.ui.widgets import RowsModel, rows_table
from pzh_station.ui.widgets.search import search_as_you_type


def _capacity(c: dict[str, Any]) -> str:
    return f"{c['enrolled']}/{c['capacity']}" if c["capacity"] else str(c["enrolled"])


CLASS_COLUMNS = [
    ("培训班", lambda c: c["name"]),
    ("门类", lambda c: refdata.label("art_forms", c["art_form"])),
    ("开始", lambda c: c["start_date"]),
    ("人数", _capacity),
]


def _class_tooltip(c: dict[str, Any], column: int, role: int) -> Any:
    if column == 0 and role == Qt.ItemDataRole.ToolTipRole:
        return QCoreApplication.translate(
            "TrainingPage", d.STATUS_LABELS.get(c["status"], c["status"])
        )
    return None


class TrainingPage(QWidget):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.class_id: str | None = None
        self.dialog: QWidget | None = None
        self._select_after_load: str | None = None
        self._filling = False
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self._build_class_list())
        splitter.addWidget(self._build_class_view())
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([330, 850])
        QVBoxLayout(self).addWidget(splitter)
        self._connect()
        self._update_buttons()
        self.reload_classes()

    def _build_class_list(self) -> QWidget:
        """The left side: search, status, the classes and their buttons."""
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText(self.tr("搜索班名、老师、地点"))
        self.search_edit.setClearButtonEnabled(True)
        self.status_combo = QComboBox()
        self.status_combo.addItem(self.tr("全部状态"), "")
        for code in d.STATUSES:
            self.status_combo.addItem(self.tr(d.STATUS_LABELS[code]), code)
        self.add_button = QPushButton(self.tr("新建培训班"))
        self.edit_button = QPushButton(self.tr("编辑"))
        self.delete_button = QPushButton(self.tr("删除"))
        self.people_button = QPushButton(self.tr("人员登记册…"))
        self.people_button.setToolTip(self.tr("查找、登记、编辑人员，合并重复登记"))
        self.class_model = RowsModel(self.ctx.tasks, CLASS_COLUMNS, self, decorate=_class_tooltip)
        self.class_table = rows_table(self.class_model)
        header = self.class_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(self.search_edit, 1)
        top.addWidget(self.status_combo)
        lv.addLayout(top)
        lv.addWidget(self.class_table, 1)
        buttons = QHBoxLayout()
        for b in (self.add_button, self.edit_button, self.delete_button):
            buttons.addWidget(b)
        lv.addLayout(buttons)
        lv.addWidget(self.people_button)
        return left

    def _build_class_view(self) -> QWidget:
        """The right side: the chosen class's title, facts and tabs."""
        self.title_label = QLabel(self.tr("请在左侧选择或新建一个培训班"))
        self.title_label.setStyleSheet("font-size: 15px; font-weight: bold;")
        self.info_label = QLabel()
        self.info_label.setWordWrap(True)
        self.sessions_tab = SessionsTab(self.ctx)
        self.roster_tab = RosterTab(self.ctx)
        self.attendance_tab = AttendanceTab(self.ctx)
        self.completion_tab = CompletionTab(self.ctx)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.attendance_tab, self.tr("签到"))
        self.tabs.addTab(self.roster_tab, self.tr("花名册"))
        self.tabs.addTab(self.sessions_tab, self.tr("课次"))
        self.tabs.addTab(self.completion_tab, self.tr("结业"))
        self.status_label = QLabel()
        self.status_label.setStyleSheet("color: #555;")
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.addWidget(self.title_label)
        rv.addWidget(self.info_label)
        rv.addWidget(self.tabs, 1)
        rv.addWidget(self.status_label)
        return right

    def _connect(self) -> None:
        self.search_timer = search_as_you_type(self.search_edit, self.reload_classes)
        self.status_combo.currentIndexChanged.connect(lambda _i: self.reload_classes())
        self.class_table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.class_model.loaded.connect(self._show_classes)
        self.add_button.clicked.connect(self.add_class)
        self.edit_button.clicked.connect(self.edit_class)
        self.delete_button.clicked.connect(self.delete_class)
        self.people_button.clicked.connect(self.open_registry)
        for tab in (self.sessions_tab, self.roster_tab, self.attendance_tab):
            tab.status.connect(self.show_status)
        self.ctx.tasks.changed.connect(self._changed)

    # -- classes ---------------------------------------------------------------------------
    @property
    def classes(self) -> list[dict[str, Any]]:
        return self.class_model.rows

    def reload_classes(self) -> None:
        f = ClassFilter(text=self.search_edit.text(), status=self.status_combo.currentData() or "")
        self.class_model.reload(lambda s: TrainingService(s).class_rows(f))

    def _show_classes(self) -> None:
        rows = self.classes
        wanted, self._select_after_load = self._select_after_load, None
        if wanted and any(c["id"] == wanted for c in rows):
            self.class_id = None
            self._select_row(wanted)
            self.select_class(wanted)
            return
        self._select_row(self.class_id)
        keep = self.class_id
        row = self.class_model.row_of(keep) if keep is not None else -1
        if row < 0 and keep is not None:
            self.select_class(None)
        elif row >= 0:
            self._show_info(rows[row])

    def _select_row(self, class_id: str | None) -> None:
        """Select a class's row without announcing it (the page already shows that class)."""
        row = self.class_model.row_of(class_id) if class_id is not None else -1
        self._filling = True
        if row >= 0:
            self.class_table.selectRow(row)
        else:
            self.class_table.clearSelection()
        self._filling = False

    def _selection_changed(self) -> None:
        if self._filling:
            return
        chosen = self.class_table.selectionModel().selectedRows()
        row = self.class_model.row(chosen[0].row()) if chosen else None
        self.select_class(row["id"] if row else None)

    def import_roster(self) -> None:
        """文件 → 导入 → 培训班花名册: the roster tab's import, for the class chosen on the left."""
        self.tabs.setCurrentWidget(self.roster_tab)
        if self.roster_tab.import_button.isEnabled():
            self.roster_tab.choose_import()
        else:
            self.status_label.setText(self.tr("请先在左侧选择一个培训班，再导入它的花名册。"))

    def select_class(self, class_id: str | None) -> None:
        """Show a class in the tabs (``None``: nothing chosen)."""
        self.class_id = class_id
        info = next((c for c in self.classes if c["id"] == class_id), None)
        if info is None:
            self.title_label.setText(self.tr("请在左侧选择或新建一个培训班"))
            self.info_label.clear()
        else:
            self._show_info(info)
        if class_id is not None:
            self._select_row(class_id)
        self.sessions_tab.set_class(class_id, start=info["start_date"] if info else "")
        self.roster_tab.set_class(class_id)
        self.attendance_tab.set_class(class_id)
        self.completion_tab.set_class(class_id)
        self._update_buttons()

    def _show_info(self, c: dict[str, Any]) -> None:
        self.title_label.setText(c["name"])
        bits = [
            refdata.label("art_forms", c["art_form"]),
            self.tr("老师：{}").format(c["teacher"]) if c["teacher"] else "",
            self.tr("地点：{}").format(c["venue"]) if c["venue"] else "",
            " — ".join(x for x in (c["start_date"], c["end_date"]) if x),
            self.tr("在册 {} 人").format(c["enrolled"])
            + (self.tr("（上限 {}）").format(c["capacity"]) if c["capacity"] else ""),
            self.tr("{} 次课").format(c["sessions"]),
            self.tr(d.STATUS_LABELS.get(c["status"], c["status"])),
        ]
        self.info_label.setText("　".join(b for b in bits if b))

    def _update_buttons(self) -> None:
        reason = "" if self.class_id is not None else self.tr("请先在列表中选择一个培训班")
        enable(self.edit_button, reason)
        enable(self.delete_button, reason)

    def add_class(self) -> None:
        self._open_class_dialog(TrainingClass())

    def edit_class(self) -> None:
        cid = self.class_id
        if cid:
            self.ctx.tasks.run(
                lambda s: TrainingService(s).get_class(cid),
                success=lambda c: c and self._open_class_dialog(c),
            )

    def _open_class_dialog(self, cls: TrainingClass) -> None:
        dlg = ClassDialog(self.ctx, cls, self)
        dlg.saved.connect(self._class_saved)
        self.dialog = dlg
        dlg.show()

    def _class_saved(self, class_id: str) -> None:
        self._select_after_load = class_id  # the list reloads (tasks.changed), then shows it

    def delete_class(self) -> None:
        cid = self.class_id
        name = self.title_label.text()
        if (
            cid
            and QMessageBox.question(
                self,
                self.tr("删除培训班"),
                self.tr("确定删除“{}”？课次、花名册和签到记录不会再显示。").format(name),
            )
            == QMessageBox.StandardButton.Yes
        ):
            self.ctx.tasks.run(
                lambda s: TrainingService(s).delete_class(cid),
                failure=lambda e: self.show_status(_error_text(e)),
            )

    def open_registry(self) -> None:
        dlg = PeopleRegistryDialog(self.ctx, self)
        self.dialog = dlg
        dlg.show()

    # -- refresh ---------------------------------------------------------------------------
    def _changed(self, areas: set[str]) -> None:
        if "sync" in areas:
            # Marks or enrollments made elsewhere for a person merged here move to the one kept.
            self.ctx.tasks.run(lambda s: PeopleService(s).settle_merged())
        if areas & {"training", "people", "sync"}:
            self.reload_classes()
            if self.class_id is not None:
                self.sessions_tab.reload()
                self.roster_tab.reload()
                self.completion_tab.reload()
        if self.class_id is not None:
            self.attendance_tab.changed(areas)
            if areas == {"attendance"} and self.tabs.currentWidget() is self.completion_tab:
                self.completion_tab.reload()

    def show_status(self, text: str) -> None:
        self.status_label.setText(text)
