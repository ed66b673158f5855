"""报送审核 on the desk (issue 14): the year's months and the year with their state (submitted,
approved, returned with the county's reason, unlocked, past the edit deadline), what is
incomplete in the chosen period, submit (报送) and withdraw, and the county's decisions on changes
made after approval. Submitting works offline: it goes up with the next sync."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from pzh_core.domain.errors import ValidationError
from pzh_core.domain.rules import TABLE_LABELS
from pzh_station.services.periods import PeriodService, PeriodState, incomplete_lines
from pzh_station.ui.context import UiContext
from pzh_station.ui.widgets import RowsModel, rows_table

RELOAD_ON = {
    "periods",
    "activities",
    "training",
    "attendance",
    "volunteers",
    "annual_facts",
    "sync",
}
VERDICTS = {"pending": "待县文化馆处理", "accepted": "县文化馆已接受", "rejected": "县文化馆未接受"}


def _who(row: dict[str, Any], by: str, at: str) -> str:
    return f"{row.get(by, '')} {row.get(at, '')}".strip() if row.get(by) else ""


def _county(st: PeriodState) -> str:
    """Who at the county decided, and when (nothing while it waits)."""
    if st.status in ("", "submitted", "withdrawn"):
        return ""
    return _who(st.row, "decided_by", "decided_at")


def _note(st: PeriodState) -> str:
    """The county's reason for a return or unlock; the lock's message when it is locked."""
    if st.lock is not None and st.lock.reason != "submitted":
        return st.lock.message
    return st.row.get("reason", "") if st.status in ("returned", "unlocked") else ""


COLUMNS = [
    ("时段", lambda x: x["state"].label),
    ("状态", lambda x: QCoreApplication.translate("PeriodsPage", x["state"].status_label)),
    ("报送", lambda x: _who(x["state"].row, "submitted_by", "submitted_at")),
    ("县文化馆", lambda x: _county(x["state"])),
    ("说明", lambda x: _note(x["state"])),
]


class PeriodsPage(QWidget):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.year = QSpinBox()
        self.year.setRange(2000, 2200)
        self.year.setSuffix(self.tr(" 年"))
        self.model = RowsModel(ctx.tasks, COLUMNS, self)
        self.table = rows_table(self.model)
        self.table.horizontalHeader().setStretchLastSection(True)
        for col, width in enumerate((90, 110, 170, 220)):
            self.table.setColumnWidth(col, width)
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setObjectName("formMessage")
        self.submit_button = QPushButton(self.tr("报送所选时段"))
        self.withdraw_button = QPushButton(self.tr("撤回报送"))
        self.late = QLabel()
        self.late.setWordWrap(True)

        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("年份")))
        top.addWidget(self.year)
        top.addWidget(
            QLabel(self.tr("按月、按年报送县文化馆审核；审核通过后该时段的记录不能再修改。")), 1
        )
        side = QVBoxLayout()
        side.addWidget(self.detail)
        side.addWidget(self.submit_button)
        side.addWidget(self.withdraw_button)
        side.addWidget(self.message)
        side.addStretch(1)
        side_box = QWidget()
        side_box.setLayout(side)
        side_box.setFixedWidth(300)
        middle = QHBoxLayout()
        middle.addWidget(self.table, 1)
        middle.addWidget(side_box)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(middle, 1)
        layout.addWidget(QLabel(self.tr("审核后的修改")))
        layout.addWidget(self.late)

        self.year.valueChanged.connect(lambda _y: self.load())
        self.table.selectionModel().selectionChanged.connect(self._selected)
        self.submit_button.clicked.connect(self._submit)
        self.withdraw_button.clicked.connect(self._withdraw)
        ctx.tasks.changed.connect(self._changed)
        ctx.tasks.run(lambda s: s.today().year, success=self._start)

    def _start(self, year: int) -> None:
        self.year.setValue(year)  # loads
        if self.model.rowCount() == 0:
            self.load()

    def load(self) -> None:
        year = self.year.value()
        self.ctx.tasks.run(
            lambda s: (PeriodService(s).year_states(year), PeriodService(s).late_changes()),
            success=self._loaded,
        )

    def _loaded(self, result: tuple[list[PeriodState], list[dict[str, Any]]]) -> None:
        states, late = result
        keep = self.table.currentIndex().row()
        self.model.set_rows([{"state": st} for st in states])
        if 0 <= keep < len(states):
            self.table.selectRow(keep)
        self._show_late(late)
        self._selected()

    @property
    def states(self) -> list[PeriodState]:
        return [x["state"] for x in self.model.rows]

    def _show_late(self, late: list[dict[str, Any]]) -> None:
        if not late:
            self.late.setText(self.tr("没有审核后的修改。"))
            return
        lines = []
        for r in late[:20]:
            what = "，".join(f"{k} → {v}" for k, v in r["fields"].items())
            note = f"：{r['note']}" if r.get("note") else ""
            table = TABLE_LABELS.get(r["tbl"], r["tbl"])
            lines.append(f"{table}（{what}）—— {VERDICTS.get(r['decision'], r['decision'])}{note}")
        self.late.setText("\n".join(lines))

    def current(self) -> PeriodState | None:
        chosen = self.table.selectionModel().selectedRows()
        row = self.model.row(chosen[0].row()) if chosen else None
        return row["state"] if row else None

    def _selected(self) -> None:
        st = self.current()
        self.submit_button.setEnabled(
            st is not None and st.status not in ("submitted", "approved", "accepted")
        )
        self.withdraw_button.setEnabled(st is not None and st.status == "submitted")
        if st is None:
            self.detail.setText(self.tr("选择一个时段，查看未完成的内容并报送。"))
            return
        period = st.period
        self.ctx.tasks.run(lambda s: PeriodService(s).incomplete(period), success=self._incomplete)

    def _incomplete(self, items: dict[str, int]) -> None:
        st = self.current()
        if st is None:
            return
        lines = incomplete_lines(items)
        text = self.tr("{}：{}").format(st.label, self.tr(st.status_label))
        if lines:
            text += "\n" + self.tr("尚不完整：") + "\n" + "\n".join(f"· {line}" for line in lines)
        else:
            text += "\n" + self.tr("没有不完整的内容。")
        self.detail.setText(text)

    def _submit(self) -> None:
        st = self.current()
        if st is not None:
            period = st.period
            self.ctx.tasks.run(
                lambda s: PeriodService(s).submit(period), success=self._done, failure=self._failed
            )

    def _withdraw(self) -> None:
        st = self.current()
        if st is not None:
            period = st.period
            self.ctx.tasks.run(
                lambda s: PeriodService(s).withdraw(period),
                success=self._done,
                failure=self._failed,
            )

    def _done(self, state: PeriodState) -> None:
        self.message.setText(
            self.tr("{}：{}（下次同步时送达县文化馆）").format(
                state.label, self.tr(state.status_label)
            )
        )

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, ValidationError):
            self.message.setText("；".join(error.errors.values()))
            return
        self.message.setText(str(getattr(error, "message", error)))

    def _changed(self, areas: set[str]) -> None:
        if areas & RELOAD_ON:
            self.load()
