"""Import of the volunteer archive from .xlsx/.csv: the file is checked first and every problem
listed by row; nothing is written until the user confirms (all rows, or only the good ones)."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from pzh_station.services.volunteers import ImportResult, VolunteerService
from pzh_station.ui.context import UiContext
from pzh_station.ui.progress import Cancelled, cancelled_text, run_with_progress
from pzh_station.ui.widgets import SavingDialog


class ImportDialog(SavingDialog):
    """:param result: what ``VolunteerService.read_import`` found (nothing written yet)."""

    def __init__(
        self,
        ctx: UiContext,
        result: ImportResult,
        parent: QWidget | None = None,
        *,
        file_name: str = "",
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.result = result
        self._setup_errors()
        self.setWindowTitle(self.tr("导入志愿者档案"))
        updates = sum(1 for _p, v in result.good if v.id)
        self.summary = QLabel(
            self.tr("{}：共 {} 行，{} 行无误（其中 {} 行更新已有档案），{} 行有问题。").format(
                file_name, result.total, len(result.good), updates, len(result.bad_lines)
            )
        )
        self.summary.setWordWrap(True)
        self.problems = QPlainTextEdit("\n".join(str(p) for p in result.problems))
        self.problems.setReadOnly(True)
        self.problems.setVisible(bool(result.problems))
        self.skip_bad = QCheckBox(self.tr("只导入无误的行（有问题的行不导入）"))
        self.skip_bad.setVisible(bool(result.problems))
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.problems, 1)
        layout.addWidget(self.skip_bad)
        layout.addWidget(self.message)
        layout.addWidget(self._buttons(self.tr("导入")))
        self.skip_bad.toggled.connect(self._update)
        self.resize(640, 420 if result.problems else 180)
        self._update()

    def _update(self) -> None:
        ok = bool(self.result.good) and (not self.result.problems or self.skip_bad.isChecked())
        self.save_button.setEnabled(ok)
        if self.result.problems and not self.skip_bad.isChecked():
            self.message.set_message(
                self.tr("有问题的行请在文件中修正后重新导入，或勾选“只导入无误的行”。")
            )
        else:
            self.message.set_message("")

    def save(self) -> None:
        """Write on the database thread with its progress shown (cancelling rolls it back)."""
        if self.saving:
            return
        result, skip = self.result, self.skip_bad.isChecked()
        self.saving = True
        self.save_button.setEnabled(False)
        self.progress = run_with_progress(
            self.ctx.tasks,
            self,
            self.tr("正在导入志愿者档案"),
            lambda s, report: VolunteerService(s).write_import(
                result, skip_bad=skip, progress=report
            ),
            success=self._saved,
            failure=self._failed,
        )

    def _failed(self, error: Exception) -> None:
        if isinstance(error, Cancelled):
            self._idle()
            self.message.set_message(cancelled_text())
        else:
            super()._failed(error)
