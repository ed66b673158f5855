"""Validation messages shown at the field they belong to.

Services raise ``ValidationError`` with ``{field: Chinese message}``; a form registers one
:class:`FieldErrorLabel` per field in a :class:`FieldErrors` and calls ``show(errors)``. Fields
the form does not know still get shown (in the ``general`` label), so no message is lost.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

ERROR_STYLE = "color: #c62828;"
ERROR_FIELD_STYLE = "border: 1px solid #c62828;"


class FieldErrorLabel(QLabel):
    """A red message under a field; hidden while there is nothing to say. Its line is reserved
    even when hidden, so showing a message never moves the fields under the user's mouse.

    :param reserve: keep the line when hidden (the form's general message line does not)."""

    def __init__(self, parent: QWidget | None = None, *, reserve: bool = True) -> None:
        super().__init__(parent)
        self.setStyleSheet(ERROR_STYLE)
        self.setWordWrap(not reserve)  # a reserved line is one line; the tooltip has it all
        if reserve:
            policy = self.sizePolicy()
            policy.setRetainSizeWhenHidden(True)
            policy.setHorizontalPolicy(QSizePolicy.Policy.Ignored)  # long text never widens
            self.setSizePolicy(policy)
        self.hide()

    def set_message(self, text: str) -> None:
        self.setText(text)
        self.setToolTip(text)
        self.setVisible(bool(text))


class FieldErrors:
    """The error labels of one form, by field name.

    :param general: a label for messages of fields the form has no label for.
    """

    def __init__(self, general: FieldErrorLabel | None = None) -> None:
        self.labels: dict[str, FieldErrorLabel] = {}
        self.inputs: dict[str, QWidget] = {}
        self.general = general

    def add(
        self, name: str, field: QWidget | None = None, *, parent: QWidget | None = None
    ) -> FieldErrorLabel:
        label = FieldErrorLabel(parent)
        label.setObjectName(f"error_{name}")
        self.labels[name] = label
        if field is not None:
            self.inputs[name] = field
            _on_edit(field, lambda *_: self.clear_field(name))
        return label

    def clear_field(self, name: str) -> None:
        """The user changed the field: its message goes at once (the rule speaks again on save)."""
        label = self.labels.get(name)
        if label is not None and label.text():
            label.set_message("")
            widget = self.inputs.get(name)
            if widget is not None:
                widget.setStyleSheet("")

    def clear(self) -> None:
        for label in self.labels.values():
            label.set_message("")
        for widget in self.inputs.values():
            widget.setStyleSheet("")
        if self.general is not None:
            self.general.set_message("")

    def show(self, errors: dict[str, str]) -> None:
        """Show each message at its field and focus the first field in error."""
        self.clear()
        rest = []
        first: QWidget | None = None
        for name, message in errors.items():
            label = self.labels.get(name)
            if label is None:
                rest.append(message)
                continue
            label.set_message(message)
            widget = self.inputs.get(name)
            if widget is not None:
                widget.setStyleSheet(ERROR_FIELD_STYLE)
                first = first or widget
        if rest and self.general is not None:
            self.general.set_message("；".join(rest))
        if first is not None:
            first.setFocus()

    def message(self, name: str) -> str:
        """The message shown at a field ("" when none)."""
        label = self.labels.get(name)
        return label.text() if label is not None and not label.isHidden() else ""


# the signal each kind of input emits when the user changes it, in order of preference
EDIT_SIGNALS = (
    "textEdited",
    "textChanged",
    "dateChanged",
    "valueChanged",
    "currentIndexChanged",
    "toggled",
    "changed",
)


def _on_edit(field: QWidget, slot: Callable[..., Any]) -> None:
    """Connect ``slot`` to the first edit signal ``field`` has (composite inputs such as a
    check list connect every child input)."""
    for name in EDIT_SIGNALS:
        signal = getattr(field, name, None)
        if signal is not None and hasattr(signal, "connect"):
            signal.connect(slot)
            return
    for child in field.findChildren(QWidget):
        for name in ("toggled", "textEdited", "currentIndexChanged"):
            signal = getattr(child, name, None)
            if signal is not None and hasattr(signal, "connect"):
                signal.connect(slot)
                break


def field_box(widget: QWidget, error: FieldErrorLabel) -> QWidget:
    """An input with its error message right under it."""
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    layout.addWidget(widget)
    layout.addWidget(error)
    return box
