"""The USB bundle box of the sync page (issue 15): 导出同步包…, 导入回执包…, 用登记文件登记本机….
Each runs on the database thread (``sync_client.bundle``); the result or the Chinese refusal is
shown in the box. After an import the views refresh (rows may have come from other PCs)."""

from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pzh_core import bundle
from pzh_station.sync_client import bundle as usb
from pzh_station.ui.context import UiContext

FILTER = "同步包 (*.pzhbundle)"


class BundleBox(QGroupBox):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("U盘同步包（没有网络时）"), parent)
        self.ctx = ctx
        self.export_button = QPushButton(self.tr("导出同步包…"))
        self.import_button = QPushButton(self.tr("导入回执包…"))
        self.enroll_button = QPushButton(self.tr("用登记文件登记本机…"))
        self.result_label = QLabel()
        self.result_label.setObjectName("bundle_result")
        self.result_label.setWordWrap(True)
        hint = QLabel(
            self.tr(
                "没有网络时：导出同步包到U盘，交县（区）文化馆在市平台导入；再把回执包带回本机导入。"
                "与联网同步可以随意交替，不会重复。"
            )
        )
        hint.setWordWrap(True)
        row = QHBoxLayout()
        for b in (self.export_button, self.import_button, self.enroll_button):
            row.addWidget(b)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.result_label)
        layout.addWidget(hint)
        self.export_button.clicked.connect(self.pick_export)
        self.import_button.clicked.connect(self.pick_import)
        self.enroll_button.clicked.connect(self.pick_enroll)

    # -- pickers (tests call the actions directly) ------------------------------------------
    def pick_export(self) -> None:
        name = f"同步包-{dt.date.today():%Y%m%d}{bundle.SUFFIX}"
        path, _ = QFileDialog.getSaveFileName(self, self.tr("导出同步包"), name, FILTER)
        if path:
            self.export_to(path)

    def pick_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("导入回执包"), "", FILTER)
        if path:
            self.import_from(path)

    def pick_enroll(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("选择登记文件"), "", self.tr("登记文件 (*.json)")
        )
        if path:
            self.enroll_from(path)

    # -- actions -----------------------------------------------------------------------------
    def export_to(self, path: str) -> None:
        self._run(
            lambda s: usb.export(s.store, path),
            lambda r: self.tr(
                "已导出：{} 条修改，{} 个照片文件（{} KB）。请把文件交县（区）文化馆。"
            ).format(r.changes, r.photos, r.size // 1024),
        )

    def import_from(self, path: str) -> None:
        self._run(
            lambda s: usb.import_answer(s.store, path),
            lambda r: self.tr("已导入回执：{} 条本站修改，{} 个照片已到达市服务器。").format(
                r.changes, r.photos_done
            ),
        )

    def enroll_from(self, path: str) -> None:
        self._run(
            lambda s: usb.enroll_from_file(s.store, path),
            lambda name: self.tr(
                "本机属于 {}。请导出同步包交县（区）文化馆导入，完成登记。"
            ).format(name),
        )

    def _run(self, fn, text) -> None:  # noqa: ANN001
        self.result_label.setStyleSheet("")
        self.result_label.setText(self.tr("正在处理…"))
        self.ctx.tasks.run(
            fn, success=lambda r: self._done(text(r)), failure=self._failed, initiator=self
        )

    def _done(self, text: str) -> None:
        self.result_label.setStyleSheet("color: #2e7d32")
        self.result_label.setText(text)

    def _failed(self, error: Exception) -> None:
        self.result_label.setStyleSheet("color: #c62828")
        self.result_label.setText(getattr(error, "message", "") or str(error))
