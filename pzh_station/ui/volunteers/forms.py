"""Dialogs of the volunteers page: the volunteer form, a service record, a reason, a correction
request, the corrections list (pending ones or one record's history).

Every dialog saves through ``ctx.tasks`` and stays open with what was typed when the service
refuses (messages at the field); nothing is half-written.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from pzh_core.domain.errors import ValidationError
from pzh_core.domain.person import Person
from pzh_core.domain.volunteer import CORRECTION_STATES, STATUSES, ServiceRecord, Volunteer
from pzh_station.services.photos import save_with_attachments
from pzh_station.services.volunteers import VolunteerService
from pzh_station.ui.context import UiContext
from pzh_station.ui.photos import AttachmentStrip
from pzh_station.ui.volunteers.model import RowsModel, hours_text
from pzh_station.ui.widgets import (
    CheckList,
    DateEdit,
    FieldErrorLabel,
    SavingDialog,
    field_box,
)


def hours_spin() -> QDoubleSpinBox:
    """Hours in steps of 0.5; one decimal so a slip like 1.2 reaches the domain rule's message."""
    spin = QDoubleSpinBox()
    spin.setDecimals(1)
    spin.setSingleStep(0.5)
    spin.setRange(0, 24)
    spin.setSuffix(" 小时")
    spin.setValue(2)
    return spin


# -- the volunteer form ----------------------------------------------------------------------
class VolunteerDialog(SavingDialog):
    """Add or edit a volunteer: the person's registry entry and the volunteer details.

    A new person who looks like someone already in the registry (a trainee, say) is not added
    twice: the form offers to use that person instead.
    """

    def __init__(
        self, ctx: UiContext, volunteer_id: str | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.volunteer = Volunteer(join_date=dt.date.today().isoformat())
        self.person = Person()
        self.existing: list[dict[str, Any]] = []
        self._setup_errors()
        self.setWindowTitle(self.tr("编辑志愿者") if volunteer_id else self.tr("新增志愿者"))

        self.name_edit = QLineEdit()
        self.gender_combo = QComboBox()
        for text in ("", "男", "女"):
            self.gender_combo.addItem(text or self.tr("（未填）"), text)
        self.birth_edit = QLineEdit()
        self.birth_edit.setPlaceholderText(self.tr("如 1968，可不填"))
        self.phone_edit = QLineEdit()
        self.village_edit = QLineEdit()
        self.ethnicity_edit = QLineEdit()
        self.number_edit = QLineEdit()
        self.number_edit.setPlaceholderText(self.tr("留空则自动编号"))
        self.join_edit = DateEdit()
        self.skills = CheckList("volunteer_skills", columns=3)
        self.team_edit = QLineEdit()
        self.status_combo = QComboBox()
        for code, label in STATUSES.items():
            self.status_combo.addItem(self.tr(label), code)
        self.training_edit = QLineEdit()
        self.awards_edit = QLineEdit()
        self.notes_edit = QPlainTextEdit()
        self.notes_edit.setFixedHeight(60)
        self.use_existing_button = QPushButton()
        self.use_existing_button.hide()
        self.use_existing_button.clicked.connect(self.use_existing)

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        rows = [
            ("name", self.tr("姓名*"), self.name_edit),
            ("gender", self.tr("性别"), self.gender_combo),
            ("birth_year", self.tr("出生年份"), self.birth_edit),
            ("phone", self.tr("电话"), self.phone_edit),
            ("village", self.tr("村(社区)"), self.village_edit),
            ("ethnicity", self.tr("民族"), self.ethnicity_edit),
            ("number", self.tr("志愿者编号"), self.number_edit),
            ("join_date", self.tr("加入日期*"), self.join_edit),
            ("skills", self.tr("服务技能"), self.skills),
            ("team", self.tr("所属团队"), self.team_edit),
            ("status", self.tr("状态"), self.status_combo),
            ("training", self.tr("培训情况"), self.training_edit),
            ("awards", self.tr("获奖情况"), self.awards_edit),
            ("notes", self.tr("备注"), self.notes_edit),
        ]
        for name, label, widget in rows:
            error = self.errors.add(name, widget)
            if name == "name":
                self.errors.labels["person_id"] = error
                box = field_box(widget, error)
                box.layout().addWidget(self.use_existing_button)
                form.addRow(label, box)
            else:
                form.addRow(label, field_box(widget, error))
        inner = QWidget()
        column = QVBoxLayout(inner)
        column.addLayout(form)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.message)
        layout.addWidget(self._buttons(self.tr("保存")))
        self.resize(560, 680)  # fits 1366×768; scrolls when smaller
        if volunteer_id:
            self.save_button.setEnabled(False)
            ctx.tasks.run(
                lambda s: VolunteerService(s).get_with_person(volunteer_id), success=self._loaded
            )

    def _loaded(self, found: tuple[Volunteer, Person] | None) -> None:
        if found:
            self.volunteer, self.person = found
            self.set_values(*found)
        self.save_button.setEnabled(True)

    def set_values(self, v: Volunteer, p: Person) -> None:
        self.name_edit.setText(p.name)
        self.gender_combo.setCurrentIndex(max(0, self.gender_combo.findData(p.gender)))
        self.birth_edit.setText(str(p.birth_year) if p.birth_year else "")
        self.phone_edit.setText(p.phone)
        self.village_edit.setText(p.village)
        self.ethnicity_edit.setText(p.ethnicity)
        self.number_edit.setText(v.number)
        self.join_edit.set_iso(v.join_date)
        self.skills.set_codes(v.skills)
        self.team_edit.setText(v.team)
        self.status_combo.setCurrentIndex(max(0, self.status_combo.findData(v.status)))
        self.training_edit.setText(v.training)
        self.awards_edit.setText(v.awards)
        self.notes_edit.setPlainText(v.notes)

    def form_values(self) -> tuple[Volunteer, Person]:
        birth = self.birth_edit.text().strip()
        person = Person(
            id=self.person.id,
            name=self.name_edit.text().strip(),
            gender=self.gender_combo.currentData() or "",
            birth_year=int(birth) if birth.isdigit() else (0 if not birth else -1),
            phone=self.phone_edit.text().strip(),
            village=self.village_edit.text().strip(),
            ethnicity=self.ethnicity_edit.text().strip(),
            notes=self.person.notes,
            created_by=self.person.created_by,
        )
        vol = Volunteer(
            id=self.volunteer.id,
            person_id=self.volunteer.person_id,
            number=self.number_edit.text().strip(),
            join_date=self.join_edit.iso(),
            skills=self.skills.codes(),
            team=self.team_edit.text().strip(),
            status=self.status_combo.currentData(),
            training=self.training_edit.text().strip(),
            awards=self.awards_edit.text().strip(),
            notes=self.notes_edit.toPlainText().strip(),
            created_by=self.volunteer.created_by,
        )
        return vol, person

    def save(self) -> None:
        vol, person = self.form_values()
        self.use_existing_button.hide()
        self._run_save(
            lambda s: VolunteerService(s).save(vol, person, check_duplicates=True),
        )

    def _failed(self, error: Exception) -> None:
        super()._failed(error)
        existing = getattr(error, "existing", None)
        if existing:
            self.existing = existing
            self.use_existing_button.setText(
                self.tr("使用登记册中的“{}”").format(existing[0]["name"])
            )
            self.use_existing_button.show()

    def use_existing(self) -> None:
        """Make the volunteer the person already in the registry (keeps what was typed for
        the volunteer details; empty person fields take the registry's values)."""
        if not self.existing:
            return
        pid = self.existing[0]["id"]
        self.use_existing_button.hide()
        self.errors.clear()
        self.ctx.tasks.run(lambda s: VolunteerService(s).people.get(pid), success=self._use_person)

    def _use_person(self, person: Person | None) -> None:
        if person is None:
            return
        self.person = person
        self.volunteer.person_id = person.id or ""
        vol, _ = self.form_values()
        self.set_values(vol, person)
        self.message.set_message(self.tr("已选用登记册中的此人，请核对后保存"))


# -- a service record ------------------------------------------------------------------------
class RecordDialog(SavingDialog):
    """Record a service (or fix one not yet verified).

    :param recorder: the staff member recording it.
    """

    def __init__(
        self,
        ctx: UiContext,
        record: ServiceRecord | None = None,
        parent: QWidget | None = None,
        *,
        recorder: str = "",
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.record = record or ServiceRecord(date=dt.date.today().isoformat(), hours=2.0)
        self.recorder = recorder
        self.warnings: dict[str, str] = {}
        self._setup_errors()
        self.setWindowTitle(self.tr("修改服务记录") if self.record.id else self.tr("登记服务时长"))

        self.volunteer_combo = QComboBox()
        self.volunteer_combo.setEditable(True)
        self.volunteer_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.volunteer_combo.lineEdit().setPlaceholderText(self.tr("输入姓名或编号查找"))
        self.date_edit = DateEdit()
        self.hours_spin = hours_spin()
        self.activity_combo = QComboBox()
        self.class_combo = QComboBox()
        self.description_edit = QLineEdit()
        self.description_edit.setPlaceholderText(self.tr("如：文艺演出、展览讲解、图书整理"))
        form = QFormLayout()
        for name, label, widget in (
            ("volunteer_id", self.tr("志愿者*"), self.volunteer_combo),
            ("activity_id", self.tr("关联活动"), self.activity_combo),
            ("class_id", self.tr("关联培训班"), self.class_combo),
            ("date", self.tr("服务日期*"), self.date_edit),
            ("hours", self.tr("服务时长*"), self.hours_spin),
            ("description", self.tr("服务内容*"), self.description_edit),
        ):
            form.addRow(label, field_box(widget, self.errors.add(name, widget)))
        self.photos = AttachmentStrip(ctx, "service_records")
        form.addRow(
            self.tr("照片/附件"),
            field_box(self.photos, self.errors.add("attachments", self.photos)),
        )
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self._buttons(self.tr("保存")))
        self.photos.busy_changed.connect(lambda busy: self.save_button.setDisabled(busy))
        self.photos.load(self.record.id)
        self.resize(560, 560)
        self.date_edit.set_iso(self.record.date)
        self.hours_spin.setValue(float(self.record.hours or 0))
        self.description_edit.setText(self.record.description)
        self.activity_combo.currentIndexChanged.connect(self._activity_chosen)
        self.class_combo.currentIndexChanged.connect(self._class_chosen)
        self.save_button.setEnabled(False)
        self.activities: list[dict[str, Any]] = []
        self.classes: list[dict[str, Any]] = []
        ctx.tasks.run(
            lambda s: (
                VolunteerService(s).active(),
                VolunteerService(s).activity_choices(),
                VolunteerService(s).class_choices(),
            ),
            success=self._choices,
        )

    def _choices(
        self, result: tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]
    ) -> None:
        volunteers, self.activities, self.classes = result
        self.volunteer_combo.addItem("", "")
        for v in volunteers:
            self.volunteer_combo.addItem(f"{v['name']}（{v['number']}）", v["id"])
        completer = QCompleter(self.volunteer_combo.model(), self.volunteer_combo)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.volunteer_combo.setCompleter(completer)
        self.volunteer_combo.setCurrentIndex(
            max(0, self.volunteer_combo.findData(self.record.volunteer_id))
        )
        self.activity_combo.blockSignals(True)
        self.activity_combo.addItem(self.tr("（无）"), "")
        for a in self.activities:
            self.activity_combo.addItem(f"{a['date']} {a['title']}", a["id"])
        self.activity_combo.setCurrentIndex(
            max(0, self.activity_combo.findData(self.record.activity_id))
        )
        self.activity_combo.blockSignals(False)
        self.class_combo.blockSignals(True)
        self.class_combo.addItem(self.tr("（无）"), "")
        for c in self.classes:
            self.class_combo.addItem(
                f"{c['name']}（{c['start_date']}起）" if c["start_date"] else c["name"], c["id"]
            )
        self.class_combo.setCurrentIndex(max(0, self.class_combo.findData(self.record.class_id)))
        self.class_combo.blockSignals(False)
        self.save_button.setEnabled(True)

    def set_volunteer(self, volunteer_id: str) -> None:
        self.volunteer_combo.setCurrentIndex(max(0, self.volunteer_combo.findData(volunteer_id)))

    def _activity_chosen(self, _index: int) -> None:
        act = next(
            (a for a in self.activities if a["id"] == self.activity_combo.currentData()), None
        )
        if act is not None:
            self.date_edit.set_iso(act["date"])
            if not self.description_edit.text().strip():
                self.description_edit.setText(act["title"])

    def _class_chosen(self, _index: int) -> None:
        cls = next((c for c in self.classes if c["id"] == self.class_combo.currentData()), None)
        if cls is not None and not self.description_edit.text().strip():
            self.description_edit.setText(self.tr("培训班服务：{}").format(cls["name"]))

    def form_record(self) -> ServiceRecord:
        index = self.volunteer_combo.findText(self.volunteer_combo.currentText())
        vid = self.volunteer_combo.itemData(index) if index >= 0 else ""
        return ServiceRecord(
            **{
                **self.record.__dict__,
                "volunteer_id": vid or "",
                "date": self.date_edit.iso(),
                "hours": round(self.hours_spin.value(), 1),
                "description": self.description_edit.text().strip(),
                "activity_id": self.activity_combo.currentData() or "",
                "class_id": self.class_combo.currentData() or "",
                "recorded_by": self.record.recorded_by or self.recorder,
            }
        )

    def save(self) -> None:
        if self.photos.busy:
            return
        rec = self.form_record()
        edits = self.photos.edits()
        self._run_save(
            lambda s: save_with_attachments(
                s,
                "service_records",
                lambda: VolunteerService(s).save_record(rec),
                edits,
                id_of=lambda saved: saved.id,
            )
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
