"""Photos attached to activities: reduction, content addressing, limits, tombstones, backups."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from pzh_core import photos
from pzh_core.domain.activity import Activity
from pzh_core.photos import PhotoError
from pzh_station.services import maintenance
from pzh_station.services.activities import ActivityService
from pzh_station.services.photos import AttachmentEdits, PhotoService
from pzh_station.store import photos as q
from pzh_station.store.photo_files import PhotoFiles
from tests import photo_samples


@pytest.fixture
def activity_id(services):
    return ActivityService(services).save(
        Activity(title="重阳节文艺汇演", date="2026-10-01", kind="performance", delivery="station")
    )


def test_a_camera_photo_is_reduced_upright_without_location(services, activity_id, tmp_path):
    src = photo_samples.camera_jpeg(tmp_path / "IMG_0001.JPG")
    svc = PhotoService(services)
    [att_id] = svc.attach("activities", activity_id, [src])
    [att] = svc.rows("activities", activity_id)
    assert att.id == att_id and att.kind == "jpeg" and att.name == "IMG_0001.JPG"
    data = svc.read(att.hash)
    assert photos.sha256(data) == att.hash and len(data) == att.size
    assert att.size < src.stat().st_size / 3
    im = Image.open(io.BytesIO(data))
    # 4000x3000 turned by orientation 6 (90° clockwise) is portrait: 1200x1600.
    assert (im.width, im.height) == (1200, 1600) == (att.width, att.height)
    exif = im.getexif()
    assert 0x8825 not in exif and exif.get(0x0112) in (None, 1)
    assert exif.get(0x010F) == "TestCam"  # the rest of EXIF stays
    # The red marker was top-left of the sensor; after turning it is top-right.
    assert im.getpixel((im.width - 20, 20))[0] > 200 and im.getpixel((20, 20))[0] < 250
    thumb = Image.open(io.BytesIO(svc.read(att.thumb)))
    assert max(thumb.size) == photos.THUMB_SIDE


def test_the_same_photo_twice_is_stored_once(services, activity_id, tmp_path):
    src = photo_samples.camera_jpeg(tmp_path / "a.jpg", size=(2000, 1500))
    copy = tmp_path / "副本.jpg"
    copy.write_bytes(src.read_bytes())
    svc = PhotoService(services)
    svc.attach("activities", activity_id, [src, copy])
    atts = svc.rows("activities", activity_id)
    assert len(atts) == 2 and atts[0].hash == atts[1].hash
    assert len(list(svc.files.hashes())) == 2  # one photo, one thumbnail
    assert q.pending_count(services.store) == 1


def test_pdf_and_png_scans(services, activity_id, tmp_path):
    svc = PhotoService(services)
    svc.attach(
        "activities",
        activity_id,
        [
            photo_samples.pdf_scan(tmp_path / "签到表.pdf"),
            photo_samples.png_scan(tmp_path / "s.png"),
        ],
    )
    pdf, png = svc.rows("activities", activity_id)
    assert pdf.kind == "pdf" and pdf.thumb == "" and svc.read(pdf.hash).startswith(b"%PDF")
    assert png.kind == "jpeg" and (png.width, png.height) == (1129, 1600)


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda d: photo_samples.big_file(d / "huge.jpg"), "too_big"),
        (lambda d: photo_samples.renamed_exe(d / "照片.jpg"), "wrong_type"),
        (
            lambda d: photo_samples.corrupt_jpeg(
                d / "cut.jpg", photo_samples.camera_jpeg(d / "whole.jpg", size=(800, 600))
            ),
            "corrupt",
        ),
    ],
)
def test_bad_files_get_a_clear_message_and_nothing_is_written(
    services, activity_id, tmp_path, make, code
):
    path = make(tmp_path)
    svc = PhotoService(services)
    before = services.store.query("SELECT count(*) AS n FROM changes")[0]["n"]
    with pytest.raises(PhotoError) as err:
        svc.attach("activities", activity_id, [path])
    assert err.value.code == code
    assert path.name in err.value.message
    assert services.store.query("SELECT count(*) AS n FROM changes")[0]["n"] == before
    assert svc.rows("activities", activity_id) == []


def test_remove_is_a_tombstone_that_syncs(services, activity_id, tmp_path):
    svc = PhotoService(services)
    [att_id] = svc.attach("activities", activity_id, [photo_samples.pdf_scan(tmp_path / "x.pdf")])
    svc.apply("activities", activity_id, AttachmentEdits(removed=[att_id]))
    assert svc.rows("activities", activity_id) == []
    assert services.store.get("attachments", att_id)["deleted"] is True
    logged = services.store.pending_changes(0, limit=1000)
    assert logged[-1]["tbl"] == "attachments" and logged[-1]["fields"] == {"deleted": True}
    assert q.pending_count(services.store) == 0  # a removed photo is not sent


def test_backup_copies_each_photo_once(services, activity_id, tmp_path, data_dir):
    svc = PhotoService(services)
    svc.attach(
        "activities", activity_id, [photo_samples.camera_jpeg(tmp_path / "1.jpg", size=(900, 700))]
    )
    maintenance.backup_now(data_dir)
    backed = PhotoFiles(data_dir / "backups" / "photos")
    assert sorted(backed.hashes()) == sorted(svc.files.hashes())
    mtimes = {h: backed.path(h).stat().st_mtime_ns for h in backed.hashes()}
    svc.attach(
        "activities",
        activity_id,
        [photo_samples.camera_jpeg(tmp_path / "2.jpg", size=(900, 700), seed=5)],
    )
    maintenance.backup_now(data_dir)
    assert len(list(backed.hashes())) == 4
    assert all(backed.path(h).stat().st_mtime_ns == t for h, t in mtimes.items())


def test_cli_attach_status_and_bundle_without_enrollment(cli, services, activity_id, tmp_path):
    services.close()  # the CLI opens the data dir itself
    photo = photo_samples.camera_jpeg(tmp_path / "a.jpg", size=(900, 600))
    exe = photo_samples.renamed_exe(tmp_path / "b.jpg")
    bad = cli("photos", "attach", "activity", activity_id, str(photo), str(exe))
    assert bad.returncode == 2 and "b.jpg" in bad.stderr and "没有附加任何文件" in bad.stderr
    ok = cli("photos", "attach", "activity", activity_id, str(photo), check=True)
    assert "已附加 1 个文件" in ok.stdout
    assert "照片待上传：1 张" in cli("photos", "status", check=True).stdout
    out = cli("bundle", "export", "-o", str(tmp_path / "x.pzhbundle"))
    assert out.returncode == 2 and "请先联网同步一次" in out.stderr
    assert not (tmp_path / "x.pzhbundle").exists()


def test_the_list_shows_each_records_oldest_photo_and_its_count(services, activity_id, tmp_path):
    svc = PhotoService(services)
    other = ActivityService(services).save(
        Activity(title="广场舞比赛", date="2026-10-02", kind="performance", delivery="station")
    )
    first, second, third = (
        photo_samples.camera_jpeg(tmp_path / f"{i}.jpg", size=(800, 600), seed=i) for i in (1, 2, 3)
    )
    svc.attach("activities", activity_id, [first])
    svc.attach("activities", activity_id, [second])  # attached later: not the list's photo
    svc.attach("activities", other, [third])
    atts = svc.rows("activities", activity_id)
    assert svc.first_thumbs("activities", [activity_id, other, "none"]) == {
        activity_id: atts[0].thumb,
        other: svc.rows("activities", other)[0].thumb,
    }
    assert atts[0].thumb != atts[1].thumb and atts[0].name == "1.jpg"
    assert svc.counts("activities", [activity_id, other, "none"]) == {activity_id: 2, other: 1}
    assert svc.first_thumbs("activities", []) == {} and svc.counts("activities", []) == {}
