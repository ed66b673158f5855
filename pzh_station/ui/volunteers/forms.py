"""The volunteer form (a volunteer and the person behind them).

Every dialog of the volunteers page saves through ``ctx.tasks`` (:class:`SavingDialog`) and stays
open with what was typed when the service refuses (messages at the field); nothing is half-written.
The service record form is in :mod:`record_form`, reasons and corrections in :mod:`corrections`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pzh_core.domain.certificate import ID_TYPES, masked_id_number
from pzh_core.domain.person import Person
from pzh_core.domain.volunteer import STATUSES, Volunteer
from pzh_station.services.volunteers import VolunteerService
from pzh_station.ui.context import UiContext
from pzh_station.ui.widgets import (
    CheckList,
    DateEdit,
    SavingDialog,
)


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
        self._build_person_fields()
        self._build_volunteer_fields()
        layout = QVBoxLayout(self)
        layout.addWidget(self._scrolled(self._build_form()), 1)
        layout.addWidget(self.message)
        history = ("volunteers", lambda: self.volunteer.id or volunteer_id)
        layout.addWidget(self._buttons(self.tr("保存"), history=history))
        self.resize(560, 680)  # fits 1366×768; scrolls when smaller
        if volunteer_id:
            self.save_button.setEnabled(False)
            ctx.tasks.run(
                lambda s: VolunteerService(s).get_with_person(volunteer_id), success=self._loaded
            )

    def _build_person_fields(self) -> None:
        """The person's registry entry (and 使用已登记的人 when one looks the same)."""
        self.name_edit = QLineEdit()
        self.gender_combo = QComboBox()
        for text in ("", "男", "女"):
            self.gender_combo.addItem(text or self.tr("（未填）"), text)
        self.birth_edit = QLineEdit()
        self.birth_edit.setPlaceholderText(self.tr("如 1968，可不填"))
        self.phone_edit = QLineEdit()
        self.village_edit = QLineEdit()
        self.ethnicity_edit = QLineEdit()
        self.use_existing_button = QPushButton()
        self.use_existing_button.hide()
        self.use_existing_button.clicked.connect(self.use_existing)

    def _build_volunteer_fields(self) -> None:
        """The volunteer's details: number, ID document, join date, skills, team, status …"""
        self.number_edit = QLineEdit()
        self.number_edit.setPlaceholderText(self.tr("留空则自动编号"))
        self.id_type_combo = QComboBox()
        self.id_type_combo.addItem(self.tr("（未登记）"), "")
        for code, label in ID_TYPES.items():
            self.id_type_combo.addItem(self.tr(label), code)
        self.id_number_edit = QLineEdit()  # never shows a stored number: only the masked hint
        self.id_number_edit.setPlaceholderText(self.tr("仅用于出具志愿服务证明"))
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

    def _build_form(self) -> QFormLayout:
        form = self._form(
            [
                (self.tr("姓名*"), self.name_edit, "name"),
                (self.tr("性别"), self.gender_combo, "gender"),
                (self.tr("出生年份"), self.birth_edit, "birth_year"),
                (self.tr("电话"), self.phone_edit, "phone"),
                (self.tr("村(社区)"), self.village_edit, "village"),
                (self.tr("民族"), self.ethnicity_edit, "ethnicity"),
                (self.tr("志愿者编号"), self.number_edit, "number"),
                (self.tr("证件类型"), self.id_type_combo, "id_type"),
                (self.tr("证件号码"), self.id_number_edit, "id_number"),
                (self.tr("加入日期*"), self.join_edit, "join_date"),
                (self.tr("服务技能"), self.skills, "skills"),
                (self.tr("所属团队"), self.team_edit, "team"),
                (self.tr("状态"), self.status_combo, "status"),
                (self.tr("培训情况"), self.training_edit, "training"),
                (self.tr("获奖情况"), self.awards_edit, "awards"),
                (self.tr("备注"), self.notes_edit, "notes"),
            ]
        )
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        # a refused person (a twin in the registry) is told under the name, with the way out
        self.errors.labels["person_id"] = self.errors.labels["name"]
        name_box = form.itemAt(0, QFormLayout.ItemRole.FieldRole).widget()
        name_box.layout().addWidget(self.use_existing_button)
        return form

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
        self.id_type_combo.setCurrentIndex(max(0, self.id_type_combo.findData(v.id_type)))
        if v.id_number:
            self.id_number_edit.setPlaceholderText(
                self.tr("已登记 {}（留空不变）").format(masked_id_number(v.id_number))
            )
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
            id_type=self.id_type_combo.currentData() or "",
            id_number=self.id_number_edit.text().strip() or self.volunteer.id_number,
        )
        if not vol.id_type and not self.id_number_edit.text().strip():
            vol.id_number = ""  # 未登记: the stored number goes too
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
