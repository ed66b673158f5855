"""A button that cannot be used says why: disabled with its reason as the tooltip, rather than
a refusal after the click."""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractButton


def enable(button: QAbstractButton, reason: str = "") -> None:
    """Enable ``button`` when there is no ``reason`` against it; otherwise disable it and show the
    reason when the mouse rests on it (Qt shows tooltips of disabled buttons too)."""
    button.setEnabled(not reason)
    button.setToolTip(reason)
