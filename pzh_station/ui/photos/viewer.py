"""The viewer of a record's attachments: one photo at a time, fitted to the window, with
previous/next; a PDF scan opens in the system's PDF reader. A photo this PC does not have yet
(attached on another PC, not fetched) says so instead of showing an empty window."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QSize, Qt, QUrl
from PySide6.QtGui import QColor, QDesktopServices, QIcon, QPainter, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from pzh_core.photos import Attachment
from pzh_station.services.photos import PhotoService
from pzh_station.ui.context import UiContext


def pdf_icon(size: QSize) -> QIcon:
    """A plain page with "PDF" on it, for scans (no PDF renderer needed)."""
    pix = QPixmap(size)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setBrush(QColor("#ffffff"))
    p.setPen(QColor("#888888"))
    w, h = size.width(), size.height()
    p.drawRect(int(w * 0.18), 2, int(w * 0.64), h - 5)
    p.setPen(QColor("#c0392b"))
    font = p.font()
    font.setBold(True)
    font.setPointSize(max(8, h // 8))
    p.setFont(font)
    p.drawText(pix.rect(), Qt.AlignmentFlag.AlignCenter, "PDF")
    p.end()
    return QIcon(pix)


class PhotoViewer(QDialog):
    def __init__(
        self, ctx: UiContext, items: list[Attachment], index: int, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.items = items
        self.index = index
        self.pixmap: QPixmap | None = None
        self.setWindowTitle(self.tr("查看附件"))
        self.image = QLabel()
        self.image.setObjectName("viewer_image")
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.image.setMinimumSize(320, 240)
        self.caption = QLabel()
        self.caption.setObjectName("viewer_caption")
        self.prev_button = QPushButton(self.tr("上一张"))
        self.next_button = QPushButton(self.tr("下一张"))
        self.open_button = QPushButton(self.tr("用系统程序打开"))
        self.fetch_button = QPushButton(self.tr("从市服务器取回"))
        self.fetch_button.setVisible(False)
        self.fetch_button.clicked.connect(self.fetch)
        self.prev_button.clicked.connect(lambda: self.show_index(self.index - 1))
        self.next_button.clicked.connect(lambda: self.show_index(self.index + 1))
        self.open_button.clicked.connect(self.open_external)
        close = QDialogButtonBox()
        close.addButton(self.tr("关闭"), QDialogButtonBox.ButtonRole.RejectRole)
        close.rejected.connect(self.reject)
        row = QHBoxLayout()
        for b in (self.prev_button, self.next_button, self.open_button, self.fetch_button):
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.image, 1)
        layout.addWidget(self.caption)
        layout.addLayout(row)
        self.resize(960, 680)
        self.show_index(index)

    def show_index(self, index: int) -> None:
        if not self.items:
            return
        self.index = max(0, min(index, len(self.items) - 1))
        att = self.items[self.index]
        self.prev_button.setEnabled(self.index > 0)
        self.next_button.setEnabled(self.index < len(self.items) - 1)
        self.caption.setText(
            f"{self.index + 1}/{len(self.items)}  {att.name}  ({att.size / 1024:.0f} KB)"
        )
        self.pixmap = None
        self.fetch_button.setVisible(False)
        if att.kind == "pdf":
            self.image.setPixmap(pdf_icon(QSize(160, 200)).pixmap(QSize(160, 200)))
            return
        self.image.setText(self.tr("正在读取…"))
        self.ctx.tasks.run(
            lambda s: PhotoService(s).read(att.hash), success=lambda data: self._show(att, data)
        )

    def _show(self, att: Attachment, data: bytes | None) -> None:
        if not shiboken6.isValid(self) or self.items[self.index] is not att:
            return
        pix = QPixmap()
        if data is None or not pix.loadFromData(data):
            self.image.setText(
                self.tr("本机还没有这张照片：它在另一台电脑上添加，尚未从市服务器取回。")
            )
            self.fetch_button.setVisible(True)
            return
        self.pixmap = pix
        self._fit()

    def _fit(self) -> None:
        if self.pixmap is not None:
            self.image.setPixmap(
                self.pixmap.scaled(
                    self.image.size(),
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._fit()

    def fetch(self) -> None:
        """Fetch the photo on demand (the photo agent's thread), then show it."""
        from pzh_station.ui.photos.agent import photo_agent_for

        att = self.items[self.index]
        agent = photo_agent_for(self.ctx)
        agent.fetched.connect(self._fetched)
        self.fetch_button.setEnabled(False)
        self.image.setText(self.tr("正在从市服务器取回…"))
        agent.fetch(att.hash)

    def _fetched(self, hash_: str, ok: bool) -> None:
        if not shiboken6.isValid(self) or self.items[self.index].hash != hash_:
            return
        self.fetch_button.setEnabled(True)
        if ok:
            self.show_index(self.index)
        else:
            self.image.setText(self.tr("暂时取不回这张照片（未联网，或添加它的电脑还没有上传）。"))

    def open_external(self) -> None:
        att = self.items[self.index]
        self.ctx.tasks.run(
            lambda s: PhotoService(s).file_path(att.hash),
            success=lambda path: path and QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))),
        )
