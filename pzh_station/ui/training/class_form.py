"""The class form (培训班): name, art form, teacher, venue, dates, capacity, status, completion
share. Messages appear at the field; nothing is saved until every field passes."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from pzh_core.domain import training as d
from pzh_core.domain.training import TrainingClass
from pzh_station.services.training import TrainingService
from pzh_station.ui.context import UiContext
from pzh_station.ui.widgets import OptionalDateEdit, RefCombo, SavingDialog


class ClassDialog(SavingDialog):
    """``saved`` carries the class id."""

    def __init__(
        self, ctx: UiContext, cls: TrainingClass | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.cls = cls or TrainingClass()
        self.setWindowTitle(self.tr("编辑培训班") if self.cls.id else self.tr("新建培训班"))
        self.setMinimumWidth(460)
        c = self.cls
        self.name_edit = QLineEdit(c.name)
        self.name_edit.setPlaceholderText(self.tr("如：2026年春季广场舞班"))
        self.art_combo = RefCombo("art_forms")
        self.art_combo.set_code(c.art_form)
        self.teacher_edit = QLineEdit(c.teacher)
        self.venue_edit = QLineEdit(c.venue)
        self.start_edit = OptionalDateEdit(empty_text=self.tr("未定"))
        self.start_edit.set_iso(c.start_date)
        self.end_edit = OptionalDateEdit(empty_text=self.tr("未定"))
        self.end_edit.set_iso(c.end_date)
        self.capacity_spin = QSpinBox()
        self.capacity_spin.setRange(0, d.MAX_CAPACITY)
        self.capacity_spin.setSpecialValueText(self.tr("不限"))
        self.capacity_spin.setValue(c.capacity)
        self.status_combo = QComboBox()
        for code in d.STATUSES:
            self.status_combo.addItem(self.tr(d.STATUS_LABELS[code]), code)
        self.status_combo.setCurrentIndex(max(self.status_combo.findData(c.status), 0))
        self.share_spin = QSpinBox()
        self.share_spin.setRange(1, 100)
        self.share_spin.setSuffix(" %")
        self.share_spin.setValue(round((c.completion_share or d.DEFAULT_COMPLETION_SHARE) * 100))
        self.share_spin.setToolTip(self.tr("出勤次数达到已上课次的这个比例即为结业"))
        self.notes_edit = QLineEdit(c.notes)
        self._setup_errors()
        form = self._form(
            (
                (self.tr("名称"), self.name_edit, "name"),
                (self.tr("艺术门类"), self.art_combo, "art_form"),
                (self.tr("授课老师"), self.teacher_edit, "teacher"),
                (self.tr("地点"), self.venue_edit, "venue"),
                (self.tr("开始日期"), self.start_edit, "start_date"),
                (self.tr("结束日期"), self.end_edit, "end_date"),
                (self.tr("人数上限"), self.capacity_spin, "capacity"),
                (self.tr("状态"), self.status_combo, "status"),
                (self.tr("结业出勤比例"), self.share_spin, "completion_share"),
                (self.tr("备注"), self.notes_edit, "notes"),
            )
        )
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self._buttons(self.tr("保存"), history=("classes", lambda: self.cls.id)))

    def collect(self) -> TrainingClass:
        return TrainingClass(
            id=self.cls.id,
            name=self.name_edit.text(),
            art_form=self.art_combo.code(),
            teacher=self.teacher_edit.text().strip(),
            venue=self.venue_edit.text().strip(),
            start_date=self.start_edit.iso(),
            end_date=self.end_edit.iso(),
            capacity=self.capacity_spin.value(),
            status=self.status_combo.currentData(),
            completion_share=self.share_spin.value() / 100,
            notes=self.notes_edit.text().strip(),
            created_by=self.cls.created_by,
        )

    def save(self) -> None:
        cls = self.collect()
        self._run_save(lambda s: TrainingService(s).save_class(cls))
