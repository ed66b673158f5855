"""The sync state in the main window's status bar: online/offline, last successful sync,
changes waiting, the last error (in Chinese, with what to do) and "立即同步"."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from pzh_station.ui.context import UiContext
from pzh_station.ui.sync_page.agent import SyncStatus, agent_for

COLOURS = {
    "online": "#2e7d32",
    "syncing": "#1565c0",
    "offline": "#9e9e9e",
    "error": "#c62828",
    "stopped": "#c62828",
    "unenrolled": "#9e9e9e",
    "starting": "#9e9e9e",
}


def local_time(iso: str) -> str:
    """``2026-11-28T10:32:00+00:00`` → ``今天 18:32`` / ``11-27 18:32`` in local time."""
    if not iso:
        return ""
    try:
        when = dt.datetime.fromisoformat(iso).astimezone()
    except ValueError:
        return iso
    today = dt.datetime.now().astimezone().date()
    if when.date() == today:
        return "今天 " + when.strftime("%H:%M")
    if (today - when.date()).days == 1:
        return "昨天 " + when.strftime("%H:%M")
    return when.strftime("%Y-%m-%d %H:%M")


def describe(widget: QWidget, status: SyncStatus) -> tuple[str, str]:
    """(short text for the status bar, longer text for the tooltip / sync page)."""
    tr = widget.tr
    st = status.state
    phase = status.phase
    last = local_time(st.last_success)
    waiting = tr("待上传 {} 条").format(st.pending)
    if phase == "starting":
        return tr("同步：正在读取状态…"), ""
    if phase == "unenrolled":
        return tr("未注册同步"), tr(
            "本机尚未注册到市同步服务器，数据只保存在本机。请在“同步”页用注册码注册。"
        )
    if phase == "syncing":
        progress = status.progress.text() if status.progress else ""
        if progress:
            return tr("正在同步：") + progress, tr("正在与市同步服务器同步：") + progress
        return tr("正在同步…") + " · " + waiting, tr("正在与市同步服务器同步。")
    head = {
        "online": tr("已联网"),
        "offline": tr("离线"),
        "error": tr("同步出错"),
        "stopped": tr("同步已停止"),
    }.get(phase, phase)
    if phase == "online" and st.verified:
        head += " · " + tr("同步完成")
    parts = [head, waiting, tr("上次成功：{}").format(last or tr("从未"))]
    if st.set_aside:
        parts.append(tr("{} 条修改未被接受").format(st.set_aside))
    detail = status.error or st.last_error
    long = "\n".join(parts)
    if phase in ("offline", "error", "stopped") and detail:
        long += "\n" + detail
    if status.next_attempt_s and phase in ("offline", "error"):
        long += "\n" + tr("约 {} 秒后自动重试。").format(int(status.next_attempt_s))
    return " · ".join(parts), long


class SyncStatusWidget(QWidget):
    """A permanent widget of the status bar."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.agent = agent_for(ctx)
        self.dot = QLabel("●")
        self.label = QLabel()
        self.error_label = QLabel()
        self.error_label.setStyleSheet("color: #c62828")
        self.error_label.setMaximumWidth(420)
        self.now_button = QPushButton(self.tr("立即同步"))
        self.now_button.setFlat(True)
        self.bar = QProgressBar()  # a running sync: rows of the total (busy until it is known)
        self.bar.setFixedWidth(110)
        self.bar.setMaximumHeight(14)
        self.bar.setTextVisible(False)
        self.bar.hide()
        self.cancel_button = QPushButton(self.tr("取消"))
        self.cancel_button.setFlat(True)
        self.cancel_button.setToolTip(self.tr("停止这次同步；已传送的部分已保存，其余的下次继续"))
        self.cancel_button.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(self.dot)
        layout.addWidget(self.label)
        layout.addWidget(self.error_label)
        layout.addWidget(self.bar)
        layout.addWidget(self.now_button)
        layout.addWidget(self.cancel_button)
        self.now_button.clicked.connect(self.agent.sync_now)
        self.cancel_button.clicked.connect(self.agent.cancel_sync)
        self.agent.status_changed.connect(self.show_status)
        closed = getattr(parent, "closed", None)
        if closed is not None:
            closed.connect(self.agent.shutdown)
        self.show_status(self.agent.status)

    def show_status(self, status: SyncStatus) -> None:
        short, long = describe(self, status)
        self.label.setText(short)
        self.setToolTip(long)
        self.dot.setStyleSheet(f"color: {COLOURS.get(status.phase, '#9e9e9e')}")
        error = status.error if status.phase in ("offline", "error", "stopped") else ""
        metrics = self.error_label.fontMetrics()
        self.error_label.setText(metrics.elidedText(error, Qt.TextElideMode.ElideRight, 400))
        self.error_label.setToolTip(error)
        self.now_button.setEnabled(status.phase not in ("syncing", "unenrolled", "starting"))
        self._show_progress(status)

    def _show_progress(self, status: SyncStatus) -> None:
        syncing = status.phase == "syncing"
        part = status.progress.fraction() if syncing and status.progress else None
        if part is None:
            self.bar.setRange(0, 0)  # busy: the total is not known (yet)
        else:
            self.bar.setRange(0, 1000)
            self.bar.setValue(round(part * 1000))
        self.bar.setVisible(syncing)
        self.now_button.setVisible(not syncing)
        self.cancel_button.setVisible(syncing and status.progress is not None)
