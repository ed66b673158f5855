"""录入人PIN (issue 14): an operator with a PIN types it before records are saved in their name,
so the history's "who" means something on a shared PC. The check runs on the database thread
(``StationService.check_pin``); a wrong PIN is said under the field and the dialog stays."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pzh_core.domain.errors import ValidationError
from pzh_station.services.station import StationProfile, StationService
from pzh_station.ui.context import UiContext


class PinDialog(QDialog):
    """Ask ``name``'s PIN; ``confirmed`` is emitted once it matched."""

    confirmed = Signal(str)

    def __init__(self, ctx: UiContext, name: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.name = name
        self.setWindowTitle(self.tr("输入PIN"))
        self.pin_edit = QLineEdit()
        self.pin_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin_edit.setMaxLength(8)
        self.message = QLabel()
        self.message.setObjectName("form_message")
        buttons = QDialogButtonBox()
        self.ok_button = buttons.addButton(self.tr("确定"), QDialogButtonBox.ButtonRole.AcceptRole)
        cancel = buttons.addButton(self.tr("取消"), QDialogButtonBox.ButtonRole.RejectRole)
        self.ok_button.clicked.connect(self._check)
        cancel.clicked.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(QLabel(self.tr("录入人“{}”已设置PIN，请输入：").format(name)))
        form.addRow(self.tr("PIN"), self.pin_edit)
        form.addRow(self.message)
        form.addRow(buttons)

    def _check(self) -> None:
        name, pin = self.name, self.pin_edit.text()
        self.ctx.tasks.run(lambda s: StationService(s).check_pin(name, pin), success=self._checked)

    def _checked(self, ok: bool) -> None:
        if not ok:
            self.message.setText(self.tr("PIN不正确，请重新输入。"))
            self.pin_edit.clear()
            return
        self.confirmed.emit(self.name)
        self.accept()


class PinSettingsBox(QGroupBox):
    """设置 → 录入人PIN: set or clear a staff member's PIN (4-8 digits; stored hashed, synced to
    the station's other PCs)."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("录入人PIN"))
        self.ctx = ctx
        self.staff_combo = QComboBox()
        self.staff_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.staff_combo.setMinimumContentsLength(9)
        self.pin_edit = QLineEdit()
        self.pin_edit.setMinimumWidth(240)
        self.pin_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin_edit.setMaxLength(8)
        self.pin_edit.setPlaceholderText(self.tr("4至8位数字；留空为取消PIN"))
        self.set_button = QPushButton(self.tr("设置"))
        self.message = QLabel()
        self.message.setWordWrap(True)
        note = QLabel(
            self.tr(
                "设置了PIN的录入人，在窗口上方选择自己时须输入PIN，记录的修改历史中的“修改人”才可信。"
                "PIN只保存加密后的形式，并同步到本站其他电脑。"
            )
        )
        note.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.staff_combo)
        row.addWidget(self.pin_edit)
        row.addWidget(self.set_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(row)
        layout.addWidget(self.message)
        self.set_button.clicked.connect(self._set)

    def set_profile(self, profile: StationProfile) -> None:
        self.staff_combo.clear()
        for name in profile.staff:
            self.staff_combo.addItem(
                name + (self.tr("（已设PIN）") if name in profile.pins else ""), name
            )

    def _reload(self, profile: StationProfile | None) -> None:
        if profile is not None:
            keep = self.staff_combo.currentIndex()
            self.set_profile(profile)
            self.staff_combo.setCurrentIndex(keep)

    def _set(self) -> None:
        name, pin = self.staff_combo.currentData(), self.pin_edit.text().strip()
        if not name:
            return
        self.ctx.tasks.run(
            lambda s: StationService(s).set_pin(name, pin),
            success=lambda _r: self._done(name, bool(pin)),
            failure=self._failed,
        )

    def _done(self, name: str, has_pin: bool) -> None:
        self.pin_edit.clear()
        self.ctx.tasks.run(lambda s: StationService(s).profile(), success=self._reload)
        text = self.tr("已为{}设置PIN。") if has_pin else self.tr("已取消{}的PIN。")
        self.message.setText(text.format(name))

    def _failed(self, error: Exception) -> None:
        if isinstance(error, ValidationError):
            self.message.setText("；".join(error.errors.values()))
        else:
            self.message.setText(str(getattr(error, "message", error)))
