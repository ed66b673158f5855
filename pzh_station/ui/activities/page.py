"""The activity log page (活动台账): filters, search as you type, the list, trash, and actions.

Every slot is a few lines that queue work on ``ctx.tasks``; the list refreshes when
``tasks.changed`` announces ``"activities"`` (from this page, an import, or sync).
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from pzh_core.domain.activity import Activity
from pzh_station.services.activities import ActivityService
from pzh_station.ui.activities.form import ActivityDialog
from pzh_station.ui.activities.model import COLUMNS, ActivityTableModel
from pzh_station.ui.context import UiContext
from pzh_station.ui.enabling import enable
from pzh_station.ui.widgets import OptionalDateEdit, RefCombo
from pzh_station.ui.widgets.search import search_as_you_type


class ActivitiesPage(QWidget):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.dialog: ActivityDialog | None = None
        self._select_after_load: str | None = None
        layout = QVBoxLayout(self)
        layout.addLayout(self._build_actions())
        layout.addLayout(self._build_filters())
        layout.addWidget(self._build_list(), 1)
        self.count_label = QLabel()
        layout.addWidget(self.count_label)
        self._add_shortcuts()
        ctx.tasks.changed.connect(self._changed)
        self._update_buttons()
        self.model.reload()

    def _build_actions(self) -> QHBoxLayout:
        """新增, 编辑, 复制, 删除, 恢复 and the trash switch."""
        self.add_button = QPushButton(self.tr("新增活动"))
        self.edit_button = QPushButton(self.tr("编辑"))
        self.duplicate_button = QPushButton(self.tr("复制为新活动"))
        self.delete_button = QPushButton(self.tr("删除"))
        self.delete_button.setToolTip(self.tr("移到回收站，可以恢复（Delete 键）"))
        self.restore_button = QPushButton(self.tr("恢复"))
        self.trash_check = QCheckBox(self.tr("回收站"))
        actions = QHBoxLayout()
        for button, slot in (
            (self.add_button, self.add),
            (self.edit_button, self.edit),
            (self.duplicate_button, self.duplicate),
            (self.delete_button, self.delete),
            (self.restore_button, self.restore),
        ):
            actions.addWidget(button)
            button.clicked.connect(slot)
        actions.addStretch(1)
        actions.addWidget(self.trash_check)
        self.trash_check.toggled.connect(self._trash_toggled)
        return actions

    def _build_filters(self) -> QHBoxLayout:
        """Dates, kind, target group and the search box (searched after a pause in typing)."""
        self.date_from = OptionalDateEdit()
        self.date_to = OptionalDateEdit()
        self.kind_combo = RefCombo("activity_kinds", empty=self.tr("全部类型"))
        self.group_combo = RefCombo("target_groups", empty=self.tr("全部服务对象"))
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText(self.tr("搜索活动名称、地点、备注"))
        self.search_edit.setClearButtonEnabled(True)
        self.clear_button = QPushButton(self.tr("清除筛选"))
        filters = QHBoxLayout()
        filters.addWidget(QLabel(self.tr("日期")))
        filters.addWidget(self.date_from)
        filters.addWidget(QLabel(self.tr("至")))
        filters.addWidget(self.date_to)
        filters.addWidget(self.kind_combo)
        filters.addWidget(self.group_combo)
        filters.addWidget(self.search_edit, 1)
        filters.addWidget(self.clear_button)
        self.search_timer = search_as_you_type(self.search_edit, self.apply_filters)
        self.clear_button.clicked.connect(self.clear_filters)
        for combo in (self.kind_combo, self.group_combo):
            combo.currentIndexChanged.connect(self.apply_filters)
        for edit in (self.date_from, self.date_to):
            edit.dateChanged.connect(self.apply_filters)
        return filters

    def _build_list(self) -> QTableView:
        """The lazy list, sorted by a header click (in SQL)."""
        self.model = ActivityTableModel(self.ctx.tasks, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setDefaultSectionSize(26)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSortIndicatorShown(True)
        header.setSectionsClickable(True)
        header.setSortIndicator(0, Qt.SortOrder.DescendingOrder)
        # Fixed widths, never ResizeToContents: that would read every row of 50,000.
        for col, width in enumerate((96, 96, 260, 140, 110, 70, 70, 160, 110)):
            self.table.setColumnWidth(col, width)
        header.setSectionResizeMode(
            COLUMNS.index(("title", "活动名称")), QHeaderView.ResizeMode.Stretch
        )
        header.sectionClicked.connect(self._header_clicked)
        self.table.doubleClicked.connect(lambda _index: self.edit())
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.model.loaded.connect(self._loaded)
        return self.table

    def _add_shortcuts(self) -> None:
        for key, slot in (
            (QKeySequence.StandardKey.New, self.add),
            (QKeySequence.StandardKey.Find, self.search_edit.setFocus),
        ):
            QShortcut(key, self, slot, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        # Delete and F2 only on the list, so they keep their meaning while typing in the search box.
        for key, slot in ((Qt.Key.Key_Delete, self.delete), (Qt.Key.Key_F2, self.edit)):
            QShortcut(
                QKeySequence(key), self.table, slot, context=Qt.ShortcutContext.WidgetShortcut
            )
        self.add_button.setToolTip(self.tr("新增活动（Ctrl+N）"))
        self.edit_button.setToolTip(self.tr("编辑所选活动（F2 或双击）"))
        self.search_edit.setToolTip(self.tr("Ctrl+F"))

    # -- filters -------------------------------------------------------------------------
    def apply_filters(self) -> None:
        self.search_timer.stop()
        self.model.set_filter(
            replace(
                self.model.filter,
                date_from=self.date_from.iso(),
                date_to=self.date_to.iso(),
                kind=self.kind_combo.code(),
                target_group=self.group_combo.code(),
                text=self.search_edit.text().strip(),
                trash=self.trash_check.isChecked(),
            )
        )

    def clear_filters(self) -> None:
        widgets = (
            self.date_from,
            self.date_to,
            self.kind_combo,
            self.group_combo,
            self.search_edit,
        )
        for w in widgets:
            w.blockSignals(True)
        self.date_from.clear_date()
        self.date_to.clear_date()
        self.kind_combo.setCurrentIndex(0)
        self.group_combo.setCurrentIndex(0)
        self.search_edit.clear()
        for w in widgets:
            w.blockSignals(False)
        self.apply_filters()

    def _trash_toggled(self, _on: bool) -> None:
        self.apply_filters()
        self._update_buttons()

    def _header_clicked(self, column: int) -> None:
        f = self.model.filter
        key = self.model.sort_key(column)
        header = self.table.horizontalHeader()
        if key is None:  # not sortable: keep showing the current sort
            current = next(i for i in range(len(COLUMNS)) if self.model.sort_key(i) == f.order_by)
            header.setSortIndicator(
                current,
                Qt.SortOrder.DescendingOrder if f.descending else Qt.SortOrder.AscendingOrder,
            )
            return
        descending = not f.descending if key == f.order_by else key in ("date", "attendance")
        order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
        header.setSortIndicator(column, order)
        self.model.sort(column, order)

    # -- list state ----------------------------------------------------------------------
    def _changed(self, areas: set[str]) -> None:
        if "activities" in areas:
            self.model.reload()

    def _loaded(self) -> None:
        trash = self.model.filter.trash
        n = self.model.rowCount()
        self.count_label.setText(
            self.tr("回收站中共 {} 条").format(n) if trash else self.tr("共 {} 条活动").format(n)
        )
        if self._select_after_load:
            row = self.model.row_of(self._select_after_load)
            self._select_after_load = None
            if row >= 0:
                self.table.selectRow(row)
                self.table.scrollTo(self.model.index(row, 0))
        self._update_buttons()

    def selected_id(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.id_at(rows[0].row()) if rows else None

    def select_id(self, activity_id: str) -> None:
        """Select a row once it is in the list (now, or after the pending reload)."""
        row = self.model.row_of(activity_id)
        if row >= 0 and not self.model.loading:
            self.table.selectRow(row)
        else:
            self._select_after_load = activity_id

    def _update_buttons(self) -> None:
        trash = self.trash_check.isChecked()
        has = self.selected_id() is not None
        in_trash = self.tr("回收站中的活动不能修改，请先取消勾选“回收站”") if trash else ""
        choose = self.tr("请先在列表中选择一条活动") if not has else ""
        enable(self.add_button, in_trash)
        for button in (self.edit_button, self.duplicate_button, self.delete_button):
            enable(button, in_trash or choose)
        self.restore_button.setVisible(trash)
        enable(self.restore_button, choose)

    # -- actions -------------------------------------------------------------------------
    def add(self) -> None:
        self._open_dialog(Activity(), self.tr("新增活动"))

    def edit(self) -> None:
        activity_id = self.selected_id()
        if activity_id and not self.trash_check.isChecked():
            self.ctx.tasks.run(
                lambda s: ActivityService(s).get(activity_id),
                success=lambda a: a and self._open_dialog(a, self.tr("编辑活动")),
            )

    def duplicate(self) -> None:
        activity_id = self.selected_id()
        if activity_id and not self.trash_check.isChecked():
            self.ctx.tasks.run(
                lambda s: ActivityService(s).duplicate(activity_id),
                success=lambda a: self._open_dialog(a, self.tr("复制为新活动")),
            )

    def delete(self) -> None:
        # No "are you sure?": the trash is the undo, one click away.
        activity_id = self.selected_id()
        if activity_id and not self.trash_check.isChecked():
            self.ctx.tasks.run(
                lambda s: ActivityService(s).delete(activity_id),
                success=lambda _r: self._status(self.tr("已移到回收站，可在“回收站”中恢复")),
            )

    def restore(self) -> None:
        activity_id = self.selected_id()
        if activity_id and self.trash_check.isChecked():
            self.ctx.tasks.run(
                lambda s: ActivityService(s).restore(activity_id),
                success=lambda _r: self._status(self.tr("已恢复")),
            )

    def _open_dialog(self, activity: Activity, title: str) -> None:
        self.dialog = ActivityDialog(self.ctx, activity, self, title=title)
        self.dialog.saved.connect(self.select_id)
        self.dialog.saved.connect(lambda _id: self._status(self.tr("已保存")))
        self.dialog.open()

    def _status(self, text: str) -> None:
        window = self.window()
        if hasattr(window, "statusBar"):
            window.statusBar().showMessage(text, 5000)
