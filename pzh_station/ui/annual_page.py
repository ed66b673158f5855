"""The annual facts page (年度基本情况): per year, the staff, facilities, money, population and unit
code the annual return asks for. A year not entered yet shows last year's values as an
unconfirmed starting point; 保存并确认 marks them confirmed (the return can then be filed).
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from pzh_core.domain import annual_facts as rules
from pzh_core.domain.errors import ValidationError
from pzh_station.services.annual_facts import AnnualFactsService, FactsView
from pzh_station.ui.context import UiContext
from pzh_station.ui.widgets import FieldErrorLabel, FieldErrors

GROUPS = ("人员", "设施", "财务", "人口", "单位")
WARN_STYLE = "background: #fff4e5; color: #7a4b00; padding: 6px; border: 1px solid #f0c27b;"
OK_STYLE = "background: #e8f5e9; color: #1b5e20; padding: 6px; border: 1px solid #a5d6a7;"


def shown(value: object, kind: str, *, unknown_ok: bool = False) -> str:
    """A stored value as typed text ("" for an empty number, no trailing .0). An item filled
    where known shows "" only when not known (its placeholder "—"): a typed 0 stays "0"."""
    if kind == "text":
        return str(value or "")
    if value is None or (not value and not unknown_ok):
        return ""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _text(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value) if value not in ("", None) else "—"


class AnnualFactsPage(QWidget):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.view: FactsView | None = None
        self.inputs: dict[str, QLineEdit] = {}
        self.message = FieldErrorLabel()
        self.errors = FieldErrors(self.message)

        layout = QVBoxLayout(self)
        layout.addLayout(self._build_top())
        layout.addWidget(self._build_choice())
        layout.addWidget(self._build_groups(), 1)
        ctx.tasks.changed.connect(self._changed)
        self.load()

    def _build_top(self) -> QHBoxLayout:
        """The year, its status, 保存 and 保存并确认."""
        today = dt.date.today()
        self.year_spin = QSpinBox()
        self.year_spin.setRange(rules.MIN_YEAR, today.year + 1)
        self.year_spin.setValue(today.year - 1 if today.month <= 3 else today.year)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.save_button = QPushButton(self.tr("保存"))
        self.confirm_button = QPushButton(self.tr("保存并确认"))
        self.confirm_button.setToolTip(self.tr("核对无误后确认；未确认的基本情况不能报送年报"))
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("年度")))
        top.addWidget(self.year_spin)
        top.addWidget(self.status, 1)
        top.addWidget(self.save_button)
        top.addWidget(self.confirm_button)
        self.year_spin.valueChanged.connect(lambda _y: self.load())
        self.save_button.clicked.connect(lambda: self.save(confirm=False))
        self.confirm_button.clicked.connect(lambda: self.save(confirm=True))
        return top

    def _build_choice(self) -> QWidget:
        """A PC that joined the station with facts of its own that differ from the server's:
        the user chooses (issue 12, situation 8); never a silent overwrite either way."""
        self.choice_year = 0
        self.choice_label = QLabel()
        self.choice_label.setWordWrap(True)
        self.keep_mine_button = QPushButton(self.tr("用本机填写的"))
        self.keep_server_button = QPushButton(self.tr("用服务器上的"))
        self.choice_box = QWidget()
        self.choice_box.setObjectName("facts_choice")
        self.choice_box.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.choice_box.setStyleSheet(f"#facts_choice {{ {WARN_STYLE} }}")
        choice = QHBoxLayout(self.choice_box)
        choice.addWidget(self.choice_label, 1)
        choice.addWidget(self.keep_mine_button)
        choice.addWidget(self.keep_server_button)
        self.choice_box.hide()
        self.keep_mine_button.clicked.connect(lambda: self.choose(keep_mine=True))
        self.keep_server_button.clicked.connect(lambda: self.choose(keep_mine=False))
        return self.choice_box

    def _build_groups(self) -> QScrollArea:
        """The facts by group in two columns (人员 and 设施 on the left), scrolled."""
        columns = QHBoxLayout()
        left, right = QVBoxLayout(), QVBoxLayout()
        for group in GROUPS:
            box = self._group_box(group)
            (left if group in ("人员", "设施") else right).addWidget(box)
        left.addStretch(1)
        right.addStretch(1)
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        inner = QWidget()
        body = QVBoxLayout(inner)
        body.addLayout(columns)
        body.addWidget(self.message)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        return scroll

    def _group_box(self, group: str) -> QGroupBox:
        titles = {"财务": "财务（千元）", "人口": "常住人口（用于人均指标）"}
        box = QGroupBox(self.tr(titles.get(group, group)))
        grid = QGridLayout(box)
        grid.setColumnStretch(3, 1)
        row = 0
        for spec in rules.SPECS:
            if spec.group != group:
                continue
            edit = QLineEdit()
            edit.setObjectName(f"fact_{spec.name}")
            if spec.kind != "text":
                edit.setAlignment(Qt.AlignmentFlag.AlignRight)
                edit.setPlaceholderText("—" if spec.unknown_ok else "0")
                edit.setMaximumWidth(160)
            if spec.unknown_ok:
                edit.setToolTip(self.tr("不知道请留空（显示“—”，不计入合计）；确实没有请填 0"))
            self.inputs[spec.name] = edit
            error = self.errors.add(spec.name, edit)
            grid.addWidget(QLabel(self.tr(spec.label)), row, 0)
            if spec.kind == "text":
                grid.addWidget(edit, row, 1, 1, 3)
            else:
                grid.addWidget(edit, row, 1)
                grid.addWidget(QLabel(self.tr(spec.unit) if spec.unit != "千元" else ""), row, 2)
            grid.addWidget(error, row + 1, 1, 1, 3)
            row += 2
        return box

    # -- loading ---------------------------------------------------------------------------
    def load(self) -> None:
        year = self.year_spin.value()
        self.ctx.tasks.run(lambda s: AnnualFactsService(s).view(year), success=self._loaded)
        self.ctx.tasks.run(lambda s: AnnualFactsService(s).choices(), success=self._choices)

    def _choices(self, choices: dict[int, list[tuple[str, object, object]]]) -> None:
        if not choices:
            self.choice_year = 0
            self.choice_box.hide()
            return
        year = self.choice_year = (
            self.year_spin.value() if self.year_spin.value() in choices else min(choices)
        )
        items = "；".join(
            self.tr("{}：本机 {}，服务器 {}").format(label, _text(mine), _text(theirs))
            for label, mine, theirs in choices[year]
        )
        text = self.tr(
            "本机加入本站前填写的{}年度基本情况与市服务器上的不同（{}）。现在显示的是服务器上的，请选择保留哪一份："
        ).format(year, items)
        others = sorted(set(choices) - {year})
        if others:
            text += self.tr("（另有 {} 年待选择）").format("、".join(map(str, others)))
        self.choice_label.setText(text)
        self.choice_box.show()

    def choose(self, *, keep_mine: bool) -> None:
        year = self.choice_year
        if not year:
            return
        self.keep_mine_button.setEnabled(False)
        self.keep_server_button.setEnabled(False)

        def done(_view: FactsView) -> None:
            self.keep_mine_button.setEnabled(True)
            self.keep_server_button.setEnabled(True)
            self.year_spin.setValue(year)
            self.load()

        self.ctx.tasks.run(
            lambda s: AnnualFactsService(s).choose(year, keep_mine=keep_mine), success=done
        )

    def _loaded(self, view: FactsView) -> None:
        if view.facts.year != self.year_spin.value():
            return  # an older answer for another year
        self.view = view
        self.errors.clear()
        for spec in rules.SPECS:
            value = getattr(view.facts, spec.name)
            self.inputs[spec.name].setText(shown(value, spec.kind, unknown_ok=spec.unknown_ok))
        self._show_status(view)

    def _show_status(self, view: FactsView) -> None:
        f = view.facts
        if view.fileable:
            text = self.tr("已确认（{}，{}）").format(f.confirmed_by or "—", f.confirmed_on)
            self.status.setStyleSheet(OK_STYLE)
        else:
            parts = [self.tr("未确认：核对后请点“保存并确认”，未确认的基本情况不能报送年报。")]
            if view.origin:
                parts.insert(0, view.origin + "。")
            if not f.population:
                parts.append(self.tr("未填写常住人口，人均指标将显示为“—”。"))
            text = "".join(parts)
            self.status.setStyleSheet(WARN_STYLE)
        self.status.setText(text)

    def _changed(self, areas: set[str]) -> None:
        # "sync": rows merged from another PC of the station.
        if areas & {"annual_facts", "sync"} and self.save_button.isEnabled():
            self.load()

    # -- saving ----------------------------------------------------------------------------
    def values(self) -> dict[str, str]:
        return {name: edit.text() for name, edit in self.inputs.items()}

    def save(self, *, confirm: bool) -> None:
        year, values = self.year_spin.value(), self.values()
        self.errors.clear()
        self._busy(True)
        self.ctx.tasks.run(
            lambda s: AnnualFactsService(s).save(year, values, confirm=confirm),
            success=self._saved,
            failure=self._failed,
        )

    def _busy(self, busy: bool) -> None:
        self.save_button.setEnabled(not busy)
        self.confirm_button.setEnabled(not busy)

    def _saved(self, view: FactsView) -> None:
        self._busy(False)
        self._loaded(view)

    def _failed(self, error: Exception) -> None:
        self._busy(False)
        if isinstance(error, ValidationError):
            self.errors.show(error.errors)
            self.message.set_message(
                self.tr("有 {} 处需要修改，未保存。").format(len(error.errors))
            )
        else:
            self.message.set_message(getattr(error, "message", None) or str(error))
