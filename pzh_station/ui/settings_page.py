"""Settings (设置): the station profile (incl. amateur teams, full-time staff and the staff who
enter records), and backups (back up now, the list of backups)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from pzh_core.domain.errors import ValidationError
from pzh_station.services import maintenance
from pzh_station.services.station import StationProfile, StationService
from pzh_station.store import StoreError
from pzh_station.ui.context import UiContext
from pzh_station.ui.restore_dialog import describe_backup
from pzh_station.ui.station_form import StationForm


class SettingsPage(QWidget):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.profile: StationProfile | None = None

        self.form = StationForm(full=True)
        self.save_button = QPushButton(self.tr("保存文化站信息"))
        self.saved_label = QLabel()
        profile_box = QGroupBox(self.tr("文化站信息"))
        profile_layout = QVBoxLayout(profile_box)
        profile_layout.addWidget(self.form)
        row = QHBoxLayout()
        row.addWidget(self.save_button)
        row.addWidget(self.saved_label, 1)
        profile_layout.addLayout(row)

        self.backup_button = QPushButton(self.tr("立即备份"))
        self.backup_label = QLabel()
        self.backup_label.setWordWrap(True)
        self.backup_list = QListWidget()
        self.backup_list.setMaximumHeight(160)
        where = QLabel(
            self.tr(
                "数据文件夹：{}\n备份会自动进行（每天一次，保留最近14份）。从备份恢复：关闭程序后运行"
                "“pzh-station restore 备份文件”，或在数据文件损坏时按启动时的提示操作。"
            ).format(ctx.data_dir)
        )
        where.setWordWrap(True)
        backup_box = QGroupBox(self.tr("数据备份"))
        backup_layout = QVBoxLayout(backup_box)
        row = QHBoxLayout()
        row.addWidget(self.backup_button)
        row.addWidget(self.backup_label, 1)
        backup_layout.addLayout(row)
        backup_layout.addWidget(QLabel(self.tr("已有备份（最新的在最上面）：")))
        backup_layout.addWidget(self.backup_list)
        backup_layout.addWidget(where)

        inner = QWidget()
        column = QVBoxLayout(inner)
        column.addWidget(profile_box)
        column.addWidget(backup_box)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)

        self.save_button.clicked.connect(self.save_profile)
        self.backup_button.clicked.connect(self.backup_now)
        self.load()

    def load(self) -> None:
        self.ctx.tasks.run(lambda s: StationService(s).profile(), success=self._profile_loaded)
        self.load_backups()

    def load_backups(self) -> None:
        self.ctx.tasks.run(
            lambda s: maintenance.list_backups(s.data_dir), success=self._backups_loaded
        )

    def _profile_loaded(self, profile: StationProfile | None) -> None:
        self.profile = profile
        if profile is not None:
            self.form.set_profile(profile)

    def _backups_loaded(self, backups: list[Path]) -> None:
        self.backup_list.clear()
        self.backup_list.addItems([describe_backup(p) for p in backups])

    def save_profile(self) -> None:
        self.form.errors.clear()
        self.saved_label.clear()
        profile = self.form.profile(self.profile)
        self.ctx.tasks.run(
            lambda s: StationService(s).save_profile(profile),
            success=self._saved,
            failure=self._save_failed,
        )

    def _saved(self, profile: StationProfile) -> None:
        self._profile_loaded(profile)
        self.saved_label.setText(self.tr("已保存"))

    def _save_failed(self, error: Exception) -> None:
        if isinstance(error, ValidationError):
            self.form.errors.show(error.errors)
        else:
            self.form.message.set_message(getattr(error, "message", None) or str(error))

    def backup_now(self) -> None:
        self.backup_label.setText(self.tr("正在备份……"))
        self.backup_button.setEnabled(False)
        self.ctx.tasks.run(
            lambda s: maintenance.backup_now(s.data_dir),
            success=self._backed_up,
            failure=self._backup_failed,
        )

    def _backed_up(self, path: Path) -> None:
        self.backup_button.setEnabled(True)
        self.backup_label.setText(self.tr("已备份到 {}").format(path))
        self.load_backups()

    def _backup_failed(self, error: Exception) -> None:
        self.backup_button.setEnabled(True)
        text = error.message if isinstance(error, StoreError) else str(error)
        self.backup_label.setText(self.tr("备份失败：") + text)
