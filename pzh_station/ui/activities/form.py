"""The activity form (活动登记): every field of an Activity, messages at the field.

Saving runs ``ActivityService.save`` on the database thread. A ``ValidationError`` puts each
message under its field; a ``StoreError`` (read-only file, full disk …) is shown in the form's
message line. In both cases the dialog stays open with what the user typed, and nothing is saved.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from pzh_core.domain.activity import Activity
from pzh_core.text import clean
from pzh_station.services.activities import ActivityService
from pzh_station.services.photos import save_with_attachments
from pzh_station.services.teams import TeamService
from pzh_station.ui.context import UiContext
from pzh_station.ui.photos import AttachmentStrip
from pzh_station.ui.widgets import (
    CheckList,
    DateEdit,
    RefCombo,
    SavingDialog,
    TimeEdit,
)


class ActivityDialog(SavingDialog):
    """Add, edit or duplicate an activity.

    :param activity: the record to edit; ``id is None`` means it is saved as a new one.
    """

    # saved(str): the id of the saved activity (SavingDialog.saved)

    def __init__(
        self,
        ctx: UiContext,
        activity: Activity | None = None,
        parent: QWidget | None = None,
        *,
        title: str = "",
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.activity = activity or Activity()
        self.saving = False
        self.setWindowTitle(
            title or (self.tr("编辑活动") if self.activity.id else self.tr("新增活动"))
        )
        self.setMinimumWidth(560)
        self._setup_errors()
        self.buttons = self._buttons(self.tr("保存"), history=("activities", self._activity_id))
        layout = QVBoxLayout(self)
        layout.addWidget(self._build_form(), 1)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.resize(600, 680)  # fits 1366×768 with the taskbar; scrolls when smaller
        self.set_activity(self.activity)
        self.photos.load(self.activity.id)
        self.ctx.tasks.run(lambda s: TeamService(s).choices(), success=self._teams_loaded)

    def _activity_id(self) -> str | None:
        return self.activity.id

    def _build_fields(self) -> None:
        self.title_edit = QLineEdit()
        self.title_edit.setPlaceholderText(self.tr("如：重阳节文艺汇演"))
        self.date_edit = DateEdit()
        self.start_edit = TimeEdit()
        self.end_edit = TimeEdit()
        self.place_edit = QLineEdit()
        self.kind_combo = RefCombo("activity_kinds", empty=self.tr("（请选择）"))
        self.delivery_combo = RefCombo("delivery_modes")
        self.organiser_edit = QLineEdit()
        self.partners_edit = QLineEdit()
        self.partners_edit.setPlaceholderText(self.tr("社会力量、协办单位，可不填"))
        self.attendance_edit = QLineEdit()
        self.attendance_edit.setPlaceholderText(self.tr("参与人次，整数"))
        self.groups = CheckList("target_groups", columns=3)
        self.brand_combo = RefCombo("brands", empty=self.tr("（无）"))
        self.team_combo = QComboBox()  # filled from the team registry on the DB thread
        self.team_combo.addItem(self.tr("（无）"), "")
        self.notes_edit = QPlainTextEdit()
        self.notes_edit.setFixedHeight(70)
        self.photos = AttachmentStrip(self.ctx, "activities")
        self.photos.busy_changed.connect(lambda busy: self.save_button.setDisabled(busy))

    def _build_form(self) -> QScrollArea:
        """Every field with its message under it, in a scroll area (small screens)."""
        self._build_fields()
        form = self._form(
            [
                (self.tr("活动名称*"), self.title_edit, "title"),
                (self.tr("日期*"), self.date_edit, "date"),
                (self.tr("开始时间"), self.start_edit, "start_time"),
                (self.tr("结束时间"), self.end_edit, "end_time"),
                (self.tr("地点"), self.place_edit, "place"),
                (self.tr("活动类型*"), self.kind_combo, "kind"),
                (self.tr("服务方式*"), self.delivery_combo, "delivery"),
                (self.tr("主办单位"), self.organiser_edit, "organiser"),
                (self.tr("合作单位"), self.partners_edit, "partners"),
                (self.tr("参与人次"), self.attendance_edit, "attendance"),
                (self.tr("服务对象"), self.groups, "target_groups"),
                (self.tr("活动品牌"), self.brand_combo, "brand"),
                (self.tr("表演团队"), self.team_combo, "team_id"),
                (self.tr("备注"), self.notes_edit, "notes"),
                (self.tr("照片/附件"), self.photos, "attachments"),
            ]
        )
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        if self.activity.id and self.activity.created_by:
            # who entered it stays as it was (the service keeps created_by on edits)
            form.addRow(self.tr("录入人"), QLabel(self.activity.created_by))
        return self._scrolled(form)  # extra height below the form, not into the notes row

    def _teams_loaded(self, teams: list[tuple[str, str]]) -> None:
        """The registry's teams (and the activity's own, even if dissolved since)."""
        wanted = self.activity.team_id
        for team_id, name in teams:
            self.team_combo.addItem(name, team_id)
        if wanted and self.team_combo.findData(wanted) < 0:
            self.team_combo.addItem(self.tr("（已删除的团队）"), wanted)
        self.team_combo.setCurrentIndex(max(0, self.team_combo.findData(wanted)))

    # -- form ⇄ record -------------------------------------------------------------------
    def set_activity(self, a: Activity) -> None:
        self.title_edit.setText(a.title)
        self.date_edit.set_iso(a.date)
        self.start_edit.set_value(a.start_time)
        self.end_edit.set_value(a.end_time)
        self.place_edit.setText(a.place)
        self.kind_combo.set_code(a.kind)
        self.delivery_combo.set_code(a.delivery)
        self.organiser_edit.setText(a.organiser)
        self.partners_edit.setText(a.partners)
        self.attendance_edit.setText(str(a.attendance) if a.attendance else "")
        self.groups.set_codes(a.target_groups)
        self.brand_combo.set_code(a.brand)
        self.notes_edit.setPlainText(a.notes)
        if self.team_combo.findData(a.team_id) >= 0:
            self.team_combo.setCurrentIndex(self.team_combo.findData(a.team_id))

    def form_activity(self) -> Activity:
        """The record as the form now says. An attendance that is not a whole number is passed
        on as typed, so the domain rule (not the widget) words the message."""
        text = clean(self.attendance_edit.text(), "number")
        attendance: int | str
        try:
            attendance = int(text) if text else 0
        except ValueError:
            attendance = text
        return replace(
            self.activity,
            title=self.title_edit.text().strip(),
            date=self.date_edit.iso(),
            start_time=self.start_edit.value(),
            end_time=self.end_edit.value(),
            place=self.place_edit.text().strip(),
            kind=self.kind_combo.code(),
            delivery=self.delivery_combo.code(),
            organiser=self.organiser_edit.text().strip(),
            partners=self.partners_edit.text().strip(),
            attendance=attendance,  # type: ignore[arg-type]
            target_groups=self.groups.codes(),
            brand=self.brand_combo.code(),
            notes=self.notes_edit.toPlainText().strip(),
            team_id=self.team_combo.currentData() or "",
        )

    # -- saving --------------------------------------------------------------------------
    def save(self) -> None:
        if self.saving:
            return
        if self.photos.busy:
            return
        activity = self.form_activity()
        edits = self.photos.edits()
        self._run_save(
            lambda s: save_with_attachments(
                s, "activities", lambda: ActivityService(s).save(activity), edits
            )
        )
