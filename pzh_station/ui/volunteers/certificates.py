"""The certificate dialog (出具志愿服务证明, with this volunteer's part of the register) of the
volunteer archive (issue 13, §5); its erasure dialog is the shared ``widgets.erase_dialog``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pzh_station.services.volunteers import CertificateRequest, VolunteerService
from pzh_station.ui.context import UiContext
from pzh_station.ui.volunteers.common import hours_text
from pzh_station.ui.widgets import DateEdit, RowsModel, SavingDialog, field_box, rows_table

REGISTER_COLUMNS = [
    ("证明编号", lambda r: r["number"]),
    ("出具日期", lambda r: r["issued_on"]),
    ("服务期间", lambda r: f"{r['period_from']} 至 {r['period_to']}"),
    ("时长(小时)", lambda r: hours_text(r["hours"])),
    ("经办人", lambda r: r["handler"]),
]


class CertificateDialog(SavingDialog):
    """Issue a certificate: the period and the issuing unit's 负责人, 经办人 and phone; the PDF
    then goes to a file the user picks and the certificate into the register (synced)."""

    def __init__(
        self, ctx: UiContext, volunteer: dict[str, Any], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.volunteer = volunteer
        self._setup_errors()
        self.setWindowTitle(self.tr("出具志愿服务证明"))
        self.who_label = QLabel(
            self.tr("{}（志愿者编号 {}）").format(volunteer["name"], volunteer["number"])
        )
        self.who_label.setWordWrap(True)
        self.from_edit = DateEdit()
        self.to_edit = DateEdit()
        self.unit_edit = QLineEdit()
        self.head_edit = QLineEdit()
        self.handler_edit = QLineEdit()
        self.phone_edit = QLineEdit()
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        for name, label, widget in (
            ("period_from", self.tr("服务开始日期*"), self.from_edit),
            ("period_to", self.tr("服务结束日期*"), self.to_edit),
            ("unit", self.tr("出具单位*"), self.unit_edit),
            ("head", self.tr("单位负责人*"), self.head_edit),
            ("handler", self.tr("经办人*"), self.handler_edit),
            ("phone", self.tr("联系电话*"), self.phone_edit),
        ):
            form.addRow(label, field_box(widget, self.errors.add(name, widget)))
        self.errors.labels["id_number"] = self.errors.labels["period_from"]
        self.register_model = RowsModel(ctx.tasks, REGISTER_COLUMNS, self, align_right=(3,))
        self.register_table = rows_table(self.register_model)
        layout = QVBoxLayout(self)
        layout.addWidget(self.who_label)
        layout.addLayout(form)
        layout.addWidget(QLabel(self.tr("已出具的证明（登记簿）：")))
        layout.addWidget(self.register_table, 1)
        layout.addWidget(self.message)
        layout.addWidget(self._buttons(self.tr("出具证明(PDF)…")))
        self.resize(620, 600)
        self.save_button.setEnabled(False)
        vid = volunteer["id"]
        ctx.tasks.run(
            lambda s: (
                VolunteerService(s).certificate_defaults(vid),
                VolunteerService(s).masked_id(vid),
            ),
            success=self._loaded,
        )
        self.register_model.reload(lambda s: VolunteerService(s).register(vid))

    def _loaded(self, found: tuple[CertificateRequest, str]) -> None:
        req, masked = found
        self.from_edit.set_iso(req.period_from)
        self.to_edit.set_iso(req.period_to)
        self.unit_edit.setText(req.unit)
        self.head_edit.setText(req.head)
        self.handler_edit.setText(req.handler)
        self.phone_edit.setText(req.phone)
        self.who_label.setText(
            self.who_label.text()
            + "  "
            + (masked or self.tr("尚未登记证件号码：请先在“编辑”中登记证件类型和号码"))
        )
        self.save_button.setEnabled(True)

    def request(self) -> CertificateRequest:
        return CertificateRequest(
            volunteer_id=self.volunteer["id"],
            period_from=self.from_edit.iso(),
            period_to=self.to_edit.iso(),
            unit=self.unit_edit.text().strip(),
            head=self.head_edit.text().strip(),
            handler=self.handler_edit.text().strip(),
            phone=self.phone_edit.text().strip(),
        )

    def save(self) -> None:
        path = self.ask_save_path(
            self.tr("保存志愿服务证明"), f"志愿服务证明-{self.volunteer['number']}.pdf"
        )
        if path:
            req = self.request()
            self._run_save(lambda s: VolunteerService(s).write_certificate(req, path))

    def ask_save_path(self, title: str, name: str) -> str:
        """The file to write (a dialog; tests replace this method)."""
        path, _ = QFileDialog.getSaveFileName(self, title, str(Path.home() / name), "PDF (*.pdf)")
        return path


class RegisterDialog(QDialog):
    """The whole certificate register (证明登记簿) of the station, newest first."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("志愿服务证明登记簿"))
        columns = [
            REGISTER_COLUMNS[0],
            REGISTER_COLUMNS[1],
            ("志愿者编号", lambda r: r["volunteer_number"] or ""),
            ("姓名", lambda r: r["name"] or ""),
            *REGISTER_COLUMNS[2:],
            ("单位负责人", lambda r: r["head"]),
        ]
        self.model = RowsModel(ctx.tasks, columns, self, align_right=(5,))
        self.table = rows_table(self.model)
        close = QPushButton(self.tr("关闭"))
        close.clicked.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignRight)
        self.resize(900, 520)
        self.model.reload(lambda s: VolunteerService(s).register())
