"""Sessions of a class: generate from a weekly schedule (preview, untick dates to skip), add one,
move, cancel or restore, delete, and print the sign-in sheet of one."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from pzh_core.domain import training as d
from pzh_core.domain.errors import ValidationError
from pzh_station.services.photos import save_with_attachments
from pzh_station.services.training import TrainingService
from pzh_station.services.training_export import TrainingExport
from pzh_station.ui.context import UiContext
from pzh_station.ui.enabling import enable
from pzh_station.ui.photos import AttachmentStrip
from pzh_station.ui.widgets import DateEdit, RowsModel, SavingDialog, TimeEdit, rows_table
from pzh_station.ui.widgets.rows_model import Formatter


def open_file(path: str) -> None:
    """Open a saved PDF in the system's reader (where the station prints it)."""
    QDesktopServices.openUrl(QUrl.fromLocalFile(path))


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(exc.errors.values())
    return getattr(exc, "message", None) or str(exc)


class ScheduleDialog(SavingDialog):
    """按周生成课次: weekdays, time, number of weeks; the dates are previewed with a tick each,
    untick the holidays, then 生成."""

    generated = Signal(int)  # sessions made

    def __init__(
        self, ctx: UiContext, class_id: str, parent: QWidget | None = None, *, start: str = ""
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.class_id = class_id
        self.setWindowTitle(self.tr("按周生成课次"))
        self.resize(460, 560)
        self.start_edit = DateEdit()
        if start:
            self.start_edit.set_iso(start)
        self.day_boxes = [QCheckBox(self.tr(label)) for label in d.WEEKDAY_LABELS]
        days = QHBoxLayout()
        for box in self.day_boxes:
            days.addWidget(box)
        self.weeks_spin = QSpinBox()
        self.weeks_spin.setRange(1, 52)
        self.weeks_spin.setValue(8)
        self.weeks_spin.setSuffix(self.tr(" 周"))
        self.start_time = TimeEdit()
        self.end_time = TimeEdit()
        self.preview = QListWidget()
        self.count_label = QLabel()
        self._setup_errors()
        form = QFormLayout()
        form.addRow(self.tr("从"), self.start_edit)
        form.addRow(self.tr("每周"), days)
        form.addRow(self.tr("共"), self.weeks_spin)
        times = QHBoxLayout()
        times.addWidget(self.start_time)
        times.addWidget(QLabel("—"))
        times.addWidget(self.end_time)
        form.addRow(self.tr("时间"), times)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel(self.tr("将生成以下课次（取消勾选要跳过的日期，如节假日）：")))
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.count_label)
        layout.addWidget(self.message)
        layout.addWidget(self._buttons(self.tr("生成")))
        for box in self.day_boxes:
            box.toggled.connect(self.update_preview)
        self.weeks_spin.valueChanged.connect(self.update_preview)
        self.start_edit.dateChanged.connect(self.update_preview)
        self.preview.itemChanged.connect(lambda _i: self._count())
        self.update_preview()

    def weekdays(self) -> list[int]:
        return [i for i, box in enumerate(self.day_boxes) if box.isChecked()]

    def update_preview(self) -> None:
        self.preview.clear()
        days = self.weekdays()
        if days:
            start = dt.date.fromisoformat(self.start_edit.iso())
            for day in d.weekly_dates(start, days, weeks=self.weeks_spin.value()):
                item = QListWidgetItem(f"{day.isoformat()}  {d.WEEKDAY_LABELS[day.weekday()]}")
                item.setData(Qt.ItemDataRole.UserRole, day.isoformat())
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked)
                self.preview.addItem(item)
        self._count()

    def chosen_dates(self) -> list[str]:
        return [
            self.preview.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.preview.count())
            if self.preview.item(i).checkState() == Qt.CheckState.Checked
        ]

    def _count(self) -> None:
        self.count_label.setText(self.tr("共 {} 次课").format(len(self.chosen_dates())))

    def save(self) -> None:
        dates = self.chosen_dates()
        if not dates:
            self.errors.show({"_": self.tr("请选择每周上课的日子")})
            return
        cid, start, end = self.class_id, self.start_time.value(), self.end_time.value()
        self._run_save(lambda s: TrainingService(s).add_sessions(cid, dates, start, end))

    def _saved(self, made: list[str]) -> None:
        self.generated.emit(len(made))
        super()._saved(made)

    def _failed(self, error: Exception) -> None:
        # the schedule's fields are not the rule's (date, times): every message goes below
        self._idle()
        self.errors.show({"_": _error_text(error)})


class SessionDialog(SavingDialog):
    """One session: add (``session`` None) or move (改期) an existing one."""

    def __init__(
        self,
        ctx: UiContext,
        class_id: str,
        session: dict[str, Any] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.class_id = class_id
        self.session = session
        self.setWindowTitle(self.tr("改期") if session else self.tr("添加课次"))
        self.date_edit = DateEdit()
        self.start_time = TimeEdit()
        self.end_time = TimeEdit()
        if session:
            self.date_edit.set_iso(session["date"])
            self.start_time.set_value(session["start_time"])
            self.end_time.set_value(session["end_time"])
        self.photos = AttachmentStrip(ctx, "sessions")  # sign-in sheets, photos (issue 15)
        self._setup_errors()
        form = self._form(
            (
                (self.tr("日期"), self.date_edit, "date"),
                (self.tr("开始时间"), self.start_time, "start_time"),
                (self.tr("结束时间"), self.end_time, "end_time"),
                (self.tr("照片/附件"), self.photos, "attachments"),
            )
        )
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(
            self._buttons(
                self.tr("保存"), history=("sessions", lambda: (self.session or {}).get("id"))
            )
        )
        self.photos.busy_changed.connect(lambda busy: self.save_button.setDisabled(busy))
        self.photos.load(session["id"] if session else None)

    def save(self) -> None:
        if self.photos.busy:
            return
        date, start, end = self.date_edit.iso(), self.start_time.value(), self.end_time.value()
        cid = self.class_id
        edits = self.photos.edits()
        if self.session:
            sid = self.session["id"]

            def write(s):  # noqa: ANN001, ANN202
                TrainingService(s).move_session(sid, date, start, end)
                return sid
        else:

            def write(s):  # noqa: ANN001, ANN202
                return TrainingService(s).add_session(cid, date, start, end)

        self._run_save(lambda s: save_with_attachments(s, "sessions", lambda: write(s), edits))


def _weekday(s: dict[str, Any]) -> str:
    return d.WEEKDAY_LABELS[dt.date.fromisoformat(s["date"]).weekday()]


# (header, cell): the session list
SESSION_COLUMNS: list[tuple[str, Formatter]] = [
    ("日期", lambda s: s["date"]),
    ("星期", _weekday),
    ("时间", lambda s: f"{s['start_time']}–{s['end_time']}".strip("–")),
    ("状态", lambda s: "已取消" if s["cancelled"] else ""),
    ("备注", lambda s: s["notes"]),
]


class SessionsTab(QWidget):
    """The session list of the current class and its actions."""

    status = Signal(str)

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.class_id: str | None = None
        self.class_start = ""
        self.dialog: QDialog | None = None
        self.model = RowsModel(ctx.tasks, SESSION_COLUMNS, self)
        self.generate_button = QPushButton(self.tr("按周生成…"))
        self.add_button = QPushButton(self.tr("添加课次…"))
        self.move_button = QPushButton(self.tr("改期…"))
        self.cancel_button = QPushButton(self.tr("取消/恢复课次"))
        self.delete_button = QPushButton(self.tr("删除"))
        self.print_button = QPushButton(self.tr("打印签到表…"))
        bar = QHBoxLayout()
        for b in (
            self.generate_button,
            self.add_button,
            self.move_button,
            self.cancel_button,
            self.delete_button,
        ):
            bar.addWidget(b)
        bar.addStretch(1)
        bar.addWidget(self.print_button)
        self.table = rows_table(self.model)
        self.table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        self.generate_button.clicked.connect(self.open_schedule)
        self.add_button.clicked.connect(
            lambda: self._open(SessionDialog(self.ctx, self.class_id or "", None, self))
        )
        self.move_button.clicked.connect(self.move)
        self.cancel_button.clicked.connect(self.toggle_cancel)
        self.delete_button.clicked.connect(self.delete)
        self.print_button.clicked.connect(self.print_sheet)
        self.set_class(None)

    def set_class(self, class_id: str | None, *, start: str = "") -> None:
        self.class_id = class_id
        self.class_start = start
        for b in (
            self.generate_button,
            self.add_button,
            self.move_button,
            self.cancel_button,
            self.delete_button,
            self.print_button,
        ):
            enable(b, "" if class_id is not None else self.tr("请先在左侧选择一个培训班"))
        self.reload()

    @property
    def rows(self) -> list[dict[str, Any]]:
        return self.model.rows

    def reload(self) -> None:
        cid = self.class_id
        self.model.reload(lambda s: TrainingService(s).sessions(cid) if cid is not None else [])

    def selected(self) -> dict[str, Any] | None:
        return self.model.row(self.table.currentIndex().row())

    def _open(self, dialog: QDialog) -> None:
        self.dialog = dialog
        dialog.show()

    def open_schedule(self) -> None:
        if self.class_id:
            dlg = ScheduleDialog(self.ctx, self.class_id, self, start=self.class_start)
            dlg.generated.connect(lambda n: self.status.emit(self.tr("已生成 {} 次课").format(n)))
            self._open(dlg)

    def move(self) -> None:
        s = self.selected()
        if s and self.class_id:
            self._open(SessionDialog(self.ctx, self.class_id, s, self))

    def toggle_cancel(self) -> None:
        s = self.selected()
        if s:
            sid, cancel = s["id"], not s["cancelled"]
            self.ctx.tasks.run(
                lambda sv: TrainingService(sv).cancel_session(sid, cancelled=cancel),
                failure=lambda e: self.status.emit(_error_text(e)),
            )

    def delete(self) -> None:
        s = self.selected()
        if (
            s
            and QMessageBox.question(
                self,
                self.tr("删除课次"),
                self.tr(
                    "确定删除 {} 的课次？这次课的签到记录不再计入。只是不上课请用“取消”。"
                ).format(s["date"]),
            )
            == QMessageBox.StandardButton.Yes
        ):
            sid = s["id"]
            self.ctx.tasks.run(
                lambda sv: TrainingService(sv).delete_session(sid),
                failure=lambda e: self.status.emit(_error_text(e)),
            )

    def print_sheet(self) -> None:
        s = self.selected() or next((r for r in reversed(self.rows) if not r["cancelled"]), None)
        if not s:
            self.status.emit(self.tr("请先添加课次"))
            return
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("保存签到表"), f"签到表-{s['date']}.pdf", "PDF (*.pdf)"
        )
        if path:
            self.save_sign_in(path, s["id"], open_after=True)

    def save_sign_in(self, path: str, session_id: str, *, open_after: bool = False) -> None:
        """Write the sign-in sheet; ``open_after`` opens it in the PDF reader, to print."""

        def saved(p: object) -> None:
            self.status.emit(self.tr("已保存签到表：{}").format(p))
            if open_after:
                open_file(str(p))

        self.ctx.tasks.run(
            lambda sv: TrainingExport(sv).write_sign_in_sheet(path, session_id),
            success=saved,
            failure=lambda e: self.status.emit(_error_text(e)),
        )
