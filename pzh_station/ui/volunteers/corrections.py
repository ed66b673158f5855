"""Reasons (reject a record, refuse a correction), a correction request, and the corrections list
(the pending ones, or one record's history)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from pzh_core.domain.errors import ValidationError
from pzh_core.domain.volunteer import CORRECTION_STATES
from pzh_station.services.volunteers import VolunteerService
from pzh_station.ui.context import UiContext
from pzh_station.ui.volunteers.common import hours_spin, hours_text
from pzh_station.ui.widgets import (
    DateEdit,
    FieldErrorLabel,
    RowsModel,
    SavingDialog,
    field_box,
)


# -- a reason (reject, refuse a correction) --------------------------------------------------
class ReasonDialog(SavingDialog):
    """Asks for a reason and runs ``action(services, reason)``."""

    def __init__(
        self, ctx: UiContext, title: str, prompt: str, action: Any, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.action = action
        self._setup_errors()
        self.setWindowTitle(title)
        self.reason_edit = QPlainTextEdit()
        self.reason_edit.setFixedHeight(80)
        error = self.errors.add("reason", self.reason_edit)
        for key in ("reject_reason", "decision_note"):
            self.errors.labels[key] = error
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(prompt))
        layout.addWidget(self.reason_edit)
        layout.addWidget(error)
        layout.addWidget(self.message)
        layout.addWidget(self._buttons(self.tr("确定")))
        self.resize(420, 220)

    def save(self) -> None:
        reason = self.reason_edit.toPlainText().strip()
        self._run_save(lambda s: self.action(s, reason))


# -- a correction request --------------------------------------------------------------------
class CorrectionDialog(SavingDialog):
    """Ask to correct a verified record: the new values and why. The record keeps its values
    until another staff member approves."""

    def __init__(
        self,
        ctx: UiContext,
        row: dict[str, Any],
        parent: QWidget | None = None,
        *,
        requester: str = "",
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.row = row
        self.requester = requester
        self._setup_errors()
        self.setWindowTitle(self.tr("申请更正服务记录"))
        current = QLabel(
            self.tr("原记录：{} {}，{} 小时，{}").format(
                row["date"], row.get("name") or "", hours_text(row["hours"]), row["description"]
            )
        )
        current.setWordWrap(True)
        self.date_edit = DateEdit()
        self.date_edit.set_iso(row["date"])
        self.hours_spin = hours_spin()
        self.hours_spin.setValue(float(row["hours"]))
        self.description_edit = QLineEdit(row["description"])
        self.reason_edit = QLineEdit()
        self.reason_edit.setPlaceholderText(self.tr("如：志愿者本人申请，漏记布展时间"))
        form = QFormLayout()
        for name, label, widget in (
            ("date", self.tr("服务日期"), self.date_edit),
            ("hours", self.tr("服务时长"), self.hours_spin),
            ("description", self.tr("服务内容"), self.description_edit),
            ("reason", self.tr("更正原因*"), self.reason_edit),
        ):
            form.addRow(label, field_box(widget, self.errors.add(name, widget)))
        self.errors.labels["proposed"] = self.message
        layout = QVBoxLayout(self)
        layout.addWidget(current)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self._buttons(self.tr("提交更正申请")))
        self.resize(520, 320)

    def proposed(self) -> dict[str, Any]:
        values = {
            "date": self.date_edit.iso(),
            "hours": round(self.hours_spin.value(), 1),
            "description": self.description_edit.text().strip(),
        }
        return {k: v for k, v in values.items() if v != self.row[k]}

    def save(self) -> None:
        proposed, reason, rid, who = (
            self.proposed(),
            self.reason_edit.text(),
            self.row["id"],
            self.requester,
        )
        self._run_save(
            lambda s: VolunteerService(s).request_correction(
                rid, proposed, reason, requested_by=who
            ),
        )


# -- corrections: pending ones, or one record's history --------------------------------------
def _summary(values: dict[str, Any]) -> str:
    names = {
        "date": "日期",
        "hours": "时长",
        "description": "内容",
        "activity_id": "关联活动",
        "class_id": "关联培训班",
    }
    return "；".join(
        f"{names.get(k, k)}：{hours_text(v) if k == 'hours' else v}"
        for k, v in values.items()
        if k in names
    )


class CorrectionsDialog(QDialog):
    """Correction requests waiting for a decision (``record_id`` None) or the full history of one
    record. Approve / refuse act as ``decider``."""

    def __init__(
        self,
        ctx: UiContext,
        parent: QWidget | None = None,
        *,
        decider: str = "",
        record_id: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.decider = decider
        self.record_id = record_id
        self.reason_dialog: ReasonDialog | None = None
        self.setWindowTitle(self.tr("更正历史") if record_id else self.tr("待审批的更正申请"))
        self.model = RowsModel(
            ctx.tasks,
            [
                ("志愿者", lambda r: r.get("name", "")),
                ("原记录", lambda r: _summary({k: r["before"].get(k) for k in r["proposed"]})),
                ("更正为", lambda r: _summary(r["proposed"])),
                ("原因", lambda r: r["reason"]),
                ("申请人", lambda r: r["requested_by"]),
                ("状态", lambda r: CORRECTION_STATES.get(r["status"], r["status"])),
                ("审批人", lambda r: r["decided_by"]),
                ("审批日期", lambda r: r["decided_on"]),
                ("说明", lambda r: r["decision_note"]),
            ],
            self,
        )
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.approve_button = QPushButton(self.tr("批准更正"))
        self.refuse_button = QPushButton(self.tr("不批准…"))
        self.close_button = QPushButton(self.tr("关闭"))
        self.message = FieldErrorLabel()
        self.message.setObjectName("form_message")
        buttons = QHBoxLayout()
        buttons.addWidget(QLabel(self.tr("审批人：{}").format(decider or self.tr("（未选择）"))))
        buttons.addStretch(1)
        for b in (self.approve_button, self.refuse_button, self.close_button):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.resize(900, 420)
        self.approve_button.clicked.connect(self.approve)
        self.refuse_button.clicked.connect(self.refuse)
        self.close_button.clicked.connect(self.accept)
        ctx.tasks.changed.connect(self._changed)
        self.reload()

    def reload(self) -> None:
        rid = self.record_id
        self.model.reload(
            lambda s: (
                VolunteerService(s).corrections(rid)
                if rid
                else VolunteerService(s).pending_corrections()
            )
        )

    def _changed(self, areas: set[str]) -> None:
        if "volunteers" in areas and self.isVisible():
            self.reload()

    def selected(self) -> dict[str, Any] | None:
        rows = self.table.selectionModel().selectedRows()
        row = self.model.row(rows[0].row()) if rows else None
        return row if row and row["status"] == "requested" else None

    def approve(self) -> None:
        row = self.selected()
        if row is None:
            self.message.set_message(self.tr("请先选择一条待审批的申请"))
            return
        cid, who = row["id"], self.decider
        self.message.set_message("")
        self.ctx.tasks.run(
            lambda s: VolunteerService(s).decide_correction(cid, approve=True, decided_by=who),
            success=lambda _r: self.message.set_message(self.tr("已批准，服务记录已更正")),
            failure=self._failed,
        )

    def refuse(self) -> None:
        row = self.selected()
        if row is None:
            self.message.set_message(self.tr("请先选择一条待审批的申请"))
            return
        cid, who = row["id"], self.decider
        self.reason_dialog = ReasonDialog(
            self.ctx,
            self.tr("不批准更正"),
            self.tr("请填写不批准的理由："),
            lambda s, note: VolunteerService(s).decide_correction(
                cid, approve=False, decided_by=who, note=note
            ),
            self,
        )
        self.reason_dialog.open()

    def _failed(self, error: Exception) -> None:
        self.message.set_message(
            "；".join(error.errors.values())
            if isinstance(error, ValidationError)
            else getattr(error, "message", str(error))
        )
