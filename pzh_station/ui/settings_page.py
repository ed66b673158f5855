"""Settings (设置): the station profile (name, county, the staff who enter records; teams and
staff figures are in 文艺团队 and 年度基本情况), and backups (back up now, the list of backups)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMessageBox,
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
from pzh_station.ui.pin_dialog import PinSettingsBox
from pzh_station.ui.progress import Cancelled, Progress
from pzh_station.ui.restore_dialog import sync_note
from pzh_station.ui.station_form import StationForm


class SettingsPage(QWidget):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.profile: StationProfile | None = None

        self.backups: list[maintenance.BackupInfo] = []
        inner = QWidget()
        column = QVBoxLayout(inner)
        column.addWidget(self._build_profile_box())
        self.pin_box = PinSettingsBox(ctx)
        column.addWidget(self.pin_box)
        column.addWidget(self._build_backup_box())
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)
        self.load()

    def _build_profile_box(self) -> QGroupBox:
        """文化站信息: the station form and its save button."""
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
        self.save_button.clicked.connect(self.save_profile)
        return profile_box

    def _build_backup_box(self) -> QGroupBox:
        """数据备份: back up now, the backups there are, restore the chosen one."""
        self.backup_button = QPushButton(self.tr("立即备份"))
        self.backup_label = QLabel()
        self.backup_label.setWordWrap(True)
        self.backup_list = QListWidget()
        self.backup_list.setObjectName("backup_list")
        self.backup_list.setMaximumHeight(160)
        self.restore_button = QPushButton(self.tr("从所选备份恢复…"))
        self.restore_button.setEnabled(False)
        self.restore_button.setToolTip(self.tr("请先在上面的列表中选择一份备份"))
        where = QLabel(
            self.tr(
                "数据文件夹：{}\n备份会自动进行（每天一次，保留最近14份）。恢复前，当前的数据会先另存为"
                "一份“恢复前自动保存”的备份，所以恢复也可以撤销。"
            ).format(self.ctx.data_dir)
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
        backup_layout.addWidget(self.restore_button)
        backup_layout.addWidget(where)
        self.backup_button.clicked.connect(self.backup_now)
        self.restore_button.clicked.connect(self.confirm_restore)
        self.backup_list.currentRowChanged.connect(self._backup_chosen)
        return backup_box

    def load(self) -> None:
        self.ctx.tasks.run(lambda s: StationService(s).profile(), success=self._profile_loaded)
        self.load_backups()

    def load_backups(self) -> None:
        self.ctx.tasks.run(
            lambda s: maintenance.backup_infos(s.data_dir), success=self._backups_loaded
        )

    def _profile_loaded(self, profile: StationProfile | None) -> None:
        self.profile = profile
        if profile is not None:
            self.form.set_profile(profile)
            self.pin_box.set_profile(profile)

    def _backups_loaded(self, backups: list[maintenance.BackupInfo]) -> None:
        self.backups = backups
        self.backup_list.clear()
        self.backup_list.addItems([b.describe() for b in backups])
        self._backup_chosen(self.backup_list.currentRow())

    def _backup_chosen(self, row: int) -> None:
        usable = 0 <= row < len(self.backups) and self.backups[row].counts is not None
        self.restore_button.setEnabled(usable)
        self.restore_button.setToolTip(
            ""
            if usable
            else self.tr("这份备份无法读取，不能用来恢复")
            if 0 <= row < len(self.backups)
            else self.tr("请先在上面的列表中选择一份备份")
        )

    def show_backups(self) -> None:
        """从备份恢复 in the 文件 menu: bring the list of backups into view."""
        self.backup_list.setFocus()
        if self.backup_list.currentRow() < 0 and self.backup_list.count():
            self.backup_list.setCurrentRow(0)
        scroll = self.findChild(QScrollArea)
        if scroll is not None:
            scroll.ensureWidgetVisible(self.restore_button)

    def confirm_restore(self) -> None:
        row = self.backup_list.currentRow()
        if not 0 <= row < len(self.backups):
            return
        info = self.backups[row]
        box = QMessageBox(
            QMessageBox.Icon.Question,
            self.tr("从备份恢复"),
            self.tr(
                "用这份备份替换现在的数据？\n{}\n\n现在的数据会先另存为一份备份；恢复时程序会关闭"
                "当前窗口并重新打开。"
            ).format(info.describe())
            + "\n\n"
            + sync_note(),
            parent=self,
        )
        box.setObjectName("restore_confirm")
        yes = box.addButton(self.tr("恢复"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(self.tr("取消"), QMessageBox.ButtonRole.RejectRole)
        box.buttonClicked.connect(lambda b: b is yes and self.restore(info.path))
        box.open()
        self.restore_box = box

    def restore(self, path: Path) -> None:
        if self.ctx.restore is None:
            self.backup_label.setText(
                self.tr("请关闭程序后运行“pzh-station restore {}”。").format(path)
            )
            return
        self.ctx.restore(path)

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

    def backup_now(self) -> Progress:
        """Back up now, with a progress dialog (MB of the file; 取消 leaves no file)."""
        self.backup_label.setText(self.tr("正在备份……"))
        self.backup_button.setEnabled(False)
        progress = Progress(self, self.tr("正在备份数据文件"))
        report, what = progress.reporter, self.tr("正在备份数据文件（MB）")

        def copied(done: int, total: int) -> None:
            report(-(-done // 1_000_000), -(-total // 1_000_000), what)

        self.ctx.tasks.run(
            lambda s: maintenance.backup_now(s.data_dir, progress=copied),
            success=lambda path: (progress.finish(), self._backed_up(path)),
            failure=lambda error: (progress.finish(), self._backup_failed(error)),
        )
        return progress

    def _backed_up(self, path: Path) -> None:
        self.backup_button.setEnabled(True)
        self.backup_label.setText(self.tr("已备份到 {}").format(path))
        self.load_backups()

    def _backup_failed(self, error: Exception) -> None:
        self.backup_button.setEnabled(True)
        if isinstance(error, Cancelled):
            self.backup_label.setText(self.tr("已取消备份，没有留下不完整的备份文件。"))
            return
        text = error.message if isinstance(error, StoreError) else str(error)
        self.backup_label.setText(self.tr("备份失败：") + text)
