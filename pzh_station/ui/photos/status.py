"""照片待上传 N in the status bar, and the photo box of the sync page: the switch "send photos
when online / only when I say", 上传照片, today's bytes, and files the server refused."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from pzh_station.ui.context import UiContext
from pzh_station.ui.photos.agent import PhotoStatus, photo_agent_for


def short_text(widget: QWidget, status: PhotoStatus) -> str:
    tr = widget.tr
    p = status.progress
    if status.sending and p is not None and p.files_total:
        return tr("正在上传照片 {}/{} 张 · {}/{} MB").format(
            p.files_done, p.files_total, _mb(p.bytes_done), _mb(p.bytes_total)
        )
    if status.sending and status.pending:
        return tr("正在上传照片 · 待上传 {} 张").format(status.pending)
    if status.pending:
        text = tr("照片待上传 {} 张").format(status.pending)
        if status.stopped == "budget":
            text += tr("（今日流量已用完）")
        elif status.mode == "manual":
            text += tr("（手动上传）")
        return text
    return tr("照片已全部上传")


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f}"


class PhotoStatusLabel(QLabel):
    """A permanent widget of the status bar."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("photo_status")
        self.agent = photo_agent_for(ctx)
        self.agent.status_changed.connect(self.show_status)
        closed = getattr(parent, "closed", None)
        if closed is not None:
            closed.connect(self.agent.shutdown)
        self.show_status(self.agent.status)

    def show_status(self, status: PhotoStatus) -> None:
        self.setText(short_text(self, status))
        self.setToolTip(status.error or "")


class PhotoPanel(QGroupBox):
    """The photo box of the sync page."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("照片上传"), parent)
        self.agent = photo_agent_for(ctx)
        self.pending_label = QLabel()
        self.today_label = QLabel()
        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)
        self.auto_radio = QRadioButton(self.tr("联网时自动上传照片"))
        self.manual_radio = QRadioButton(self.tr("只在我点“上传照片”时上传（按流量计费的网络）"))
        group = QButtonGroup(self)
        group.addButton(self.auto_radio)
        group.addButton(self.manual_radio)
        self.send_button = QPushButton(self.tr("上传照片"))
        self.retry_button = QPushButton(self.tr("重新尝试被拒的照片"))
        self.stop_button = QPushButton(self.tr("停止上传"))
        self.stop_button.setToolTip(self.tr("发送完当前这一小块后停止；下次从断点继续。"))
        self.bar = QProgressBar()
        self.bar.setFormat("%p%")
        form = self._form = QFormLayout()
        form.addRow(self.tr("状态"), self.pending_label)
        form.addRow(self.tr("进度"), self.bar)
        form.addRow(self.tr("今天已上传"), self.today_label)
        form.addRow(self.tr("问题"), self.problem_label)
        buttons = QHBoxLayout()
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.retry_button)
        buttons.addStretch(1)
        hint = QLabel(
            self.tr(
                "照片与记录分开上传：记录先同步，照片随后分块发送，断网后从断点继续，不会从头重传。"
            )
        )
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.auto_radio)
        layout.addWidget(self.manual_radio)
        layout.addLayout(buttons)
        layout.addWidget(hint)
        self.auto_radio.toggled.connect(self._mode_toggled)
        self.send_button.clicked.connect(self.agent.send_now)
        self.retry_button.clicked.connect(self.agent.retry_refused)
        self.stop_button.clicked.connect(self.agent.stop_sending)
        self.agent.status_changed.connect(self.show_status)
        self.show_status(self.agent.status)

    def _mode_toggled(self, auto: bool) -> None:
        mode = "auto" if auto else "manual"
        if mode != self.agent.status.mode:
            self.agent.set_mode(mode)

    def show_status(self, status: PhotoStatus) -> None:
        self.pending_label.setText(short_text(self, status))
        today = f"{status.sent_today / 1024 / 1024:.1f} MB"
        if status.day_budget:
            today += self.tr("（每天上限 {} MB，由市里设定）").format(
                f"{status.day_budget / 1024 / 1024:g}"
            )
        self.today_label.setText(today)
        problems = list(status.refused)
        if status.error:
            problems.insert(0, status.error)
        self.problem_label.setText("\n".join(problems) or self.tr("无"))
        self.problem_label.setStyleSheet("color: #c62828" if problems else "")
        self.retry_button.setVisible(bool(status.refused))
        (self.auto_radio if status.mode == "auto" else self.manual_radio).setChecked(True)
        self.send_button.setEnabled(not status.sending and status.pending > 0)
        self.stop_button.setVisible(status.sending)
        p = status.progress if status.sending else None
        self._form.setRowVisible(self.bar, p is not None)
        if p is not None:  # in KB: a QProgressBar counts in int
            self.bar.setRange(0, max(1, p.bytes_total // 1024))
            self.bar.setValue(p.bytes_done // 1024)
