"""First run (首次设置): the station profile, the only thing needed to start working offline."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from pzh_core.domain.errors import ValidationError
from pzh_station.services.station import StationProfile, StationService
from pzh_station.store import StoreError
from pzh_station.ui.context import UiContext
from pzh_station.ui.station_form import StationForm


class FirstRunDialog(QDialog):
    """Asks for the station's name, county, population and staff; saves through StationService."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.saved_profile: StationProfile | None = None
        self.setWindowTitle(self.tr("首次设置 — 文化站工作台"))
        intro = QLabel(
            self.tr(
                "欢迎使用文化站工作台。请填写本站的基本信息，之后即可离线开始登记活动。"
                "这些信息以后可以在“设置”中修改。"
            )
        )
        intro.setWordWrap(True)
        self.form = StationForm(full=False)
        buttons = QDialogButtonBox()
        self.save_button = buttons.addButton(
            self.tr("开始使用"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.quit_button = buttons.addButton(
            self.tr("退出"), QDialogButtonBox.ButtonRole.RejectRole
        )
        self.save_button.clicked.connect(self.save)
        self.quit_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.form)
        layout.addWidget(buttons)
        self.resize(520, 420)

    def save(self) -> None:
        self.form.errors.clear()
        profile = self.form.profile()
        self.save_button.setEnabled(False)
        self.ctx.tasks.run(
            lambda s: StationService(s).save_profile(profile),
            success=self._saved,
            failure=self._failed,
        )

    def _saved(self, profile: StationProfile) -> None:
        self.saved_profile = profile
        self.save_button.setEnabled(True)
        self.accept()

    def _failed(self, error: Exception) -> None:
        self.save_button.setEnabled(True)
        if isinstance(error, ValidationError):
            self.form.errors.show(error.errors)
        elif isinstance(error, StoreError):
            self.form.message.set_message(error.message)
        else:
            self.form.message.set_message(self.tr("保存失败：") + str(error))
