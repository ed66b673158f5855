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
    assert PhotoService(services).rows("activities", activity_id) == []
    if SHOTS:
        from PySide6.QtWidgets import QScrollArea

        dlg.resize(600, 680)
        dlg.findChild(QScrollArea).ensureWidgetVisible(strip)  # the strip is the form's last row
        qtbot.wait(50)
        dlg.grab().save(os.path.join(SHOTS, "activity_form_photos.png"))

    strip.list.setCurrentRow(1)
    qtbot.mouseClick(strip.remove_button, Qt.MouseButton.LeftButton)
    assert strip.list.count() == 2
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, ctx)
    assert not dlg.isVisible()
    saved = PhotoService(services).rows("activities", activity_id)
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
    assert len(svc.rows("activities", activity_id)) == 2


def test_the_list_shows_the_first_photo_beside_the_title(
    qtbot, ctx, services, activity_id, tmp_path
):
    from pzh_station.ui.activities import ActivitiesPage
    from pzh_station.ui.activities.model import COLUMNS

    other = ActivityService(services).save(
        Activity(title="没有照片", date="2026-09-01", kind="lecture", delivery="station")
    )
    PhotoService(services).attach(
        "activities", activity_id, [photo_samples.camera_jpeg(tmp_path / "a.jpg", size=(900, 600))]
    )
    page = ActivitiesPage(ctx)
    qtbot.addWidget(page)
    page.resize(1366, 700)
    page.show()
    settle(qtbot, ctx, page)
    model = page.model
    title = [k for k, _ in COLUMNS].index("title")
    icons = {
        model.data(model.index(r, title), Qt.ItemDataRole.UserRole): model.data(
            model.index(r, title), Qt.ItemDataRole.DecorationRole
        )
        for r in range(model.rowCount())
    }
    assert icons[other] is None
    assert icons[activity_id] is not None and not icons[activity_id].isNull()
    if SHOTS:
        page.grab().save(os.path.join(SHOTS, "activity_list_photos.png"))


def test_a_training_session_and_a_service_record_carry_scans(qtbot, ctx, services, tmp_path):
    from pzh_core.domain.person import Person
    from pzh_core.domain.training import TrainingClass
    from pzh_core.domain.volunteer import Volunteer
    from pzh_station.services.training import TrainingService
    from pzh_station.ui.training.sessions import SessionDialog
    from pzh_station.ui.volunteers.record_form import RecordDialog

    t = TrainingService(services)
    cid = t.save_class(TrainingClass(name="舞蹈班", art_form="dance", start_date="2026-03-01"))
    sid = t.add_session(cid, "2026-03-02", "19:00", "21:00")
    [session] = t.sessions(cid)
    dlg = SessionDialog(ctx, cid, session)
    qtbot.addWidget(dlg)
    dlg.show()
    settle(qtbot, ctx)
    drop(dlg.photos, [photo_samples.png_scan(tmp_path / "签到表.png")])
    settle(qtbot, ctx)
    dlg.save()
    settle(qtbot, ctx)
    assert [a.name for a in PhotoService(services).rows("sessions", sid)] == ["签到表.png"]

    from pzh_station.services.volunteers import VolunteerService

    vid = VolunteerService(services).save(Volunteer(join_date="2020-01-01"), Person(name="钱七"))
    rec = RecordDialog(ctx, recorder="李明")
    qtbot.addWidget(rec)
    rec.show()
    settle(qtbot, ctx)
    rec.set_volunteer(vid)
    rec.date_edit.set_iso("2026-03-02")
    rec.hours_spin.setValue(2)
    rec.description_edit.setText("演出")
    drop(rec.photos, [photo_samples.camera_jpeg(tmp_path / "服务.jpg", size=(1200, 900))])
    settle(qtbot, ctx)
    qtbot.mouseClick(rec.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, ctx)
    assert not rec.isVisible()
    [record_id] = [r for r in services.store.query("SELECT id FROM service_records")]
    assert [a.name for a in PhotoService(services).rows("service_records", record_id["id"])] == [
        "服务.jpg"
    ]
