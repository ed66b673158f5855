"""Choosers filled from reference data (``pzh_core.domain.refdata``), never from literals."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QGridLayout, QWidget

from pzh_core.domain import refdata


class RefCombo(QComboBox):
    """A combobox of a reference list; ``code()`` is what is stored.

    :param empty: text of a first "no value" entry (code ``""``); omitted when ``None``.
    """

    def __init__(
        self, list_name: str, parent: QWidget | None = None, *, empty: str | None = None
    ) -> None:
        super().__init__(parent)
        if empty is not None:
            self.addItem(empty, "")
        for item in refdata.items(list_name):
            self.addItem(item["label"], item["code"])

    def code(self) -> str:
        return self.currentData() or ""

    def set_code(self, code: str) -> None:
        index = self.findData(code or "")
        self.setCurrentIndex(max(index, 0))


class CheckList(QWidget):
    """A grid of checkboxes for a multi-choice reference list (e.g. target groups)."""

    def __init__(self, list_name: str, parent: QWidget | None = None, *, columns: int = 3) -> None:
        super().__init__(parent)
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.boxes: dict[str, QCheckBox] = {}
        for i, item in enumerate(refdata.items(list_name)):
            box = QCheckBox(item["label"], self)
            box.setObjectName(f"check_{item['code']}")
            self.boxes[item["code"]] = box
            layout.addWidget(box, i // columns, i % columns)

    def codes(self) -> list[str]:
        return [code for code, box in self.boxes.items() if box.isChecked()]

    def set_codes(self, codes: list[str]) -> None:
        for code, box in self.boxes.items():
            box.setChecked(code in codes)
