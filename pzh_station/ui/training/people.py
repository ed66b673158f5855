"""Finding and adding people: a search box that answers per keystroke (characters, pinyin
initials such as ``zs`` for 张三, or phone digits), and a form for a new person that offers the
existing one when the new entry looks like someone already in the registry."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from pzh_core.domain.person import Person
from pzh_station.services.people import DuplicatePersonError, PeopleService
from pzh_station.ui.context import UiContext
from pzh_station.ui.widgets import SavingDialog
from pzh_station.ui.widgets.search import search_as_you_type

SEARCH_DELAY_MS = 120  # one query per pause in typing, not per key of a fast typist


def describe(p: dict[str, Any]) -> str:
    """``张三  男 1962  138…  大田村`` for lists."""
    bits = [
        p.get("gender") or "",
        str(p.get("birth_year") or ""),
        p.get("phone") or "",
        p.get("village") or "",
    ]
    return p["name"] + "　" + "　".join(b for b in bits if b)


class PersonSearch(QWidget):
    """A search field and its results; ``chosen`` gives the picked person's row."""

    chosen = Signal(dict)

    def __init__(self, ctx: UiContext, parent: QWidget | None = None, *, limit: int = 30) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.limit = limit
        self.exclude: tuple[str, ...] = ()
        self._seq = 0
        self.rows: list[dict[str, Any]] = []
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(self.tr("输入姓名、拼音首字母（如 zs）或电话号码"))
        self.edit.setClearButtonEnabled(True)
        self.results = QListWidget()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        layout.addWidget(self.results, 1)
        self.search_timer = search_as_you_type(self.edit, self.search, delay_ms=SEARCH_DELAY_MS)
        self.edit.returnPressed.connect(self._pick_first)
        self.results.itemActivated.connect(
            lambda item: self.chosen.emit(item.data(Qt.ItemDataRole.UserRole))
        )

    def search(self) -> None:
        self._seq += 1
        seq, text, limit, exclude = self._seq, self.edit.text(), self.limit, self.exclude
        self.ctx.tasks.run(
            lambda s: PeopleService(s).search(text, limit=limit, exclude_ids=exclude),
            success=lambda rows: self._show(seq, rows),
        )

    def _show(self, seq: int, rows: list[dict[str, Any]]) -> None:
        if seq != self._seq:
            return  # an older query answered after a newer one was sent
        self.rows = rows
        self.results.clear()
        for r in rows:
            item = QListWidgetItem(describe(r))
            item.setData(Qt.ItemDataRole.UserRole, r)
            self.results.addItem(item)
        if rows:
            self.results.setCurrentRow(0)

    def current(self) -> dict[str, Any] | None:
        item = self.results.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def _pick_first(self) -> None:
        row = self.current()
        if row:
            self.chosen.emit(row)


class PersonDialog(SavingDialog):
    """A new person (or an edit). When the registry already has someone who looks the same, the
    dialog shows them and offers 使用已有人员 instead of saving a duplicate; 仍然新建 saves anyway.

    ``saved`` carries the id of the person to use (new or existing).
    """

    def __init__(
        self, ctx: UiContext, person: Person | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.person = person or Person()
        self.existing: list[dict[str, Any]] = []
        self.setWindowTitle(self.tr("编辑人员") if self.person.id else self.tr("新登记人员"))
        self.setMinimumWidth(420)
        self.name_edit = QLineEdit(self.person.name)
        self.gender_combo = QComboBox()
        for g in ("", "男", "女"):
            self.gender_combo.addItem(g or self.tr("（不填）"), g)
        self.gender_combo.setCurrentIndex(max(self.gender_combo.findData(self.person.gender), 0))
        self.year_spin = QSpinBox()
        self.year_spin.setRange(0, 2100)
        self.year_spin.setSpecialValueText(self.tr("不详"))
        self.year_spin.setValue(self.person.birth_year or 0)
        self.phone_edit = QLineEdit(self.person.phone)
        self.village_edit = QLineEdit(self.person.village)
        self.village_edit.setPlaceholderText(self.tr("所在村或社区"))
        self.ethnicity_edit = QLineEdit(self.person.ethnicity)
        self.ethnicity_edit.setPlaceholderText(self.tr("可不填，如 彝族"))
        self.notes_edit = QLineEdit(self.person.notes)
        self._setup_errors()
        form = self._form(
            (
                (self.tr("姓名"), self.name_edit, "name"),
                (self.tr("性别"), self.gender_combo, "gender"),
                (self.tr("出生年份"), self.year_spin, "birth_year"),
                (self.tr("电话"), self.phone_edit, "phone"),
                (self.tr("村(社区)"), self.village_edit, "village"),
                (self.tr("民族"), self.ethnicity_edit, "ethnicity"),
                (self.tr("备注"), self.notes_edit, "notes"),
            )
        )
        self.duplicate_box = QWidget()
        dup = QVBoxLayout(self.duplicate_box)
        dup.setContentsMargins(0, 0, 0, 0)
        self.duplicate_label = QLabel(self.tr("登记册中已有相似的人，是否就是此人？"))
        self.duplicate_list = QListWidget()
        self.duplicate_list.setMaximumHeight(90)
        self.use_existing_button = QPushButton(self.tr("使用已有人员"))
        self.save_anyway_button = QPushButton(self.tr("仍然新建"))
        row = QHBoxLayout()
        row.addWidget(self.use_existing_button)
        row.addWidget(self.save_anyway_button)
        dup.addWidget(self.duplicate_label)
        dup.addWidget(self.duplicate_list)
        dup.addLayout(row)
        self.duplicate_box.hide()
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.duplicate_box)
        layout.addWidget(self._buttons(self.tr("保存"), history=("people", lambda: self.person.id)))
        self.use_existing_button.clicked.connect(self.use_existing)
        self.save_anyway_button.clicked.connect(lambda: self.save(check_duplicates=False))

    def collect(self) -> Person:
        p = Person(**{**self.person.fields(), "id": self.person.id})
        p.name = self.name_edit.text()
        p.gender = self.gender_combo.currentData() or ""
        p.birth_year = self.year_spin.value()
        p.phone = self.phone_edit.text()
        p.village = self.village_edit.text()
        p.ethnicity = self.ethnicity_edit.text().strip()
        p.notes = self.notes_edit.text().strip()
        return p

    def save(self, *, check_duplicates: bool = True) -> None:
        person = self.collect()
        self._run_save(lambda s: PeopleService(s).save(person, check_duplicates=check_duplicates))

    def _failed(self, exc: Exception) -> None:
        if isinstance(exc, DuplicatePersonError):
            self._idle()
            self.existing = exc.existing
            self.errors.clear()
            self.duplicate_list.clear()
            for r in exc.existing:
                self.duplicate_list.addItem(describe(r))
            self.duplicate_list.setCurrentRow(0)
            self.duplicate_box.show()
            return
        super()._failed(exc)

    def use_existing(self) -> None:
        row = self.duplicate_list.currentRow()
        if 0 <= row < len(self.existing):
            self.saved.emit(self.existing[row]["id"])
            self.accept()


class PickPersonDialog(QDialog):
    """Choose someone from the registry, or register a new person; ``picked`` gives the id."""

    picked = Signal(str)

    def __init__(
        self,
        ctx: UiContext,
        parent: QWidget | None = None,
        *,
        title: str = "",
        exclude: tuple[str, ...] = (),
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(title or self.tr("选择人员"))
        self.resize(460, 420)
        self.search = PersonSearch(ctx, self)
        self.search.exclude = exclude
        self.new_button = QPushButton(self.tr("新登记…"))
        self.ok_button = QPushButton(self.tr("确定"))
        self.cancel_button = QPushButton(self.tr("取消"))
        self.person_dialog: PersonDialog | None = None
        row = QHBoxLayout()
        row.addWidget(self.new_button)
        row.addStretch(1)
        row.addWidget(self.ok_button)
        row.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search, 1)
        layout.addLayout(row)
        self.search.chosen.connect(lambda r: self._pick(r["id"]))
        self.ok_button.clicked.connect(self._ok)
        self.cancel_button.clicked.connect(self.reject)
        self.new_button.clicked.connect(self._new)
        self.search.search()

    def _ok(self) -> None:
        row = self.search.current()
        if row:
            self._pick(row["id"])

    def _pick(self, person_id: str) -> None:
        self.picked.emit(person_id)
        self.accept()

    def _new(self) -> None:
        typed = self.search.edit.text().strip()
        person = Person(name=typed if typed and not typed.isascii() else "")
        self.person_dialog = PersonDialog(self.ctx, person, self)
        self.person_dialog.saved.connect(self._pick)
        self.person_dialog.show()
