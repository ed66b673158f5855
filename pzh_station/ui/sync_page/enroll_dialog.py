"""注册本机: the server address and the one-time code; enrollment runs on the sync thread."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from pzh_station.sync_client import EnrollResult, SyncError
from pzh_station.sync_client.config import SyncSettings
from pzh_station.ui.context import UiContext
from pzh_station.ui.sync_page.agent import SyncAgent, agent_for


class EnrollDialog(QDialog):
    """Preset from the settings ``server_url`` / ``enrollment_code`` (the installer writes them)."""

    def __init__(
        self, ctx: UiContext, parent: QWidget | None = None, *, agent: SyncAgent | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.agent = agent or agent_for(ctx)
        self.result_info: EnrollResult | None = None
        self.setWindowTitle(self.tr("注册本机到市同步服务器"))
        conf = SyncSettings.load(ctx.data_dir)
        intro = QLabel(
            self.tr(
                "请输入市同步服务器的地址和管理员发放的注册码（一次性使用）。\n"
                "新电脑会从服务器取得文化站信息；已经离线使用过的电脑，之前记录的数据会全部保留并上传。"
            )
        )
        intro.setWordWrap(True)
        self.server_edit = QLineEdit(conf.server_url)
        self.server_edit.setPlaceholderText("https://sync.example.cn")
        self.code_edit = QLineEdit(conf.enrollment_code)
        self.code_edit.setPlaceholderText(self.tr("如 7KQ4-M2XP"))
        self.server_error = QLabel()
        self.code_error = QLabel()
        for label in (self.server_error, self.code_error):
            label.setStyleSheet("color: #c62828")
            label.setWordWrap(True)
            label.hide()
        form = QFormLayout()
        form.addRow(self.tr("服务器地址"), self.server_edit)
        form.addRow("", self.server_error)
        form.addRow(self.tr("注册码"), self.code_edit)
        form.addRow("", self.code_error)
        self.message = QLabel()
        self.message.setWordWrap(True)
        buttons = QDialogButtonBox()
        self.ok_button = buttons.addButton(self.tr("注册"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = buttons.addButton(
            self.tr("取消"), QDialogButtonBox.ButtonRole.RejectRole
        )
        self.ok_button.clicked.connect(self.submit)
        self.cancel_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.resize(520, 300)
        self.agent.enrolled.connect(self._enrolled)
        self.agent.enroll_failed.connect(self._failed)

    def _show(self, label: QLabel, text: str) -> None:
        label.setText(text)
        label.setVisible(bool(text))

    def submit(self) -> None:
        self._show(self.server_error, "")
        self._show(self.code_error, "")
        server, code = self.server_edit.text().strip(), self.code_edit.text().strip()
        if not server:
            self._show(self.server_error, self.tr("请填写服务器地址"))
        if not code:
            self._show(self.code_error, self.tr("请填写注册码"))
        if not server or not code:
            return
        self.ok_button.setEnabled(False)
        self.message.setText(self.tr("正在注册，请稍候…"))
        self.agent.enroll(server, code)

    def _enrolled(self, result: EnrollResult) -> None:
        self.result_info = result
        self.ok_button.setEnabled(True)
        self.message.setText(
            self.tr("注册成功：本机已加入 {}。").format(result.station_name or result.station_id)
        )
        self.accept()

    def _failed(self, error: Exception) -> None:
        self.ok_button.setEnabled(True)
        self.message.setText("")
        text = getattr(error, "message", "") or str(error)
        kind = getattr(error, "kind", "")
        if isinstance(error, SyncError) and kind == "bad_code":
            self._show(self.code_error, text)
        elif kind in ("bad_url", "offline", "tls", "ca_missing", "timeout", "bad_response"):
            self._show(self.server_error, text)
        else:
            self.message.setText(text)

    def done(self, result: int) -> None:  # noqa: D401 - Qt override
        try:
            self.agent.enrolled.disconnect(self._enrolled)
            self.agent.enroll_failed.disconnect(self._failed)
        except (RuntimeError, TypeError):
            pass
        super().done(result)
