"""The reports page (报表): write the annual statistics report and the monthly report to files.

The file is chosen in a save dialog; the report is written on the database thread.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from pzh_station.services.reports import ReportService
from pzh_station.ui.context import UiContext
from pzh_station.ui.files import open_path


class ReportsPage(QWidget):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.saved_path: Path | None = None
        self.cancelled = False
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self._build_annual())
        layout.addWidget(self._build_monthly())
        layout.addWidget(self.status_label)
        layout.addLayout(self._build_after())
        layout.addStretch(1)

    def _build_annual(self) -> QGroupBox:
        """文化站年报: the year, the return (Excel, PDF) and the report with its records."""
        today = dt.date.today()
        self.annual_year = QSpinBox()
        self.annual_year.setRange(2000, today.year)
        # The annual report is usually made in January for the year just ended.
        self.annual_year.setValue(today.year - 1 if today.month == 1 else today.year)
        self.annual_button = QPushButton(self.tr("生成年报及明细（Excel）…"))
        self.return_xlsx_button = QPushButton(self.tr("生成可报送的年报表（Excel）…"))
        self.return_pdf_button = QPushButton(self.tr("年报表（PDF，A4）…"))
        annual = QGroupBox(self.tr("文化站年报"))
        form = QFormLayout(annual)
        year_row = QHBoxLayout()
        year_row.addWidget(self.annual_year)
        year_row.addStretch(1)
        form.addRow(self.tr("统计年度"), year_row)
        form.addRow(
            QLabel(self.tr("“年报及明细”的第二张表列出每个数字背后的记录，供县文化馆核对。"))
        )
        form.addRow(
            QLabel(
                self.tr("年报表按基层表式样（单位信息、各项指标、签章栏），年度基本情况须先确认。")
            )
        )
        annual_buttons = QHBoxLayout()
        annual_buttons.addWidget(self.return_xlsx_button)
        annual_buttons.addWidget(self.return_pdf_button)
        annual_buttons.addWidget(self.annual_button)
        annual_buttons.addStretch(1)
        form.addRow(annual_buttons)
        self.annual_button.clicked.connect(self.make_annual)
        self.return_xlsx_button.clicked.connect(lambda: self.make_return(".xlsx"))
        self.return_pdf_button.clicked.connect(lambda: self.make_return(".pdf"))
        return annual

    def _build_monthly(self) -> QGroupBox:
        """工作月报: the month (last month first) and the report (Excel, PDF)."""
        last_month = dt.date.today().replace(day=1) - dt.timedelta(days=1)
        self.month_year = QSpinBox()
        self.month_year.setRange(2000, dt.date.today().year)
        self.month_year.setValue(last_month.year)
        self.month_combo = QComboBox()
        for m in range(1, 13):
            self.month_combo.addItem(self.tr("{}月").format(m), m)
        self.month_combo.setCurrentIndex(last_month.month - 1)
        self.monthly_xlsx_button = QPushButton(self.tr("生成月报（Excel）…"))
        self.monthly_pdf_button = QPushButton(self.tr("生成月报（PDF，A4）…"))
        pick = QHBoxLayout()
        pick.addWidget(self.month_year)
        pick.addWidget(self.month_combo)
        pick.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.monthly_xlsx_button)
        buttons.addWidget(self.monthly_pdf_button)
        buttons.addStretch(1)
        monthly = QGroupBox(self.tr("工作月报"))
        mform = QFormLayout(monthly)
        mform.addRow(self.tr("月份"), pick)
        mform.addRow(QLabel(self.tr("本月主要指标、活动清单、培训和志愿服务情况。")))
        mform.addRow(buttons)
        self.monthly_xlsx_button.clicked.connect(lambda: self.make_monthly(".xlsx"))
        self.monthly_pdf_button.clicked.connect(lambda: self.make_monthly(".pdf"))
        return monthly

    def _build_after(self) -> QHBoxLayout:
        """While a report is made: a busy bar and 取消 (the file is then not kept); after it is
        saved: open it, or the folder it is in. All hidden until then."""
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 0)
        self.cancel_button = QPushButton(self.tr("取消"))
        self.open_file_button = QPushButton(self.tr("打开文件"))
        self.open_folder_button = QPushButton(self.tr("打开所在文件夹"))
        after = QHBoxLayout()
        for w in (
            self.progress_bar,
            self.cancel_button,
            self.open_file_button,
            self.open_folder_button,
        ):
            after.addWidget(w)
            w.hide()
        after.addStretch(1)
        self.cancel_button.clicked.connect(self.cancel)
        self.open_file_button.clicked.connect(
            lambda: self.saved_path and open_path(self.saved_path)
        )
        self.open_folder_button.clicked.connect(
            lambda: self.saved_path and open_path(self.saved_path.parent)
        )
        return after

    def ask_path(self, suggested: str, file_filter: str) -> str:
        """The save dialog (tests replace this method)."""
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("保存报表"), str(Path.home() / suggested), file_filter
        )
        return path

    def make_annual(self) -> None:
        year = self.annual_year.value()
        path = self.ask_path(
            self.tr("{}年文化站年报.xlsx").format(year), self.tr("Excel 文件 (*.xlsx)")
        )
        if not path:
            return
        if not path.lower().endswith(".xlsx"):
            path += ".xlsx"
        self._busy(True)
        self.ctx.tasks.read(
            lambda s: ReportService(s).write_annual(path, year),
            success=self._written,
            failure=self._failed,
        )

    def make_return(self, suffix: str) -> None:
        from pzh_station.services.annual_return import ReturnService

        year = self.annual_year.value()
        file_filter = (
            self.tr("Excel 文件 (*.xlsx)") if suffix == ".xlsx" else self.tr("PDF 文件 (*.pdf)")
        )
        path = self.ask_path(self.tr("{}年文化站年报表{}").format(year, suffix), file_filter)
        if not path:
            return
        if not path.lower().endswith(suffix):
            path += suffix
        self._busy(True)
        self.ctx.tasks.run(
            lambda s: ReturnService(s).write(path, year),
            success=self._written,
            failure=self._failed,
        )

    def make_monthly(self, suffix: str) -> None:
        year, month = self.month_year.value(), self.month_combo.currentData()
        file_filter = (
            self.tr("Excel 文件 (*.xlsx)") if suffix == ".xlsx" else self.tr("PDF 文件 (*.pdf)")
        )
        path = self.ask_path(self.tr("{}年{}月工作月报{}").format(year, month, suffix), file_filter)
        if not path:
            return
        if not path.lower().endswith(suffix):
            path += suffix
        self._busy(True)
        self.ctx.tasks.read(
            lambda s: ReportService(s).write_monthly(path, year, month),
            success=self._written,
            failure=self._failed,
        )

    def _busy(self, busy: bool) -> None:
        reason = self.tr("正在生成另一份报表，请稍候") if busy else ""
        for b in (
            self.annual_button,
            self.return_xlsx_button,
            self.return_pdf_button,
            self.monthly_xlsx_button,
            self.monthly_pdf_button,
        ):
            b.setEnabled(not busy)
            b.setToolTip(reason)
        self.progress_bar.setVisible(busy)
        self.cancel_button.setVisible(busy)
        if busy:
            self.cancelled = False
            self.saved_path = None
            self.open_file_button.hide()
            self.open_folder_button.hide()
            self.status_label.setText(self.tr("正在生成…"))

    def cancel(self) -> None:
        """The report is still being made on the database thread; when it is done its file is
        removed, so nothing half-wanted is left behind."""
        self.cancelled = True
        self.cancel_button.setEnabled(False)
        self.status_label.setText(self.tr("正在取消…"))

    def _written(self, path: Path) -> None:
        self._busy(False)
        self.cancel_button.setEnabled(True)
        if self.cancelled:
            Path(path).unlink(missing_ok=True)
            self.status_label.setText(self.tr("已取消，没有保存报表。"))
            return
        self.saved_path = Path(path)
        self.status_label.setText(self.tr("已保存：{}").format(path))
        self.open_file_button.show()
        self.open_folder_button.show()

    def _failed(self, error: Exception) -> None:
        self._busy(False)
        self.cancel_button.setEnabled(True)
        if isinstance(error, OSError):
            message = self.tr(
                "无法写入文件（是否正在 Excel 或 WPS 中打开？请关闭后重试）：{}"
            ).format(error.filename or "")
        else:
            message = (
                getattr(error, "message", None)
                or "；".join(getattr(error, "errors", {}).values())
                or str(error)
            )
        self.status_label.setText(self.tr("生成失败：{}").format(message))
