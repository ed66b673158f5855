"""The roster tab (花名册): enrol from the registry or a new person, drop, re-enrol, import a
file with a preview, export and print."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pzh_station.services.roster_import import COLUMNS, RosterImport, RosterImporter, RosterRow
from pzh_station.services.training import EnrollResult, TrainingService
from pzh_station.services.training_export import TrainingExport
from pzh_station.ui.context import UiContext
from pzh_station.ui.enabling import enable
from pzh_station.ui.progress import Cancelled, Progress, cancelled_text, run_with_progress
from pzh_station.ui.training.people import PickPersonDialog
from pzh_station.ui.training.sessions import _error_text, open_file
from pzh_station.ui.widgets import RowsModel, rows_table

ACTION_LABELS = {"new": "新登记", "existing": "已在登记册", "repeat": "重复，跳过", "bad": "有问题"}
ACTION_COLORS = {"bad": "#ffcdd2", "repeat": "#eeeeee", "existing": "#e3f2fd"}


def tr(text: str) -> str:
    return QCoreApplication.translate("RosterTab", text)


def _preview_note(r: RosterRow) -> str:
    if r.problems:
        return "；".join(r.problems)
    repeat = tr("（同第{}行）").format(r.repeat_of) if r.repeat_of else ""
    return tr(ACTION_LABELS[r.action]) + repeat


PREVIEW_COLUMNS = [
    ("行", lambda x: x["row"].line),
    ("姓名", lambda x: x["row"].person.name),
    ("性别", lambda x: x["row"].person.gender),
    ("出生年份", lambda x: x["row"].person.birth_year or ""),
    ("电话", lambda x: x["row"].person.phone),
    ("村(社区)", lambda x: x["row"].person.village),
    ("处理", lambda x: _preview_note(x["row"])),
]


def _preview_style(x: dict[str, Any], column: int, role: int) -> Any:
    r: RosterRow = x["row"]
    if role == Qt.ItemDataRole.BackgroundRole:
        color = ACTION_COLORS.get("bad" if r.problems else r.action)
        return QBrush(QColor(color)) if color else None
    if role == Qt.ItemDataRole.ToolTipRole and column == 6:
        return r.describe()
    return None


def _roster_state(p: dict[str, Any]) -> str:
    if not p["active"]:
        return tr("已退班")
    return tr("插班") if p["walk_in"] else tr("在册")


ROSTER_COLUMNS = [
    ("姓名", lambda p: p["name"]),
    ("性别", lambda p: p["gender"]),
    ("出生年份", lambda p: p["birth_year"] or ""),
    ("电话", lambda p: p["phone"]),
    ("村(社区)", lambda p: p["village"]),
    ("民族", lambda p: p["ethnicity"]),
    ("报名日期", lambda p: p["enrolled_on"]),
    ("状态", _roster_state),
]


def _roster_style(p: dict[str, Any], _column: int, role: int) -> Any:
    if role == Qt.ItemDataRole.ForegroundRole and not p["active"]:
        return QBrush(QColor("#888888"))  # dropped: greyed out
    return None


class ImportPreviewDialog(QDialog):
    """What a roster file will do, row by row; nothing is written until 确认导入."""

    imported = Signal(object)  # the RosterImport after writing

    def __init__(
        self, ctx: UiContext, class_id: str, result: RosterImport, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.class_id = class_id
        self.result = result
        self.setWindowTitle(self.tr("导入花名册 — 预览"))
        self.resize(760, 520)
        mapped = "，".join(f"{v}→{self.tr(COLUMNS[k][0])}" for k, v in result.mapped.items())
        self.summary_label = QLabel(result.summary())
        self.summary_label.setWordWrap(True)
        columns = QLabel(
            self.tr("识别的列：")
            + mapped
            + (self.tr("；未使用的列：") + "、".join(result.unmapped) if result.unmapped else "")
        )
        columns.setWordWrap(True)
        self.model = RowsModel(ctx.tasks, PREVIEW_COLUMNS, self, decorate=_preview_style)
        self.model.set_rows([{"row": r} for r in result.rows])
        self.table = rows_table(self.model)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.table.horizontalHeader()
        for col in range(6):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(6, QHeaderView.ResizeMode.Stretch)
        self.skip_bad = QCheckBox(self.tr("跳过有问题的行，只导入无误的行"))
        self.skip_bad.setVisible(bool(result.bad))
        self.message = QLabel()
        self.message.setStyleSheet("color: #c62828;")
        self.message.setWordWrap(True)
        self.confirm_button = QPushButton(self.tr("确认导入"))
        self.cancel_button = QPushButton(self.tr("取消"))
        buttons = QHBoxLayout()
        buttons.addWidget(self.skip_bad)
        buttons.addStretch(1)
        buttons.addWidget(self.confirm_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary_label)
        layout.addWidget(columns)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.confirm_button.clicked.connect(self.confirm)
        self.cancel_button.clicked.connect(self.reject)
        self.skip_bad.toggled.connect(self._update)
        self._update()

    def _update(self) -> None:
        blocked = bool(self.result.bad) and not self.skip_bad.isChecked()
        self.confirm_button.setEnabled(not blocked)
        self.message.setText(
            self.tr("有 {} 行有问题。请修正文件后重新导入，或勾选“跳过有问题的行”。").format(
                len(self.result.bad)
            )
            if blocked
            else ""
        )

    def confirm(self) -> Progress:
        """Write on the database thread with its progress shown (cancelling rolls it back)."""
        result, cid, skip = self.result, self.class_id, self.skip_bad.isChecked()
        self.confirm_button.setEnabled(False)
        return run_with_progress(
            self.ctx.tasks,
            self,
            self.tr("正在导入花名册"),
            lambda s, report: RosterImporter(s).write_import(
                result, class_id=cid, skip_bad=skip, progress=report
            ),
            success=self._done,
            failure=self._failed,
        )

    def _done(self, result: RosterImport) -> None:
        self.imported.emit(result)
        self.accept()

    def _failed(self, exc: Exception) -> None:
        self.message.setText(cancelled_text() if isinstance(exc, Cancelled) else _error_text(exc))
        self.confirm_button.setEnabled(True)


class RosterTab(QWidget):
    status = Signal(str)

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.class_id: str | None = None
        self.dialog: QDialog | None = None
        self.warning_label = QLabel()
        self.warning_label.setStyleSheet("color: #b26a00;")
        self.model = RowsModel(ctx.tasks, ROSTER_COLUMNS, self, decorate=_roster_style)
        self.table = rows_table(self.model)
        # every column as wide as its contents (a roster is small), so none shows only "…"
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.count_label = QLabel()
        layout = QVBoxLayout(self)
        layout.addLayout(self._build_buttons())
        layout.addWidget(self.warning_label)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count_label)
        self.model.loaded.connect(self._count)
        self.set_class(None)

    def _build_buttons(self) -> QHBoxLayout:
        self.enroll_button = QPushButton(self.tr("报名…"))
        self.drop_button = QPushButton(self.tr("退班"))
        self.reenroll_button = QPushButton(self.tr("重新报名"))
        self.import_button = QPushButton(self.tr("导入花名册…"))
        self.export_button = QPushButton(self.tr("导出…"))
        self.print_button = QPushButton(self.tr("打印花名册…"))
        bar = QHBoxLayout()
        for b in (self.enroll_button, self.drop_button, self.reenroll_button):
            bar.addWidget(b)
        bar.addStretch(1)
        for b in (self.import_button, self.export_button, self.print_button):
            bar.addWidget(b)
        self.enroll_button.clicked.connect(self.open_enroll)
        self.drop_button.clicked.connect(self.drop)
        self.reenroll_button.clicked.connect(self.reenroll)
        self.import_button.clicked.connect(self.choose_import)
        self.export_button.clicked.connect(self.choose_export)
        self.print_button.clicked.connect(self.choose_print)
        return bar

    @property
    def rows(self) -> list[dict[str, Any]]:
        return self.model.rows

    def set_class(self, class_id: str | None) -> None:
        self.class_id = class_id
        self.warning_label.clear()
        for b in (
            self.enroll_button,
            self.drop_button,
            self.reenroll_button,
            self.import_button,
            self.export_button,
            self.print_button,
        ):
            enable(b, "" if class_id is not None else self.tr("请先在左侧选择一个培训班"))
        self.reload()

    def reload(self) -> None:
        cid = self.class_id
        if cid is None:
            self.model.set_rows([])
        else:
            self.model.reload(lambda s: TrainingService(s).roster(cid))

    def _count(self) -> None:
        active = sum(1 for p in self.rows if p["active"])
        self.count_label.setText(
            self.tr("在册 {} 人，已退班 {} 人").format(active, len(self.rows) - active)
        )

    def selected(self) -> dict[str, Any] | None:
        chosen = self.table.selectionModel().selectedRows()
        return self.model.row(chosen[0].row()) if chosen else None

    # -- enrol / drop ----------------------------------------------------------------------
    def open_enroll(self) -> None:
        if self.class_id is None:
            return
        on_roster = tuple(p["id"] for p in self.rows if p["active"])
        dlg = PickPersonDialog(self.ctx, self, title=self.tr("报名：选择人员"), exclude=on_roster)
        dlg.picked.connect(self.enroll)
        self.dialog = dlg
        dlg.show()

    def enroll(self, person_id: str) -> None:
        cid = self.class_id
        if cid is None:
            return
        self.ctx.tasks.run(
            lambda s: TrainingService(s).enroll(cid, person_id),
            success=self._enrolled,
            failure=lambda e: self.status.emit(_error_text(e)),
        )

    def _enrolled(self, result: EnrollResult) -> None:
        self.warning_label.setText(result.warning)
        if result.warning:
            self.status.emit(result.warning)

    def drop(self) -> None:
        p, cid = self.selected(), self.class_id
        if p and cid and p["active"]:
            pid = p["id"]
            self.ctx.tasks.run(
                lambda s: TrainingService(s).drop(cid, pid),
                failure=lambda e: self.status.emit(_error_text(e)),
            )

    def reenroll(self) -> None:
        p = self.selected()
        if p and not p["active"]:
            self.enroll(p["id"])

    # -- files -----------------------------------------------------------------------------
    def choose_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("选择花名册文件"), "", self.tr("表格 (*.xlsx *.csv)")
        )
        if path:
            self.preview_import(path)

    def preview_import(self, path: str) -> Progress | None:
        """Read and check a file on the database thread (its progress shown, cancellable), then
        show the preview dialog. :returns: the progress dialog."""
        cid = self.class_id
        if cid is None:
            return None
        return run_with_progress(
            self.ctx.tasks,
            self,
            self.tr("正在检查花名册"),
            lambda s, report: RosterImporter(s).read_import(Path(path), progress=report),
            success=lambda r: self._preview(cid, r),
            failure=lambda e: self._import_failed(e),
        )

    def _preview(self, class_id: str, result: RosterImport) -> None:
        dlg = ImportPreviewDialog(self.ctx, class_id, result, self)
        dlg.imported.connect(self._imported)
        self.dialog = dlg
        dlg.show()

    def _import_failed(self, exc: Exception) -> None:
        text = cancelled_text() if isinstance(exc, Cancelled) else _error_text(exc)
        self.warning_label.setText(text)
        self.status.emit(text)

    def _imported(self, result: RosterImport) -> None:
        text = self.tr("已报名 {} 人（其中新登记 {} 人）").format(
            result.written, result.created_people
        )
        self.warning_label.setText("；".join([text, *result.warnings]))
        self.status.emit(text)

    def choose_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("导出花名册和签到"), "花名册.xlsx", self.tr("Excel (*.xlsx);;CSV (*.csv)")
        )
        if path:
            self.export(path)

    def export(self, path: str) -> None:
        """.xlsx: roster and attendance (sessions as columns); .csv: the roster."""
        cid = self.class_id
        if cid is None:
            return

        def job(s) -> int:  # noqa: ANN001
            ex = TrainingExport(s)
            if path.lower().endswith(".csv"):
                return ex.export_roster(path, cid, fmt="csv")
            return ex.export_attendance(path, [cid], fmt="xlsx")

        self.ctx.tasks.run(
            job,
            success=lambda n: self.status.emit(self.tr("已导出到 {}").format(path)),
            failure=lambda e: self.status.emit(_error_text(e)),
        )

    def choose_print(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("保存花名册"), "花名册.pdf", "PDF (*.pdf)"
        )
        if path:
            self.save_pdf(path, open_after=True)

    def save_pdf(self, path: str, *, open_after: bool = False) -> None:
        """Write the roster sheet; ``open_after`` opens it in the PDF reader, to print."""
        cid = self.class_id
        if cid is None:
            return

        def saved(p: object) -> None:
            self.status.emit(self.tr("已保存花名册：{}").format(p))
            if open_after:
                open_file(str(p))

        self.ctx.tasks.run(
            lambda s: TrainingExport(s).write_roster_sheet(path, cid),
            success=saved,
            failure=lambda e: self.status.emit(_error_text(e)),
        )
