"""注销个人信息: confirm erasing a person's personal data on their request (个人信息保护法
第四十七条; issue 13, §5). One dialog for every person of the registry — the volunteer archive
and the people registry (trainees) open it; the erasure is ``VolunteerService.erase_person``,
the same as ``pzh-station erase-person``."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from pzh_station.services.volunteers import VolunteerService
from pzh_station.ui.context import UiContext
from pzh_station.ui.widgets.saving_dialog import SavingDialog


class EraseDialog(SavingDialog):
    """Confirm erasing one person's personal data; 确认注销 erases it on the database thread.

    :param who: how the person is named in the text, e.g. ``刘晓梅（ZY2021-0001）``.
    """

    def __init__(
        self, ctx: UiContext, person_id: str, who: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.person_id = person_id
        self._setup_errors()
        self.setWindowTitle(self.tr("注销个人信息"))
        self.text = QLabel(
            self.tr(
                "按本人申请（《个人信息保护法》第四十七条）注销“{}”的个人信息：姓名、证件号码、"
                "电话、出生年份和备注将在本机、本站其他电脑和市服务器上删除，姓名显示为“已注销”。"
                "培训报名和签到、服务记录、已审核时长和统计数字保留。此操作不能撤销。"
            ).format(who)
        )
        self.text.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(self.message)
        layout.addStretch(1)
        layout.addWidget(self._buttons(self.tr("确认注销")))
        self.resize(480, 220)

    def save(self) -> None:
        pid = self.person_id
        self._run_save(lambda s: VolunteerService(s).erase_person(pid))
