"""The completion tab (结业): who completes the class (for certificates) and the rule applied."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pzh_core.domain import training as d
from pzh_station.services.training import TrainingService
from pzh_station.services.training_export import TrainingExport
from pzh_station.ui.context import UiContext
from pzh_station.ui.training.sessions import _error_text
from pzh_station.ui.widgets import RowsModel, rows_table

COLUMNS = [
    ("姓名", lambda p: p["name"]),
    ("电话", lambda p: p["phone"]),
    ("村(社区)", lambda p: p["village"]),
    ("出勤次数", lambda p: f"{p['attended']}/{p['held']}"),
    ("出勤率", lambda p: d.format_rate(d.rate(p["attended"], p["held"]))),
]


class CompletionTab(QWidget):
    """Who completes the class (for certificates) and the rule applied."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.class_id: str | None = None
        self.rule_label = QLabel()
        self.rule_label.setWordWrap(True)
        self.export_button = QPushButton(self.tr("导出结业名单…"))
        self.export_button.setToolTip(self.tr("用于制作结业证书"))
        self.message = QLabel()
        self.model = RowsModel(ctx.tasks, COLUMNS, self, align_right=(3, 4))
        self.table = rows_table(self.model)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        top = QHBoxLayout()
        top.addWidget(self.rule_label, 1)
        top.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        self.export_button.clicked.connect(self.choose_export)
        self.model.loaded.connect(self._show_rule)

    def choose_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("导出结业名单"), "结业名单.xlsx", self.tr("Excel (*.xlsx);;CSV (*.csv)")
        )
        if path:
            self.export(path)

    def export(self, path: str) -> None:
        cid = self.class_id
        if cid is None:
            return
        fmt = "csv" if path.lower().endswith(".csv") else "xlsx"
        self.ctx.tasks.run(
            lambda s: TrainingExport(s).export_completers(path, cid, fmt=fmt),
            success=lambda n: self.message.setText(self.tr("已导出 {} 人到 {}").format(n, path)),
            failure=lambda e: self.message.setText(_error_text(e)),
        )

    def set_class(self, class_id: str | None) -> None:
        self.class_id = class_id
        self.reload()

    def reload(self) -> None:
        cid = self.class_id
        if cid is None:
            self.model.set_rows([])
            return

        def job(s) -> tuple[list[dict[str, Any]], Any]:  # noqa: ANN001
            t = TrainingService(s)
            return t.completers(cid), t.grid(cid)

        self.model.reload(job)

    def _show_rule(self) -> None:
        g = self.model.extra
        if g is None:
            self.rule_label.clear()
            return
        held = len(g.held_sessions())
        self.rule_label.setText(
            self.tr(
                "结业标准：出勤（含迟到）达到已上 {} 次课的 {:.0f}%，即至少 {} 次。共 {} 人结业。"
            ).format(held, g.share * 100, d.needed(held, g.share), len(self.model.rows))
        )
