"""A figure on the overview: label, big value, last year and the target; clicking opens its
records."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor, QMouseEvent, QPalette
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

GREY, RED = QColor("#555555"), QColor("#b03a2e")


def _set_colour(label: QLabel, colour: QColor) -> None:
    palette = label.palette()
    palette.setColor(QPalette.ColorRole.WindowText, colour)
    label.setPalette(palette)


class FigureCard(QFrame):
    clicked = Signal(str)  # the indicator key

    def __init__(self, key: str, label: str, unit: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.unit = unit
        self.setObjectName("figureCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setToolTip(self.tr("点击查看这个数字背后的记录"))
        self.title_label = QLabel(label)
        self.value_label = QLabel("…")
        font = self.value_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        self.value_label.setFont(font)
        self.previous_label = QLabel("")
        self.target_label = QLabel("")
        for lbl in (self.previous_label, self.target_label):
            _set_colour(lbl, GREY)  # a palette, not a style sheet: 14 cards × 2 labels at start
        # the card is as wide as its texts need (nothing clipped at 150 %); a long hint wraps
        self.target_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(2)
        for w in (self.title_label, self.value_label, self.previous_label, self.target_label):
            layout.addWidget(w)

    def set_values(
        self, value: str, previous: str, target: str = "", *, behind: bool = False
    ) -> None:
        from PySide6.QtCore import Qt  # not at start: the Qt namespace builds 93 enums

        self.setCursor(Qt.CursorShape.PointingHandCursor)  # a figure to click through
        self.value_label.setText(value)
        self.previous_label.setText(self.tr("去年同期：{}").format(previous))
        self.target_label.setText(target)
        self.target_label.setVisible(bool(target))
        _set_colour(self.target_label, RED if behind else GREY)

    @property
    def value_text(self) -> str:
        return self.value_label.text()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        from PySide6.QtCore import Qt

        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(
            event.position().toPoint()
        ):
            self.clicked.emit(self.key)
        super().mouseReleaseEvent(event)
