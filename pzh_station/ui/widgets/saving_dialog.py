"""The save flow every record form shares: run the save on the database thread, close on
success, show the messages at the fields (or a store error below the form) on failure, and
keep the user's input whatever happened."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from pzh_core.domain.errors import ValidationError
from pzh_station.store import StoreError
from pzh_station.ui.widgets.field_errors import FieldErrorLabel, FieldErrors, field_box


class SavingDialog(QDialog):
    """Shared save flow: run a job, close on success, show messages at fields on failure."""

    saved = Signal(object)

    def _setup_errors(self) -> None:
        self.message = FieldErrorLabel(reserve=False)
        self.message.setObjectName("form_message")
        self.errors = FieldErrors(general=self.message)
        self.saving = False

    def _run_save(self, fn: Any) -> None:
        if self.saving:
            return
        self.errors.clear()
        self.saving = True
        self.save_button.setEnabled(False)
        self.ctx.tasks.run(fn, success=self._saved, failure=self._failed)

    def _idle(self) -> None:
        self.saving = False
        self.save_button.setEnabled(True)

    def _saved(self, result: Any) -> None:
        self._idle()
        self.saved.emit(result)
        self.accept()

    def _failed(self, error: Exception) -> None:
        self._idle()
        if isinstance(error, ValidationError):
            self.errors.show(error.errors)
        elif isinstance(error, StoreError):
            self.message.set_message(error.message)
        else:
            self.message.set_message(self.tr("保存失败：") + str(error))

    def _form(self, rows: Iterable[tuple[str, QWidget, str]]) -> QFormLayout:
        """A form of ``(label, input, field name)`` rows, each input with its message under it."""
        form = QFormLayout()
        for label, widget, name in rows:
            form.addRow(label, field_box(widget, self.errors.add(name, widget)))
        return form

    def _scrolled(self, form: QFormLayout) -> QScrollArea:
        """A long form in a scroll area (small screens); extra height goes below the form."""
        inner = QWidget()
        column = QVBoxLayout(inner)
        column.addLayout(form)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        return scroll

    def _buttons(
        self, save_text: str, *, history: tuple[str, Callable[[], str | None]] | None = None
    ) -> QDialogButtonBox:
        """Save and cancel; with ``history`` = (table, the record's id or None) also 历史…, the
        record's read-only history (issue 14)."""
        buttons = QDialogButtonBox()
        self.save_button = buttons.addButton(save_text, QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = buttons.addButton(
            self.tr("取消"), QDialogButtonBox.ButtonRole.RejectRole
        )
        self.save_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(self.reject)
        if history is not None:
            from pzh_station.ui.widgets.history_dialog import add_history_button

            add_history_button(self, buttons, *history)
        return buttons

    def save(self) -> None:  # pragma: no cover - every dialog defines it
        raise NotImplementedError
