"""The sync page (同步): where this PC stands with the city server, "立即同步", and enrollment."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pzh_station.services.sync_status import SetAsideItem, SyncStatusService
from pzh_station.store.changed import Changes
from pzh_station.sync_client import EnrollResult
from pzh_station.ui.context import UiContext
from pzh_station.ui.sync_page.agent import SyncStatus, agent_for
from pzh_station.ui.sync_page.enroll_dialog import EnrollDialog
from pzh_station.ui.sync_page.status import describe, local_time

PHASES = {
    "starting": "正在读取同步状态",
    "unenrolled": "未注册：数据只保存在本机",
    "syncing": "正在同步",
    "online": "已联网：上次同步成功",
    "offline": "离线：连不上服务器，修改保存在本机，联网后自动上传",
    "error": "出错：服务器没有接受这次同步，会自动重试",
    "stopped": "已停止：需要处理下面的问题后才能继续同步",
}


class SyncPage(QWidget):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.agent = agent_for(ctx)
        self.dialog: EnrollDialog | None = None
        # What the last enrollment or sync changed about this PC (profile adopted, new identity).
        self.notice_label = QLabel()
        self.notice_label.setWordWrap(True)
        self.notice_label.setStyleSheet("color: #1565c0")
        self.notice_label.hide()
        help_text = QLabel(
            self.tr(
                "本机的每一次修改都先保存在本机，联网时自动上传到市同步服务器，并取回本站其他电脑的修改。"
                "网络断开不会丢失任何数据。待上传的修改为 0 表示本机的记录都已到达服务器。"
            )
        )
        help_text.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self._build_status())
        layout.addLayout(self._build_buttons())
        layout.addWidget(self.notice_label)
        layout.addWidget(self._build_set_aside())
        layout.addWidget(help_text)
        from pzh_station.ui.photos.status import PhotoPanel

        self.photo_panel = PhotoPanel(ctx, self)  # photos go apart from the records (issue 15)
        layout.addWidget(self.photo_panel)
        from pzh_station.ui.photos.bundle_box import BundleBox

        self.bundle_box = BundleBox(ctx, self)  # USB bundles where there is no network
        layout.addWidget(self.bundle_box)
        layout.addStretch(1)
        ctx.tasks.changed.connect(self._changed)
        self.load_set_aside()
        self.agent.status_changed.connect(self.show_status)
        self.agent.enrolled.connect(self._enrolled)
        self.show_status(self.agent.status)

    def _build_status(self) -> QGroupBox:
        """同步状态: state, server, this PC, last success, check, pending, next, problem."""
        self.phase_label = QLabel()
        self.server_label = QLabel()
        self.station_label = QLabel()
        self.last_label = QLabel()
        self.pending_label = QLabel()
        self.next_label = QLabel()
        self.error_label = QLabel()
        self.check_label = QLabel()
        for label in (self.error_label, self.check_label, self.server_label, self.station_label):
            label.setWordWrap(True)
        box = QGroupBox(self.tr("同步状态"))
        form = QFormLayout(box)
        form.addRow(self.tr("状态"), self.phase_label)
        form.addRow(self.tr("服务器"), self.server_label)
        form.addRow(self.tr("本机编号"), self.station_label)
        form.addRow(self.tr("上次成功同步"), self.last_label)
        form.addRow(self.tr("与服务器核对"), self.check_label)
        form.addRow(self.tr("待上传的修改"), self.pending_label)
        form.addRow(self.tr("下次自动同步"), self.next_label)
        form.addRow(self.tr("问题"), self.error_label)
        return box

    def _build_buttons(self) -> QHBoxLayout:
        self.sync_button = QPushButton(self.tr("立即同步"))
        self.enroll_button = QPushButton(self.tr("注册本机…"))
        buttons = QHBoxLayout()
        buttons.addWidget(self.sync_button)
        buttons.addWidget(self.enroll_button)
        buttons.addStretch(1)
        self.sync_button.clicked.connect(self.agent.sync_now)
        self.enroll_button.clicked.connect(self.open_enroll)
        return buttons

    def _build_set_aside(self) -> QGroupBox:
        """Changes the city server did not accept (set aside): what, why, what to do; hidden
        while there are none."""
        self.set_aside_box = QGroupBox(self.tr("未被市服务器接受的修改"))
        self.set_aside_label = QLabel()
        self.set_aside_label.setWordWrap(True)
        self.set_aside_list = QListWidget()
        self.set_aside_list.setWordWrap(True)
        self.dismiss_button = QPushButton(self.tr("忽略选中的一条"))
        aside = QVBoxLayout(self.set_aside_box)
        aside.addWidget(self.set_aside_label)
        aside.addWidget(self.set_aside_list)
        aside.addWidget(self.dismiss_button, alignment=Qt.AlignmentFlag.AlignLeft)
        self.set_aside_box.hide()
        self.dismiss_button.clicked.connect(self.dismiss_selected)
        return self.set_aside_box

    def show_status(self, status: SyncStatus) -> None:
        st = status.state
        self.phase_label.setText(self.tr(PHASES.get(status.phase, status.phase)))
        self.server_label.setText(st.server_url or self.tr("（未注册）"))
        self.station_label.setText(st.device_id or "-")
        self.last_label.setText(local_time(st.last_success) or self.tr("从未"))
        self.pending_label.setText(self.tr("{} 条").format(st.pending))
        if st.verified:
            self.check_label.setText(self.tr("同步完成：本机数据与服务器一致"))
        elif st.digest_differs:
            self.check_label.setText(
                self.tr("未能确认一致（不一致的表：{}），下次同步会再核对").format(
                    st.digest_differs
                )
            )
        else:
            self.check_label.setText(self.tr("尚未核对"))
        if status.next_attempt_s and status.phase not in ("syncing", "stopped", "unenrolled"):
            self.next_label.setText(self.tr("约 {} 秒后").format(int(status.next_attempt_s)))
        else:
            self.next_label.setText("-")
        error = status.error if status.phase in ("offline", "error", "stopped") else ""
        self.error_label.setText(error or self.tr("无"))
        self.error_label.setStyleSheet("color: #c62828" if error else "")  # red only for a problem
        self.sync_button.setEnabled(status.phase not in ("syncing", "unenrolled", "starting"))
        self.enroll_button.setText(
            self.tr("重新注册本机…") if st.enrolled else self.tr("注册本机…")
        )
        self.setToolTip(describe(self, status)[1])
        result = status.last_result
        if result is not None and result.rekeyed_from:
            self._notice(
                self.tr(
                    "本机的数据文件与上次同步时的不是同一份（从备份恢复过，或复制了数据文件夹）："
                    "已换用新的设备身份，并从服务器取回了全部数据。"
                )
            )

    def _enrolled(self, result: EnrollResult) -> None:
        labels = {"name": self.tr("文化站名称"), "county": self.tr("所属县（区）")}
        lines = [
            self.tr("本机填写的{}“{}”与服务器上的不同，已采用服务器上的“{}”。").format(
                labels.get(key, key), mine, theirs
            )
            for key, (mine, theirs) in result.adopted.items()
        ]
        if lines:
            self._notice("\n".join(lines) + self.tr("如需更改，请在“设置”中修改。"))

    def _notice(self, text: str) -> None:
        self.notice_label.setText(text)
        self.notice_label.show()

    # -- set-aside changes ---------------------------------------------------------------
    def load_set_aside(self) -> None:
        self.ctx.tasks.run(lambda s: SyncStatusService(s).set_aside(), success=self._show_set_aside)

    def _show_set_aside(self, items: list[SetAsideItem]) -> None:
        self.set_aside_list.clear()
        for item in items:
            row = QListWidgetItem(item.text)
            row.setData(Qt.ItemDataRole.UserRole, item.id)
            self.set_aside_list.addItem(row)
        self.set_aside_label.setText(
            self.tr("有 {} 条修改未被市服务器接受。其他修改照常同步。").format(len(items))
        )
        self.set_aside_box.setVisible(bool(items))

    def dismiss_selected(self) -> None:
        row = self.set_aside_list.currentItem()
        if row is not None:
            item_id = int(row.data(Qt.ItemDataRole.UserRole))
            self.ctx.tasks.run(lambda s: SyncStatusService(s).dismiss(item_id))

    def _changed(self, changes: Changes) -> None:
        if "sync" in changes:
            self.load_set_aside()

    def open_enroll(self) -> EnrollDialog:
        self.dialog = EnrollDialog(self.ctx, self, agent=self.agent)
        self.dialog.open()
        return self.dialog
