"""The city web pages show each activity's photos; a county downloads a period's evidence as a
zip (real server, real HTTP, signed in as a county user)."""

from __future__ import annotations

import csv
import hashlib
import io
import uuid
import zipfile

import httpx

from pzh_core import photos
from tests import photo_samples, server_fixtures
from tests.web_support import PASSWORD, Device, activity, web_client

sync_server = server_fixtures.sync_server


def upload(url: str, dev: Device, data: bytes) -> str:
    h = photos.sha256(data)
    auth = {"Authorization": f"Bearer {dev.token}"}
    r = httpx.post(
        f"{url}/v1/photos/{h}",
        json={"protocol": 1, "size": len(data), "kind": "jpeg"},
        headers=auth,
    )
    assert r.status_code == 200, r.text
    r = httpx.put(
        f"{url}/v1/photos/{h}?offset=0",
        content=data,
        headers={**auth, "X-Chunk-SHA256": hashlib.sha256(data).hexdigest()},
    )
    assert r.json()["complete"], r.text
    return h


def attachment(act: str, h: str, thumb: str, name: str, size: int) -> dict:
    return {
        "owner_table": "activities",
        "owner_id": act,
        "hash": h,
        "kind": "jpeg",
        "size": size,
        "thumb": thumb,
        "thumb_size": 10,
        "name": name,
        "deleted": False,
    }


def test_station_photos_page_and_county_zip(sync_server, tmp_path):
    sid = sync_server.create_station("大田镇综合文化站", "仁和区")
    enrolled = sync_server.enroll(sid)
    dev = Device(enrolled["device_id"], enrolled["token"], sid)
    for user, county in (("renhe", "仁和区"), ("miyi", "米易县")):
        sync_server.admin(
            "create-user",
            "--name",
            user,
            "--role",
            "county",
            "--password",
            PASSWORD,
            "--county",
            county,
        )
    photo = photo_samples.jpeg_bytes((800, 600), seed=1)
    thumb = photo_samples.jpeg_bytes((160, 120), seed=2)
    h, t = upload(sync_server.url, dev, photo), upload(sync_server.url, dev, thumb)
    act, later = str(uuid.uuid4()), str(uuid.uuid4())
    missing = "ab" * 32  # attached on the PC, not sent yet
    dev.push(
        sync_server.url,
        [
            ("activities", act, activity("2026-03-08", attendance=80, title="三八节/文艺汇演")),
            ("activities", later, activity("2026-05-01", attendance=50, title="劳动节")),
            ("attachments", str(uuid.uuid4()), attachment(act, h, t, "IMG_1.jpg", len(photo))),
            ("attachments", str(uuid.uuid4()), attachment(act, missing, "", "签到表.jpg", 999)),
            ("attachments", str(uuid.uuid4()), attachment(later, h, t, "IMG_1.jpg", len(photo))),
        ],
    )
    with web_client(sync_server.url, "renhe") as web:
        page = web.get(f"/web/station/{sid}/photos?from=2026-03-01&to=2026-03-31")
        assert page.status_code == 200
        assert "三八节/文艺汇演" in page.text and "劳动节" not in page.text
        assert f'/web/photo/{sid}/{t}"' in page.text and "签到表.jpg（尚未上传）" in page.text
        img = web.get(f"/web/photo/{sid}/{h}")
        assert img.status_code == 200 and img.content == photo
        assert web.get(f"/web/photo/{sid}/{missing}").status_code == 404
        z = web.get("/web/evidence.zip?from=2026-01-01&to=2026-12-31")
        assert z.status_code == 200 and z.headers["content-type"] == "application/zip"
        zf = zipfile.ZipFile(io.BytesIO(z.content))
        jpgs = [n for n in zf.namelist() if n.endswith(".jpg")]
        assert len(jpgs) == 2 and all(zf.read(n) == photo for n in jpgs)
        assert any(n.startswith("大田镇综合文化站/2026-03-08 三八节_文艺汇演/") for n in jpgs)
        rows = list(csv.reader(io.StringIO(zf.read("清单.csv").decode("utf-8-sig"))))
        assert len(rows) == 4 and sum(r[-1] == "尚未上传" for r in rows) == 1
        bad = web.get("/web/evidence.zip?from=2026-12-01&to=2026-01-01")
        assert bad.status_code == 400 and "开始日期不能晚于结束日期" in bad.text
    with web_client(sync_server.url, "miyi") as web:
        assert web.get(f"/web/station/{sid}/photos").status_code == 404
        assert web.get(f"/web/photo/{sid}/{h}").status_code == 404
        z = web.get("/web/evidence.zip?from=2026-01-01&to=2026-12-31")
        assert [
            n for n in zipfile.ZipFile(io.BytesIO(z.content)).namelist() if n.endswith(".jpg")
        ] == []
