"""The amateur art teams page (业余文艺团队): the registry the annual return counts, and which
activities can name as the team that performed. Members and leader are people of the registry."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pzh_core.domain import art_team as rules
from pzh_core.domain import refdata
from pzh_core.domain.art_team import ArtTeam
from pzh_station.services.teams import TeamService
from pzh_station.ui.context import UiContext
from pzh_station.ui.training.people import PickPersonDialog
from pzh_station.ui.widgets import (
    OptionalDateEdit,
    RefCombo,
    RowsModel,
    SavingDialog,
    field_box,
    rows_table,
)
from pzh_station.ui.widgets.rows_model import Formatter


class TeamDialog(SavingDialog):
    """Create or edit one team."""

    def __init__(self, ctx: UiContext, team: dict[str, Any] | None, parent: QWidget) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.team_id = team["id"] if team else None
        self.setWindowTitle(self.tr("编辑团队") if team else self.tr("新建团队"))
        self.resize(520, 520)
        self._setup_errors()
        self.leader_id = ""
        self.picker: PickPersonDialog | None = None
        self._build_fields()
        layout = QVBoxLayout(self)
        layout.addLayout(self._build_form())
        layout.addWidget(self.message)
        layout.addWidget(
            self._buttons(self.tr("保存"), history=("art_teams", lambda: self.team_id))
        )
        self.leader_button.clicked.connect(lambda: self._pick(self._set_leader))
        self.add_member_button.clicked.connect(lambda: self._pick(self._add_member))
        self.remove_member_button.clicked.connect(self._remove_member)
        if team:
            self._fill(team)

    def _build_fields(self) -> None:
        self.name_edit = QLineEdit()
        self.art_combo = RefCombo("art_forms", empty=self.tr("（请选择）"))
        self.leader_label = QLabel(self.tr("（未指定）"))
        self.leader_button = QPushButton(self.tr("选择…"))
        self.members = QListWidget()
        self.add_member_button = QPushButton(self.tr("添加成员…"))
        self.remove_member_button = QPushButton(self.tr("移除"))
        self.founded_edit = OptionalDateEdit(empty_text=self.tr("不详"))
        self.status_combo = QComboBox()
        for code, label in rules.STATUSES.items():
            self.status_combo.addItem(self.tr(label), code)
        self.dissolved_edit = OptionalDateEdit(empty_text=self.tr("—"))
        self.notes_edit = QLineEdit()

    def _build_form(self) -> QFormLayout:
        """Each field with its message under it; the leader and members are chosen from the
        people registry."""
        leader = QHBoxLayout()
        leader.addWidget(self.leader_label, 1)
        leader.addWidget(self.leader_button)
        member_buttons = QHBoxLayout()
        member_buttons.addWidget(self.add_member_button)
        member_buttons.addWidget(self.remove_member_button)
        member_buttons.addStretch(1)
        form = QFormLayout()
        e = self.errors
        form.addRow(self.tr("团队名称"), field_box(self.name_edit, e.add("name", self.name_edit)))
        form.addRow(
            self.tr("艺术门类"), field_box(self.art_combo, e.add("art_form", self.art_combo))
        )
        leader_box = QWidget()
        leader_box.setLayout(leader)
        form.addRow(self.tr("负责人"), field_box(leader_box, e.add("leader_id")))
        form.addRow(self.tr("成员"), field_box(self.members, e.add("members", self.members)))
        form.addRow("", member_buttons)
        form.addRow(
            self.tr("成立日期"), field_box(self.founded_edit, e.add("founded", self.founded_edit))
        )
        form.addRow(self.tr("状态"), field_box(self.status_combo, e.add("status")))
        form.addRow(
            self.tr("解散日期"),
            field_box(self.dissolved_edit, e.add("dissolved_on", self.dissolved_edit)),
        )
        form.addRow(self.tr("备注"), field_box(self.notes_edit, e.add("notes", self.notes_edit)))
        return form

    def _fill(self, team: dict[str, Any]) -> None:
        self.name_edit.setText(team["name"])
        self.art_combo.set_code(team["art_form"])
        self.leader_id = team["leader_id"]
        self.leader_label.setText(team.get("leader_name") or self.tr("（未指定）"))
        for pid, name in zip(team["members"], team.get("member_names", []), strict=False):
            self.add_member(pid, name)
        self.founded_edit.set_iso(team["founded"])
        self.status_combo.setCurrentIndex(max(0, self.status_combo.findData(team["status"])))
        self.dissolved_edit.set_iso(team["dissolved_on"])
        self.notes_edit.setText(team["notes"])

    # -- people ----------------------------------------------------------------------------
    def _pick(self, then) -> None:  # noqa: ANN001
        self.picker = PickPersonDialog(self.ctx, self, title=self.tr("选择人员"))
        self.picker.picked.connect(lambda pid: self._named(pid, then))
        self.picker.open()

    def _named(self, person_id: str, then) -> None:  # noqa: ANN001
        from pzh_station.services.people import PeopleService

        self.ctx.tasks.run(
            lambda s: PeopleService(s).get(person_id),
            success=lambda p: then(person_id, p.name if p else person_id),
        )

    def _set_leader(self, person_id: str, name: str) -> None:
        self.leader_id = person_id
        self.leader_label.setText(name)

    def _add_member(self, person_id: str, name: str) -> None:
        self.add_member(person_id, name)

    def add_member(self, person_id: str, name: str) -> None:
        if person_id in self.member_ids():
            return
        item = QListWidgetItem(name)
        item.setData(256, person_id)  # Qt.UserRole
        self.members.addItem(item)

    def _remove_member(self) -> None:
        for item in self.members.selectedItems():
            self.members.takeItem(self.members.row(item))

    def member_ids(self) -> list[str]:
        return [self.members.item(i).data(256) for i in range(self.members.count())]

    # -- saving ----------------------------------------------------------------------------
    def collect(self) -> ArtTeam:
        return ArtTeam(
            id=self.team_id,
            name=self.name_edit.text().strip(),
            art_form=self.art_combo.code(),
            leader_id=self.leader_id,
            members=self.member_ids(),
            founded=self.founded_edit.iso(),
            status=self.status_combo.currentData(),
            dissolved_on=self.dissolved_edit.iso(),
            notes=self.notes_edit.text().strip(),
        )

    def save(self) -> None:
        team = self.collect()
        self._run_save(lambda s: TeamService(s).save(team))


def _members(t: dict[str, Any]) -> str:
    members = "、".join(t["member_names"])
    return f"{len(t['members'])}人：{members}" if members else "—"


def _status(t: dict[str, Any]) -> str:
    dissolved = f"（{t['dissolved_on']}）" if t["status"] == "dissolved" else ""
    return rules.STATUSES.get(t["status"], t["status"]) + dissolved


# (header, cell): the teams list
COLUMNS: list[tuple[str, Formatter]] = [
    ("团队名称", lambda t: t["name"]),
    ("艺术门类", lambda t: refdata.labels("art_forms").get(t["art_form"], t["art_form"])),
    ("负责人", lambda t: t["leader_name"]),
    ("成员", _members),
    ("成立日期", lambda t: t["founded"] or "不详"),
    ("状态", _status),
]


class TeamsPage(QWidget):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.dialog: TeamDialog | None = None
        self.model = RowsModel(ctx.tasks, COLUMNS, self)
        self.table = rows_table(self.model)
        self.table.horizontalHeader().setStretchLastSection(True)
        for col, width in enumerate((220, 90, 90, 380, 100)):
            self.table.setColumnWidth(col, width)
        self.new_button = QPushButton(self.tr("新建团队…"))
        self.edit_button = QPushButton(self.tr("编辑…"))
        self.delete_button = QPushButton(self.tr("删除"))
        self.count_label = QLabel()
        buttons = QHBoxLayout()
        for b in (self.new_button, self.edit_button, self.delete_button):
            buttons.addWidget(b)
        buttons.addWidget(self.count_label, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        self.new_button.clicked.connect(lambda: self.open_dialog(None))
        self.edit_button.clicked.connect(self._edit_current)
        self.table.doubleClicked.connect(lambda _i: self._edit_current())
        self.delete_button.clicked.connect(self._delete_current)
        self.model.loaded.connect(self._loaded)
        ctx.tasks.changed.connect(self._changed)
        self.load()

    @property
    def teams(self) -> list[dict[str, Any]]:
        return self.model.rows

    def load(self) -> None:
        self.model.reload(lambda s: TeamService(s).rows())

    def _loaded(self) -> None:
        active = sum(1 for t in self.teams if t["status"] == "active")
        self.count_label.setText(
            self.tr("活动中的团队 {} 个，共登记 {} 个").format(active, len(self.teams))
        )

    def _changed(self, areas: set[str]) -> None:
        if areas & {"art_teams", "people", "sync"}:
            self.load()

    def current(self) -> dict[str, Any] | None:
        return self.model.row(self.table.currentIndex().row())

    def open_dialog(self, team: dict[str, Any] | None) -> TeamDialog:
        self.dialog = TeamDialog(self.ctx, team, self)
        self.dialog.open()
        return self.dialog

    def _edit_current(self) -> None:
        team = self.current()
        if team:
            self.open_dialog(team)

    def _delete_current(self) -> None:
        team = self.current()
        if team:
            tid = team["id"]
            self.ctx.tasks.run(lambda s: TeamService(s).delete(tid))
