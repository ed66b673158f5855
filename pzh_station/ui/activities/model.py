"""The activity list's table model: ordered ids held in memory, row data fetched in pages.

Why this shape (it must stay fast with 50,000 rows, and the UI thread never runs SQL):

- ``reload()`` asks the database thread (``ctx.tasks``) for the ids of every matching activity in
  display order (``ActivityService.ids``: one indexed query, ~36 bytes per row) plus the first
  page of row data, in one job. The model then knows ``rowCount`` exactly, so the scroll bar is
  right and sorting and filtering are done by SQLite, not by a proxy model over all rows.
- ``data()`` answers from a page cache. For a row whose page is not cached it shows "…" and
  queues one job for that page (``ActivityService.rows`` of ``PAGE`` ids); when it comes back the
  page's rows are announced with ``dataChanged``. Qt only asks for visible rows, so scrolling
  through 50,000 rows fetches a handful of pages, never the whole table.
- The cache keeps the last ``MAX_PAGES`` pages (least recently fetched dropped first), so memory
  stays bounded however far the user scrolls.
- Every reload bumps a generation number; results of jobs queued for an older generation (a
  search keystroke overtaken by the next one) are dropped, so the list never shows stale rows.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import replace
from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QIcon, QPixmap

from pzh_core.domain import refdata
from pzh_station.services.activities import ActivityFilter, ActivityService
from pzh_station.services.photos import PhotoService
from pzh_station.store.activities import SORTABLE
from pzh_station.ui.tasks import Tasks

PAGE = 200
MAX_PAGES = 30
LOADING = "…"

# (key, header); key is also the sort key where the store can sort by it. Headers are marked for
# lupdate here and translated in headerData.
_C = "ActivityTableModel"
COLUMNS: list[tuple[str, str]] = [
    ("date", QT_TRANSLATE_NOOP(_C, "日期")),
    ("time", QT_TRANSLATE_NOOP(_C, "时间")),
    ("title", QT_TRANSLATE_NOOP(_C, "活动名称")),
    ("place", QT_TRANSLATE_NOOP(_C, "地点")),
    ("kind", QT_TRANSLATE_NOOP(_C, "活动类型")),
    ("delivery", QT_TRANSLATE_NOOP(_C, "服务方式")),
    ("attendance", QT_TRANSLATE_NOOP(_C, "参与人次")),
    ("target_groups", QT_TRANSLATE_NOOP(_C, "服务对象")),
    ("brand", QT_TRANSLATE_NOOP(_C, "活动品牌")),
]


def _rows(services: Any, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Runs on the database thread: rows of a page, with the first photo's thumbnail (issue 15)."""
    rows = ActivityService(services).rows(ids)
    photos = PhotoService(services)
    thumbs = photos.first_thumbs("activities", ids)
    data = photos.thumbnails(list(set(thumbs.values())))
    counts = photos.counts("activities", ids)
    for row_id, row in rows.items():
        row["photo_count"] = counts.get(row_id, 0)
        row["photo_thumb"] = data.get(thumbs.get(row_id, ""), b"")
    return rows


def _load(services: Any, f: ActivityFilter) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """Runs on the database thread: the ordered ids and the first page of rows."""
    ids = ActivityService(services).ids(f)
    return ids, _rows(services, ids[:PAGE])


class ActivityTableModel(QAbstractTableModel):
    """Rows of the activity log for the current :class:`ActivityFilter`.

    :param tasks: the app's background tasks (all database work goes through it).
    """

    loaded = Signal()  # a reload's result was applied (rowCount is now right)

    def __init__(self, tasks: Tasks, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self.filter = ActivityFilter()
        self._ids: list[str] = []
        self._pages: OrderedDict[int, dict[str, dict[str, Any]]] = OrderedDict()
        self._pending: set[int] = set()
        self._generation = 0
        self.loading = False
        self._labels = {
            "kind": refdata.labels("activity_kinds"),
            "delivery": refdata.labels("delivery_modes"),
            "target_groups": refdata.labels("target_groups"),
            "brand": refdata.labels("brands"),
        }

    # -- loading -------------------------------------------------------------------------
    def set_filter(self, f: ActivityFilter) -> None:
        self.filter = f
        self.reload()

    def reload(self) -> None:
        """Fetch the ids for the current filter (in the background) and reset the rows."""
        self._generation += 1
        generation, f = self._generation, replace(self.filter)
        self.loading = True
        self.tasks.run(
            lambda s: _load(s, f), success=lambda result: self._loaded(generation, result)
        )

    def _loaded(self, generation: int, result: tuple[list[str], dict[str, dict[str, Any]]]) -> None:
        if generation != self._generation:
            return  # overtaken by a newer reload
        ids, first = result
        self.beginResetModel()
        self._ids = ids
        self._pages.clear()
        self._pending.clear()
        if ids:
            self._pages[0] = first
        self.endResetModel()
        self.loading = False
        self.loaded.emit()

    def _request_page(self, page: int) -> None:
        if page in self._pending:
            return
        self._pending.add(page)
        generation = self._generation
        ids = self._ids[page * PAGE : (page + 1) * PAGE]
        self.tasks.run(
            lambda s: _rows(s, ids),
            success=lambda rows: self._page_loaded(generation, page, rows),
        )

    def _page_loaded(self, generation: int, page: int, rows: dict[str, dict[str, Any]]) -> None:
        self._pending.discard(page)
        if generation != self._generation:
            return
        self._pages[page] = rows
        while len(self._pages) > MAX_PAGES:
            self._pages.popitem(last=False)
        first = page * PAGE
        last = min(first + PAGE, len(self._ids)) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))

    # -- access --------------------------------------------------------------------------
    @property
    def ids(self) -> list[str]:
        return self._ids

    def id_at(self, row: int) -> str | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def row_of(self, activity_id: str) -> int:
        try:
            return self._ids.index(activity_id)
        except ValueError:
            return -1

    def record(self, row: int) -> dict[str, Any] | None:
        """The cached list columns of a row, or None while its page is not loaded."""
        page = self._pages.get(row // PAGE)
        activity_id = self.id_at(row)
        if page is None or activity_id is None:
            return None
        return page.get(activity_id)

    def sort_key(self, column: int) -> str | None:
        """The store's sort key of a column, or None when the column cannot be sorted."""
        key = COLUMNS[column][0] if 0 <= column < len(COLUMNS) else ""
        if key == "time":
            key = "date"  # date sorts by date, then start time
        return key if key in SORTABLE else None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = self.sort_key(column)
        if key is None:
            return
        self.filter = replace(
            self.filter, order_by=key, descending=order == Qt.SortOrder.DescendingOrder
        )
        self.reload()

    # -- QAbstractTableModel -------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return QCoreApplication.translate(_C, COLUMNS[section][1])
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Vertical:
            return section + 1
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid():
            return None
        row, key = index.row(), COLUMNS[index.column()][0]
        if role == Qt.ItemDataRole.UserRole:
            return self.id_at(row)
        if role == Qt.ItemDataRole.TextAlignmentRole and key == "attendance":
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.DecorationRole and key == "title":
            record = self.record(row)
            return self._thumb(record) if record else None
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        record = self.record(row)
        if record is None:
            self._request_page(row // PAGE)
            return LOADING
        return self._text(record, key)

    def _thumb(self, record: dict[str, Any]) -> QIcon | None:
        """The first photo's thumbnail beside the title (records with photos only)."""
        data = record.get("photo_thumb") or b""
        if not data and not record.get("photo_count"):
            return None
        icon = record.get("_icon")
        if icon is None:
            pix = QPixmap()
            icon = QIcon(pix) if data and pix.loadFromData(data) else QIcon()
            record["_icon"] = icon
        return icon

    def _text(self, record: dict[str, Any], key: str) -> str:
        if key == "time":
            start, end = record.get("start_time") or "", record.get("end_time") or ""
            return f"{start}–{end}" if start and end else start or end
        value = record.get(key)
        if key == "target_groups":
            return "、".join(self._labels[key].get(g, g) for g in value or [])
        if key in self._labels:
            return self._labels[key].get(value or "", value or "")
        return "" if value is None else str(value)
