"""The attachments of one record in its form: thumbnails, 添加照片… (file picker) or drag and
drop, 查看 (the viewer), 移除. Changes apply when the form is saved (:meth:`edits`), in the same
job as the record; cancelling the form leaves everything as it was.

Picked files are taken in on the database thread (Pillow reduces them there), one job for all
the files dropped at once; a file that is refused (too big, not a photo, corrupt) is named in the
message line under the strip, the others are added.
"""

from __future__ import annotations

from pathlib import Path

import shiboken6
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QIcon, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pzh_core import photos
from pzh_core.photos import Attachment, PhotoError
from pzh_station.services.photos import AttachmentEdits, PhotoService
from pzh_station.ui.context import UiContext
from pzh_station.ui.photos.viewer import PhotoViewer, pdf_icon
from pzh_station.ui.widgets.field_errors import FieldErrorLabel

ICON = QSize(96, 96)
ROLE = Qt.ItemDataRole.UserRole


def take_in_all(s, paths: list[str]) -> tuple[list[tuple[Attachment, bytes]], list[str]]:
    """On the database thread: take in every file; refused ones become messages."""
    svc = PhotoService(s)
    added, refused = [], []
    for p in paths:
        try:
            att = svc.take_in(p)
        except PhotoError as exc:
            refused.append(exc.message)
            continue
        added.append((att, svc.read(att.thumb) or b"" if att.thumb else b""))
    return added, refused


def load_existing(s, owner_table: str, owner_id: str) -> list[tuple[Attachment, bytes]]:
    svc = PhotoService(s)
    atts = svc.rows(owner_table, owner_id)
    thumbs = svc.thumbnails([a.thumb for a in atts if a.thumb])
    return [(a, thumbs.get(a.thumb, b"")) for a in atts]


class AttachmentStrip(QWidget):
    """Thumbnails of a record's attachments, with add, view and remove."""

    changed = Signal()
    busy_changed = Signal(bool)

    def __init__(self, ctx: UiContext, owner_table: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.owner_table = owner_table
        self.owner_id: str | None = None
        self._added: list[Attachment] = []
        self._removed: list[str] = []
        self._jobs = 0
        self.setAcceptDrops(True)

        self.list = QListWidget()
        self.list.setObjectName("attachment_list")
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setIconSize(ICON)
        self.list.setGridSize(QSize(ICON.width() + 16, ICON.height() + 28))
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setMovement(QListWidget.Movement.Static)
        self.list.setWordWrap(False)
        self.list.setFixedHeight(ICON.height() + 44)
        self.list.setAcceptDrops(False)  # drops land on the strip
        self.list.itemDoubleClicked.connect(self._view)
        self.list.itemSelectionChanged.connect(self._update_buttons)

        self.add_button = QPushButton(self.tr("添加照片…"))
        self.view_button = QPushButton(self.tr("查看"))
        self.remove_button = QPushButton(self.tr("移除"))
        self.add_button.clicked.connect(self.pick)
        self.view_button.clicked.connect(lambda: self._view(self.list.currentItem()))
        self.remove_button.clicked.connect(self.remove_selected)
        self.hint = FieldErrorLabel(reserve=False)  # refusals wrap: each says what to do
        self.hint.setObjectName("attachment_message")

        buttons = QHBoxLayout()
        for b in (self.add_button, self.view_button, self.remove_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        layout.addWidget(self.hint)
        self.list.setToolTip(self.tr("可把照片或扫描件（JPG、PNG、PDF）拖到这里"))
        self._update_buttons()

    # -- loading -------------------------------------------------------------------------
    def load(self, owner_id: str | None) -> None:
        self.owner_id = owner_id
        if owner_id:
            self._job(lambda s: load_existing(s, self.owner_table, owner_id), self._show_existing)

    def _show_existing(self, items: list[tuple[Attachment, bytes]]) -> None:
        for att, thumb in items:
            self._add_item(att, thumb)

    def _add_item(self, att: Attachment, thumb: bytes) -> None:
        item = QListWidgetItem(self._icon(att, thumb), _short(att.name))
        item.setData(ROLE, att)
        item.setToolTip(f"{att.name}\n{att.size / 1024:.0f} KB")
        self.list.addItem(item)
        self._update_buttons()

    def _icon(self, att: Attachment, thumb: bytes) -> QIcon:
        if att.kind == "pdf":
            return pdf_icon(ICON)
        pix = QPixmap()
        if thumb and pix.loadFromData(thumb):
            return QIcon(pix)
        placeholder = QPixmap(ICON)
        placeholder.fill(Qt.GlobalColor.lightGray)  # not fetched from the server yet
        return QIcon(placeholder)

    # -- adding --------------------------------------------------------------------------
    def pick(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self, self.tr("选择照片或扫描件"), "", photos.PICK_FILTER
        )
        if files:
            self.add_files(files)

    def add_files(self, paths: list[str]) -> None:
        self.hint.set_message(self.tr("正在处理 {} 个文件…").format(len(paths)))
        self._job(lambda s: take_in_all(s, paths), self._taken_in)

    def _taken_in(self, result: tuple[list[tuple[Attachment, bytes]], list[str]]) -> None:
        added, refused = result
        for att, thumb in added:
            self._added.append(att)
            self._add_item(att, thumb)
        self.hint.set_message("\n".join(refused))
        if added:
            self.changed.emit()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt API
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt API
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.add_files(paths)

    # -- viewing and removing ------------------------------------------------------------
    def _view(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        atts = [self.list.item(i).data(ROLE) for i in range(self.list.count())]
        viewer = PhotoViewer(self.ctx, atts, self.list.row(item), self)
        viewer.open()

    def remove_selected(self) -> None:
        for item in self.list.selectedItems():
            att: Attachment = item.data(ROLE)
            if att.id:
                self._removed.append(att.id)
            else:
                self._added = [a for a in self._added if a is not att]
            self.list.takeItem(self.list.row(item))
        self.hint.set_message("")
        self._update_buttons()
        self.changed.emit()

    def _update_buttons(self) -> None:
        has = bool(self.list.selectedItems())
        self.view_button.setEnabled(has)
        self.remove_button.setEnabled(has)

    # -- the form's side -----------------------------------------------------------------
    def edits(self) -> AttachmentEdits:
        return AttachmentEdits(added=list(self._added), removed=list(self._removed))

    @property
    def busy(self) -> bool:
        return self._jobs > 0

    def attachments(self) -> list[Attachment]:
        return [self.list.item(i).data(ROLE) for i in range(self.list.count())]

    def _job(self, fn, success) -> None:
        self._jobs += 1
        self.busy_changed.emit(True)

        def done(result):
            if not shiboken6.isValid(self):
                return  # the form was closed while the job ran
            self._jobs -= 1
            self.busy_changed.emit(self.busy)
            success(result)

        def failed(error: Exception):
            if not shiboken6.isValid(self):
                return
            self._jobs -= 1
            self.busy_changed.emit(self.busy)
            self.hint.set_message(getattr(error, "message", str(error)))

        self.ctx.tasks.run(fn, success=done, failure=failed)


def _short(name: str, limit: int = 12) -> str:
    stem = Path(name).name
    return stem if len(stem) <= limit else stem[: limit - 1] + "…"
