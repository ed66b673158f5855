"""The people registry (人员登记册): find, register, edit, merge two entries of one person, and
erase a person's personal data on their request (the volunteer archive's dialog, for trainees).

Merging asks for confirmation in the dialog itself (no modal box), then moves every enrollment,
attendance mark, volunteer record and service record of the duplicate to the person kept.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from pzh_station.services.people import PeopleService
from pzh_station.ui.context import UiContext
from pzh_station.ui.training.people import PersonDialog, PersonSearch, PickPersonDialog, describe
from pzh_station.ui.training.sessions import _error_text
from pzh_station.ui.widgets.erase_dialog import EraseDialog


class PeopleRegistryDialog(QDialog):
    merged = Signal(str)  # id of the person kept

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(self.tr("人员登记册"))
        self.resize(560, 560)
        self.dialog: QDialog | None = None
        self.drop_row: dict[str, Any] | None = None
        self.keep_row: dict[str, Any] | None = None
        self.search = PersonSearch(ctx, self, limit=100)
        self.new_button = QPushButton(self.tr("新登记…"))
        self.edit_button = QPushButton(self.tr("编辑…"))
        self.merge_button = QPushButton(self.tr("合并重复…"))
        self.merge_button.setToolTip(
            self.tr("把所选人员并入另一条登记（同一个人登记了两次时使用）")
        )
        self.erase_button = QPushButton(self.tr("注销个人信息…"))
        self.erase_button.setToolTip(
            self.tr("按本人申请注销所选人员的个人信息（报名、签到和统计数字保留）")
        )
        self.close_button = QPushButton(self.tr("关闭"))
        bar = QHBoxLayout()
        for b in (self.new_button, self.edit_button, self.merge_button, self.erase_button):
            bar.addWidget(b)
        bar.addStretch(1)
        bar.addWidget(self.close_button)
        self.confirm_box = QWidget()
        cb = QVBoxLayout(self.confirm_box)
        cb.setContentsMargins(0, 0, 0, 0)
        self.confirm_label = QLabel()
        self.confirm_label.setWordWrap(True)
        self.confirm_button = QPushButton(self.tr("确认合并"))
        self.cancel_merge_button = QPushButton(self.tr("取消"))
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.confirm_button)
        row.addWidget(self.cancel_merge_button)
        cb.addWidget(self.confirm_label)
        cb.addLayout(row)
        self.confirm_box.hide()
        self.message = QLabel()
        self.message.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search, 1)
        layout.addWidget(self.confirm_box)
        layout.addWidget(self.message)
        layout.addLayout(bar)
        self.new_button.clicked.connect(self.new_person)
        self.edit_button.clicked.connect(self.edit_person)
        self.merge_button.clicked.connect(self.start_merge)
        self.erase_button.clicked.connect(self.erase_person)
        self.confirm_button.clicked.connect(self.confirm_merge)
        self.cancel_merge_button.clicked.connect(self.confirm_box.hide)
        self.close_button.clicked.connect(self.accept)
        self.search.search()

    def new_person(self) -> None:
        self._open(PersonDialog(self.ctx, None, self))

    def edit_person(self) -> None:
        row = self.search.current()
        if row:
            pid = row["id"]
            self.ctx.tasks.run(
                lambda s: PeopleService(s).get(pid),
                success=lambda p: p and self._open(PersonDialog(self.ctx, p, self)),
            )

    def erase_person(self) -> None:
        """注销个人信息 of the selected person (issue 13, §5), confirmed in the shared dialog."""
        row = self.search.current()
        if not row:
            self.message.setText(self.tr("请先在列表中选中要注销的人员"))
            return
        if row.get("erased_on"):
            self.message.setText(self.tr("此人的个人信息已于 {} 注销").format(row["erased_on"]))
            return
        self.message.setText("")
        dlg = EraseDialog(self.ctx, row["id"], describe(row), self)
        dlg.saved.connect(lambda _r: self._erased())
        self.dialog = dlg
        dlg.show()

    def _erased(self) -> None:
        self.message.setText(self.tr("个人信息已注销（报名、签到和统计数字保留）"))
        self.search.search()

    def _open(self, dlg: QDialog) -> None:
        if isinstance(dlg, PersonDialog):
            dlg.saved.connect(lambda _id: self.search.search())
        self.dialog = dlg
        dlg.show()

    def start_merge(self) -> None:
        """Step 1: the selected person is the duplicate; pick the one to keep."""
        row = self.search.current()
        if not row:
            self.message.setText(self.tr("请先在列表中选中要并掉的那条登记"))
            return
        self.drop_row = row
        dlg = PickPersonDialog(
            self.ctx,
            self,
            title=self.tr("把“{}”并入：选择保留的人员").format(row["name"]),
            exclude=(row["id"],),
        )
        dlg.search.edit.setText(row["name"])
        dlg.picked.connect(self.ask_merge)
        self.dialog = dlg
        dlg.show()

    def ask_merge(self, keep_id: str) -> None:
        """Step 2: say exactly what will happen, and wait for 确认合并."""
        self.ctx.tasks.run(lambda s: PeopleService(s).get(keep_id), success=self._ask)

    def _ask(self, keep: Any) -> None:
        if keep is None or self.drop_row is None:
            return
        self.keep_row = {
            "id": keep.id,
            "name": keep.name,
            "gender": keep.gender,
            "birth_year": keep.birth_year,
            "phone": keep.phone,
            "village": keep.village,
        }
        self.confirm_label.setText(
            self.tr(
                "将“{}”并入“{}”：前者的报名、签到、志愿者档案和服务记录全部转到后者，后者缺少的信息从前者补上。"
                "合并后前者不再出现在搜索中。"
            ).format(describe(self.drop_row), describe(self.keep_row))
        )
        self.confirm_box.show()

    def confirm_merge(self) -> None:
        if not (self.drop_row and self.keep_row):
            return
        keep, drop = self.keep_row["id"], self.drop_row["id"]
        self.ctx.tasks.run(
            lambda s: PeopleService(s).merge(keep, drop),
            success=lambda _r: self._merged(keep),
            failure=lambda e: self.message.setText(_error_text(e)),
        )

    def _merged(self, keep_id: str) -> None:
        self.confirm_box.hide()
        self.message.setText(self.tr("已合并。"))
        self.drop_row = self.keep_row = None
        self.search.search()
        self.merged.emit(keep_id)
