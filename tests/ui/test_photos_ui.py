"""Attaching photos in the activity form: drop files, see thumbnails, view, remove, save."""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication

from pzh_core.domain.activity import Activity
from pzh_station.services.activities import ActivityService
from pzh_station.services.photos import PhotoService
from pzh_station.ui.activities.form import ActivityDialog
from pzh_station.ui.photos import PhotoViewer
from tests import photo_samples
from tests.ui_helpers import settle

SHOTS = os.environ.get("PZH_SHOTS")  # a folder: save screenshots there to look at them


@pytest.fixture
def activity_id(services):
    return ActivityService(services).save(
        Activity(title="重阳节文艺汇演", date="2026-10-01", kind="performance", delivery="station")
    )


def drop(widget, paths) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    center = QPointF(widget.width() / 2, widget.height() / 2)
    for kind in ("enter", "drop"):
        if kind == "enter":
            from PySide6.QtGui import QDragEnterEvent

            event = QDragEnterEvent(
                center.toPoint(),
                Qt.DropAction.CopyAction,
                mime,
                Qt.MouseButton.LeftButton,
                Qt.KeyboardModifier.NoModifier,
            )
        else:
            event = QDropEvent(
                center,
                Qt.DropAction.CopyAction,
                mime,
                Qt.MouseButton.LeftButton,
                Qt.KeyboardModifier.NoModifier,
            )
        QApplication.sendEvent(widget, event)
        assert event.isAccepted()


def open_dialog(qtbot, ctx, services, activity_id):
    dlg = ActivityDialog(ctx, ActivityService(services).get(activity_id))
    qtbot.addWidget(dlg)
    dlg.show()
    settle(qtbot, ctx)
    return dlg


def test_drop_photos_and_a_bad_file_then_save(qtbot, ctx, services, activity_id, tmp_path):
    files = [
        photo_samples.camera_jpeg(tmp_path / "IMG_0001.JPG", size=(2400, 1800)),
        photo_samples.camera_jpeg(
            tmp_path / "IMG_0002.JPG", size=(2400, 1800), seed=3, orientation=1
        ),
        photo_samples.pdf_scan(tmp_path / "签到表.pdf"),
        photo_samples.renamed_exe(tmp_path / "setup.jpg"),
    ]
    dlg = open_dialog(qtbot, ctx, services, activity_id)
    drop(dlg.photos, files)
    settle(qtbot, ctx)
    strip = dlg.photos
    assert strip.list.count() == 3
    assert "setup.jpg" in strip.hint.text() and "不是 JPG、PNG" in strip.hint.text()
    assert not strip.list.item(0).icon().isNull()
    # Nothing is written before the form is saved.
    assert PhotoService(services).list("activities", activity_id) == []
    if SHOTS:
        dlg.resize(600, 680)
        dlg.grab().save(os.path.join(SHOTS, "activity_form_photos.png"))

    strip.list.setCurrentRow(1)
    qtbot.mouseClick(strip.remove_button, Qt.MouseButton.LeftButton)
    assert strip.list.count() == 2
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, ctx)
    assert not dlg.isVisible()
    saved = PhotoService(services).list("activities", activity_id)
    assert [a.name for a in saved] == ["IMG_0001.JPG", "签到表.pdf"]


def test_existing_photos_show_view_and_remove(qtbot, ctx, services, activity_id, tmp_path):
    svc = PhotoService(services)
    svc.attach(
        "activities",
        activity_id,
        [
            photo_samples.camera_jpeg(
                tmp_path / f"{i}.jpg", size=(1600, 1200), seed=i, orientation=1
            )
            for i in range(3)
        ],
    )
    dlg = open_dialog(qtbot, ctx, services, activity_id)
    strip = dlg.photos
    assert strip.list.count() == 3
    strip.list.setCurrentRow(0)
    qtbot.mouseClick(strip.view_button, Qt.MouseButton.LeftButton)
    settle(qtbot, ctx)
    viewer = strip.findChild(PhotoViewer)
    assert viewer is not None and viewer.isVisible()
    assert viewer.pixmap is not None and viewer.pixmap.width() == 1600
    assert viewer.caption.text().startswith("1/3")
    qtbot.mouseClick(viewer.next_button, Qt.MouseButton.LeftButton)
    settle(qtbot, ctx)
    assert viewer.caption.text().startswith("2/3")
    if SHOTS:
        viewer.resize(960, 680)
        viewer.grab().save(os.path.join(SHOTS, "photo_viewer.png"))
    viewer.reject()

    strip.list.setCurrentRow(2)
    qtbot.mouseClick(strip.remove_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, ctx)
    assert len(svc.list("activities", activity_id)) == 2
