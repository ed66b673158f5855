"""What the volunteer page's tabs and dialogs share: the star and hours texts, the hours box."""

from __future__ import annotations

from PySide6.QtWidgets import QDoubleSpinBox


def stars_text(n: int) -> str:
    return "★" * n if n else ""


def hours_spin() -> QDoubleSpinBox:
    """Hours in steps of 0.5; one decimal so a slip like 1.2 reaches the domain rule's message."""
    spin = QDoubleSpinBox()
    spin.setDecimals(1)
    spin.setSingleStep(0.5)
    spin.setRange(0, 24)
    spin.setSuffix(" 小时")
    spin.setValue(2)
    return spin


def hours_text(value: float) -> str:
    return f"{float(value):g}"
