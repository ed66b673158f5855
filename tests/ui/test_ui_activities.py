"""The activity log page and form, driven like a station worker would: type, click, look."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QLabel

from pzh_core.domain.activity import Activity
from pzh_station.services.activities import ActivityFilter, ActivityService
from pzh_station.ui.activities import ActivitiesPage
from pzh_station.ui.activities.model import COLUMNS
from tests.ui_helpers import settle, type_text


@pytest.fixture
def page(qtbot, ctx):
    p = ActivitiesPage(ctx)
    qtbot.addWidget(p)
    p.resize(1200, 700)
    p.show()
    settle(qtbot, ctx, p)
    return p


def col(name: str) -> int:
    return [k for k, _ in COLUMNS].index(name)


def shown(qtbot, page, name: str = "title") -> list[str]:
    """What the list shows in one column, after every page of rows has been fetched."""
    model = page.model
    for row in range(model.rowCount()):
        model.data(model.index(row, col(name)))
    settle(qtbot, page.ctx)
    return [model.data(model.index(r, col(name))) for r in range(model.rowCount())]


def add_some(services, rows):
    svc = ActivityService(services)
    return [svc.save(Activity(**r)) for r in rows]


def open_add(qtbot, page):
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    settle(qtbot, page.ctx)
    assert page.dialog is not None and page.dialog.isVisible()
    return page.dialog


def test_add_activity_by_typing_and_clicking_save(qtbot, page, services):
    dlg = open_add(qtbot, page)
    type_text(qtbot, dlg.title_edit, "重阳节文艺汇演")
    dlg.date_edit.set_iso("2025-10-29")
    qtbot.keyClicks(dlg.start_edit, "9:30")
    qtbot.keyClicks(dlg.end_edit, "11:00")
    type_text(qtbot, dlg.place_edit, "镇文化广场")
    dlg.kind_combo.set_code("performance")
    dlg.delivery_combo.set_code("mobile")
    type_text(qtbot, dlg.organiser_edit, "大田镇文化站")
    qtbot.keyClicks(dlg.attendance_edit, "320")
    for code in ("elderly", "ethnic"):  # click on the box itself (left end of the checkbox)
        box = dlg.groups.boxes[code]
        qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))
    dlg.brand_combo.set_code("baixing_stage")
    type_text(qtbot, dlg.notes_edit, "彝族歌舞")
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, page.ctx)
    assert not dlg.isVisible()

    svc = ActivityService(services)
    ids = svc.ids(ActivityFilter())
    assert len(ids) == 1
    saved = svc.get(ids[0])
    assert (saved.title, saved.date, saved.start_time, saved.end_time) == (
        "重阳节文艺汇演",
        "2025-10-29",
        "09:30",
        "11:00",
    )
    assert (saved.place, saved.kind, saved.delivery, saved.attendance) == (
        "镇文化广场",
        "performance",
        "mobile",
        320,
    )
    assert saved.target_groups == ["elderly", "ethnic"] and saved.brand == "baixing_stage"
    assert saved.notes == "彝族歌舞" and saved.created_by == "李明"

    assert page.model.rowCount() == 1
    assert page.model.data(page.model.index(0, col("title"))) == "重阳节文艺汇演"
    assert page.model.data(page.model.index(0, col("kind"))) == "文艺演出"
    assert page.model.data(page.model.index(0, col("target_groups"))) == "老年人、少数民族"
    assert page.selected_id() == ids[0]
    assert "1" in page.count_label.text()


def fill_valid(qtbot, dlg):
    type_text(qtbot, dlg.title_edit, "讲座")
    dlg.date_edit.set_iso("2025-03-01")
    dlg.kind_combo.set_code("lecture")


@pytest.mark.parametrize(
    ("change", "field", "expected"),
    [
        (lambda qtbot, d: d.title_edit.clear(), "title", "请填写活动名称"),
        (
            lambda qtbot, d: (
                qtbot.keyClicks(d.start_edit, "15:00"),
                qtbot.keyClicks(d.end_edit, "14:00"),
            ),
            "end_time",
            "结束时间早于开始时间",
        ),
        (
            lambda qtbot, d: qtbot.keyClicks(d.attendance_edit, "-5"),
            "attendance",
            "参与人次不能为负数",
        ),
        (
            lambda qtbot, d: qtbot.keyClicks(d.attendance_edit, "2000000"),
            "attendance",
            "参与人次超过10万",
        ),
        (
            lambda qtbot, d: type_text(qtbot, d.attendance_edit, "很多"),
            "attendance",
            "参与人次应为整数",
        ),
        (
            lambda qtbot, d: d.date_edit.set_iso(
                (dt.date.today() + dt.timedelta(days=3)).isoformat()
            ),
            "date",
            "活动日期不能晚于今天",
        ),
        (lambda qtbot, d: d.kind_combo.set_code(""), "kind", "请选择活动类型"),
    ],
)
def test_invalid_input_is_shown_at_the_field_and_nothing_saved(
    qtbot, page, services, change, field, expected
):
    dlg = open_add(qtbot, page)
    fill_valid(qtbot, dlg)
    change(qtbot, dlg)
    typed_title = dlg.title_edit.text()
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, page.ctx)
    assert dlg.isVisible(), "the form stays open"
    assert expected in dlg.errors.message(field)
    assert dlg.errors.labels[field].isVisible()
    # only that field complains, and the input is still there
    assert [n for n in dlg.errors.labels if dlg.errors.message(n)] == [field]
    assert dlg.title_edit.text() == typed_title
    assert ActivityService(services).count() == 0
    # fixing it and saving again works, and clears the message
    if field != "title":
        dlg.set_activity(Activity(title="讲座", date="2025-03-01", kind="lecture"))
        qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
        settle(qtbot, page.ctx)
        assert not dlg.isVisible()
        assert ActivityService(services).count() == 1


def test_edit_duplicate_delete_and_restore(qtbot, page, services):
    (aid,) = add_some(
        services,
        [dict(title="书法讲座", date="2025-05-04", kind="lecture", attendance=40, place="文化站")],
    )
    page.model.reload()
    settle(qtbot, page.ctx, page)
    page.table.selectRow(0)

    # edit
    qtbot.mouseClick(page.edit_button, Qt.MouseButton.LeftButton)
    settle(qtbot, page.ctx)
    dlg = page.dialog
    assert dlg.title_edit.text() == "书法讲座" and dlg.attendance_edit.text() == "40"
    assert "李明" in [lbl.text() for lbl in dlg.findChildren(QLabel)]  # who entered it
    dlg.attendance_edit.clear()
    qtbot.keyClicks(dlg.attendance_edit, "55")
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, page.ctx)
    svc = ActivityService(services)
    assert svc.get(aid).attendance == 55 and svc.count() == 1
    assert page.model.data(page.model.index(0, col("attendance"))) == "55"

    # duplicate as new: a copy dated today, saved as a second record
    page.select_id(aid)
    qtbot.mouseClick(page.duplicate_button, Qt.MouseButton.LeftButton)
    settle(qtbot, page.ctx)
    dlg = page.dialog
    assert dlg.title_edit.text() == "书法讲座" and dlg.activity.id is None
    assert dlg.date_edit.iso() == dt.date.today().isoformat()
    qtbot.keyClicks(dlg.attendance_edit, "12")
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, page.ctx, page)
    assert svc.count() == 2 and page.model.rowCount() == 2
    copy_id = next(i for i in svc.ids(ActivityFilter()) if i != aid)
    assert svc.get(copy_id).attendance == 12 and svc.get(aid).attendance == 55

    # delete to trash
    page.select_id(aid)
    qtbot.mouseClick(page.delete_button, Qt.MouseButton.LeftButton)
    settle(qtbot, page.ctx, page)
    assert page.model.ids == [copy_id]
    assert svc.get(aid).title == "书法讲座" and svc.count(trash=True) == 1

    # the trash shows it; restore brings it back
    qtbot.mouseClick(page.trash_check, Qt.MouseButton.LeftButton)
    settle(qtbot, page.ctx, page)
    assert page.model.ids == [aid]
    assert page.restore_button.isVisible() and not page.add_button.isEnabled()
    page.table.selectRow(0)
    qtbot.mouseClick(page.restore_button, Qt.MouseButton.LeftButton)
    settle(qtbot, page.ctx, page)
    assert page.model.ids == [] and svc.count(trash=True) == 0
    qtbot.mouseClick(page.trash_check, Qt.MouseButton.LeftButton)
    settle(qtbot, page.ctx, page)
    assert set(page.model.ids) == {aid, copy_id}


def test_filters_search_and_sort(qtbot, page, services):
    add_some(
        services,
        [
            dict(
                title="老年人广场舞展演",
                date="2025-01-10",
                kind="mass_sports",
                target_groups=["elderly"],
                attendance=80,
            ),
            dict(
                title="少儿剪纸培训",
                date="2025-02-15",
                kind="training",
                target_groups=["minors"],
                attendance=20,
                place="团山村活动中心",
            ),
            dict(
                title="防诈骗讲座",
                date="2025-03-20",
                kind="lecture",
                target_groups=["elderly"],
                attendance=50,
                notes="与派出所合办",
            ),
            dict(title="读书会", date="2025-04-01", kind="reading", attendance=15),
        ],
    )
    page.model.reload()
    settle(qtbot, page.ctx, page)
    assert shown(qtbot, page) == [
        "读书会",
        "防诈骗讲座",
        "少儿剪纸培训",
        "老年人广场舞展演",
    ]  # newest first

    page.kind_combo.set_code("lecture")
    settle(qtbot, page.ctx, page)
    assert shown(qtbot, page) == ["防诈骗讲座"]
    page.kind_combo.set_code("")
    page.group_combo.set_code("elderly")
    settle(qtbot, page.ctx, page)
    assert shown(qtbot, page) == ["防诈骗讲座", "老年人广场舞展演"]
    page.group_combo.set_code("")
    page.date_from.set_iso("2025-02-01")
    page.date_to.set_iso("2025-03-31")
    settle(qtbot, page.ctx, page)
    assert shown(qtbot, page) == ["防诈骗讲座", "少儿剪纸培训"]
    qtbot.mouseClick(page.clear_button, Qt.MouseButton.LeftButton)
    settle(qtbot, page.ctx, page)
    assert len(shown(qtbot, page)) == 4

    # search as you type, Chinese substring of title, place or notes
    type_text(qtbot, page.search_edit, "剪纸")
    settle(qtbot, page.ctx, page)
    assert shown(qtbot, page) == ["少儿剪纸培训"]
    page.search_edit.setText("团山村")  # place
    settle(qtbot, page.ctx, page)
    assert shown(qtbot, page) == ["少儿剪纸培训"]
    page.search_edit.setText("派出所")  # notes
    settle(qtbot, page.ctx, page)
    assert shown(qtbot, page) == ["防诈骗讲座"]
    page.search_edit.setText("100%_")  # LIKE wildcards are literal
    settle(qtbot, page.ctx, page)
    assert shown(qtbot, page) == []
    page.search_edit.clear()
    settle(qtbot, page.ctx, page)

    # sort by clicking headers: attendance (largest first), then again (smallest first)
    header = page.table.horizontalHeader()

    def click_header(name):
        x = header.sectionViewportPosition(col(name)) + header.sectionSize(col(name)) // 2
        qtbot.mouseClick(
            header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2)
        )

    click_header("attendance")
    settle(qtbot, page.ctx, page)
    assert shown(qtbot, page, "attendance") == ["80", "50", "20", "15"]
    assert header.sortIndicatorSection() == col("attendance")
    click_header("attendance")
    settle(qtbot, page.ctx, page)
    assert shown(qtbot, page, "attendance") == ["15", "20", "50", "80"]
    click_header("title")
    settle(qtbot, page.ctx, page)
    assert shown(qtbot, page)[0] == sorted(shown(qtbot, page))[0]
    click_header("target_groups")  # not sortable: nothing changes
    settle(qtbot, page.ctx, page)
    assert page.model.filter.order_by == "title" and header.sortIndicatorSection() == col("title")


def test_large_list_fetches_rows_page_by_page(qtbot, ctx, services):
    from pzh_station.ui.activities import model as m

    with services.store.transaction():
        for i in range(m.PAGE * 3 + 7):
            services.store.write(
                "activities",
                None,
                {
                    "title": f"活动{i:04d}",
                    "date": "2024-06-01",
                    "kind": "other",
                    "delivery": "station",
                    "attendance": i,
                },
            )
    p = ActivitiesPage(ctx)
    qtbot.addWidget(p)
    p.show()
    settle(qtbot, ctx, p)
    model = p.model
    assert model.rowCount() == m.PAGE * 3 + 7
    last = model.rowCount() - 1
    assert model.record(last) is None  # not fetched until someone looks at it
    assert model.data(model.index(last, col("title"))) == m.LOADING
    settle(qtbot, ctx)
    assert model.data(model.index(last, col("title"))).startswith("活动")
    assert len(model._pages) <= m.MAX_PAGES


def test_keyboard_delete_on_the_list_but_not_in_the_search_box(qtbot, page, services):
    (aid,) = add_some(services, [dict(title="键盘删除", date="2025-05-04", kind="lecture")])
    page.model.reload()
    settle(qtbot, page.ctx, page)
    page.table.selectRow(0)
    page.search_edit.setFocus()
    qtbot.keyClick(page.search_edit, Qt.Key.Key_Delete)
    settle(qtbot, page.ctx, page)
    assert ActivityService(services).count() == 1  # Delete edits the search text, nothing else
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Delete)
    settle(qtbot, page.ctx, page)
    assert (
        ActivityService(services).count() == 0 and ActivityService(services).count(trash=True) == 1
    )
