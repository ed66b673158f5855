"""The service record form: one volunteer's service on one day."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QFormLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from pzh_core.domain.volunteer import ServiceRecord
from pzh_station.services.photos import save_with_attachments
from pzh_station.services.volunteers import VolunteerService
from pzh_station.ui.context import UiContext
from pzh_station.ui.photos import AttachmentStrip
from pzh_station.ui.volunteers.common import hours_spin
from pzh_station.ui.widgets import (
    DateEdit,
    SavingDialog,
)


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

        self.activities: list[dict[str, Any]] = []
        self.classes: list[dict[str, Any]] = []
        layout = QVBoxLayout(self)
        layout.addLayout(self._build_form())
        layout.addWidget(self.message)
        layout.addWidget(
            self._buttons(self.tr("保存"), history=("service_records", lambda: self.record.id))
        )
        self.photos.busy_changed.connect(lambda busy: self.save_button.setDisabled(busy))
        self.photos.load(self.record.id)
        self.resize(560, 560)
        self.date_edit.set_iso(self.record.date)
        self.hours_spin.setValue(float(self.record.hours or 0))
        self.description_edit.setText(self.record.description)
        self.activity_combo.currentIndexChanged.connect(self._activity_chosen)
        self.class_combo.currentIndexChanged.connect(self._class_chosen)
        self.save_button.setEnabled(False)
        ctx.tasks.run(
            lambda s: (
                VolunteerService(s).active(),
                VolunteerService(s).activity_choices(),
                VolunteerService(s).class_choices(),
            ),
            success=self._choices,
        )

    def _build_form(self) -> QFormLayout:
        """Who, linked to what, when, how long, what was done; photos."""
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
        self.photos = AttachmentStrip(self.ctx, "service_records")
        return self._form(
            [
                (self.tr("志愿者*"), self.volunteer_combo, "volunteer_id"),
                (self.tr("关联活动"), self.activity_combo, "activity_id"),
                (self.tr("关联培训班"), self.class_combo, "class_id"),
                (self.tr("服务日期*"), self.date_edit, "date"),
                (self.tr("服务时长*"), self.hours_spin, "hours"),
                (self.tr("服务内容*"), self.description_edit, "description"),
                (self.tr("照片/附件"), self.photos, "attachments"),
            ]
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
        rec = self.form_record()
        if self.photos.busy:
            return
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
