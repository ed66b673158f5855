"""Backing up a large station file shows how far it is (MB of the total) and 取消 leaves no
backup file behind (issue 17, "Long work shows its progress")."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QPushButton

from pzh_station import paths
from pzh_station.ui.main_window import MainWindow
from tests.ui_helpers import make_ctx, settle

MB = 1_000_000


@pytest.fixture
def big(services):
    """The station file grown to ~24 MB (free text in many activity rows)."""
    note = "活动记录" * 2_000  # ~24 KB of UTF-8 per row
    with services.store.transaction():
        for i in range(1_000):
            services.store.write("activities", None, {"title": f"活动 {i}", "notes": note})
    size = paths.db_path(services.data_dir).stat().st_size
    assert size > 20 * MB, size
    return services


def open_settings(qtbot, data_dir):
    ctx = make_ctx(data_dir)
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.resize(1366, 738)
    window.show()
    page = window.show_page("settings")
    settle(qtbot, ctx)
    return window, page


def backups(data_dir) -> list:
    folder = paths.backups_dir(data_dir)
    names = [p.name for p in folder.iterdir()] if folder.exists() else []
    return sorted(n for n in names if n.endswith((".sqlite3", ".part")))  # not a reader's -wal


def test_backup_shows_megabytes_of_the_total(qtbot, big, tmp_path):
    window, page = open_settings(qtbot, big.data_dir)
    before = backups(big.data_dir)
    seen: list[tuple[int, int, str]] = []
    progress = page.backup_now()
    progress.reporter.progressed.connect(lambda d, t, w: seen.append((d, t, progress.labelText())))
    qtbot.waitUntil(lambda: "已备份到" in page.backup_label.text(), timeout=60_000)
    assert len(backups(big.data_dir)) == len(before) + 1
    total = seen[-1][1]
    assert total >= 20 and all(t == total for _, t, _ in seen)
    assert [d for d, _, _ in seen] == sorted(d for d, _, _ in seen) and seen[-1][0] == total
    assert len(seen) >= 5  # a step per 4 MB
    assert seen[0][2].startswith(f"正在备份数据文件（MB）（{seen[0][0]}/{total}）"), seen[0][2]
    window.close()


def test_cancelled_backup_leaves_no_file(qtbot, big):
    window, page = open_settings(qtbot, big.data_dir)
    before = backups(big.data_dir)
    progress = page.backup_now()
    cancel = progress.findChild(QPushButton)  # the dialog's 取消
    assert cancel.text() == "取消"
    progress.reporter.progressed.connect(lambda *_: cancel.click())
    qtbot.waitUntil(lambda: "已取消备份" in page.backup_label.text(), timeout=60_000)
    assert backups(big.data_dir) == before  # neither a backup nor a .part
    assert page.backup_button.isEnabled()
    window.close()
