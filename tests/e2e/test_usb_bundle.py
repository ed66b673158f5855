"""USB bundles with a real server and real station files: export the PC's pending changes and
photos, import at the server (``pzh-sync-server admin import-bundle``), import the signed answer;
twice changes nothing; a tampered bundle is refused; bundles and network sync mix; a PC with no
network enrolls by file."""

from __future__ import annotations

import zipfile

import pytest

from pzh_core import bundle, photos
from pzh_core.bundle import BundleError
from pzh_core.domain.activity import Activity
from pzh_station.services.activities import ActivityService
from pzh_station.services.context import Services
from pzh_station.services.photos import PhotoService
from pzh_station.store import photos as q
from pzh_station.store import sync_state
from pzh_station.sync_client import bundle as usb
from pzh_station.sync_client.transport import Transport
from tests import photo_samples, server_fixtures
from tests.server_fixtures import LiveServer
from tests.sync_helpers import PC, server_feed_count, server_rows

sync_server = server_fixtures.sync_server


def services(pc: PC) -> Services:
    return Services(pc.data_dir, pc.store, "李明")


def add_activity(pc: PC, title: str) -> str:
    return ActivityService(services(pc)).save(
        Activity(title=title, date="2026-10-01", kind="performance", delivery="mobile")
    )


def server_import(server: LiveServer, path, answer, *, check=True):
    return server.admin("import-bundle", str(path), "-o", str(answer), check=check)


def online_pc(tmp_path, server: LiveServer, station: str, name: str) -> PC:
    pc = PC(tmp_path, name)
    pc.enroll(server.url, server.issue_code(station))
    pc.sync()
    t = Transport(server.url, token=sync_state.token(pc.store))
    usb.register_key(pc.store, t)
    t.close()
    return pc


def test_export_import_answer_twice_and_mixed_with_network(tmp_path, sync_server: LiveServer):
    station = sync_server.create_station()
    a = online_pc(tmp_path, sync_server, station, "a")
    b = online_pc(tmp_path, sync_server, station, "b")
    # The network is gone for PC a: three activities and a photo go by USB.
    ids = [add_activity(a, f"送戏下乡{i}") for i in range(3)]
    PhotoService(services(a)).attach(
        "activities", ids[0], [photo_samples.camera_jpeg(tmp_path / "p.jpg", size=(1600, 1200))]
    )
    out = usb.export(a.store, tmp_path / "a.pzhbundle")
    assert out.changes == a.pending() and out.photos == 2  # the photo and its thumbnail
    # Meanwhile PC b syncs over the network.
    b_id = add_activity(b, "广场舞")
    b.sync()
    answer = tmp_path / "a-回执.pzhbundle"
    proc = server_import(sync_server, out.path, answer)
    assert "已导入" in proc.stdout
    assert set(ids) <= set(server_rows(sync_server, "activities", station))
    att = a.store.query("SELECT hash FROM attachments")[0]["hash"]
    stored = sync_server.data_dir / "photos" / "files" / photos.shard_path(att)
    assert photos.sha256(stored.read_bytes()) == att
    feed = server_feed_count(sync_server)

    got = usb.import_answer(a.store, answer)
    assert got.changes >= 1 and a.store.get("activities", b_id)["title"] == "广场舞"
    assert a.pending() == 0 and q.pending_count(a.store) == 0
    snapshot = a.snapshot()

    # Importing the same bundle again changes nothing on the server; the answer again, nothing here.
    server_import(sync_server, out.path, tmp_path / "again.pzhbundle")
    assert server_feed_count(sync_server) == feed
    usb.import_answer(a.store, answer)
    usb.import_answer(a.store, tmp_path / "again.pzhbundle")
    assert a.snapshot() == snapshot
    # The network comes back: nothing is sent twice, PC b gets a's rows.
    result = a.sync()
    assert result.pushed == 0
    b.sync()
    assert set(ids) <= set(b.snapshot()["activities"])


def test_a_tampered_bundle_is_refused_and_changes_nothing(tmp_path, sync_server: LiveServer):
    station = sync_server.create_station()
    a = online_pc(tmp_path, sync_server, station, "a")
    add_activity(a, "原来的标题")
    PhotoService(services(a)).attach(
        "activities", add_activity(a, "有照片"), [photo_samples.pdf_scan(tmp_path / "s.pdf")]
    )
    good = usb.export(a.store, tmp_path / "a.pzhbundle").path
    feed = server_feed_count(sync_server)

    def altered(name: str, change) -> str:
        src = zipfile.ZipFile(good)
        path = tmp_path / f"bad-{name.replace('/', '_')[:20]}.pzhbundle"
        with zipfile.ZipFile(path, "w") as out:
            for item in src.infolist():
                data = src.read(item.filename)
                out.writestr(item.filename, change(data) if item.filename == name else data)
        return str(path)

    manifest = altered(
        "manifest.json", lambda d: d.replace("原来的标题".encode(), "改过的标题".encode())
    )
    photo = next(n for n in zipfile.ZipFile(good).namelist() if n.startswith("photos/"))
    pdf = altered(photo, lambda d: d.replace(b"Catalog", b"Catalox"))
    for path, words in ((manifest, "签名不符"), (pdf, "照片与清单不符")):
        proc = server_import(sync_server, path, tmp_path / "x.pzhbundle", check=False)
        assert proc.returncode == 2 and words in proc.stderr
    (tmp_path / "junk.pzhbundle").write_bytes(b"PK\x03\x04 not really")
    proc = server_import(sync_server, tmp_path / "junk.pzhbundle", tmp_path / "x", check=False)
    assert proc.returncode == 2 and "不是文化站工作台的同步包" in proc.stderr
    assert server_feed_count(sync_server) == feed
    # The desk refuses an answer not signed by its server, and its own bundle as an answer.
    forged = tmp_path / "forged.pzhbundle"
    bundle.write(forged, {"direction": "down", "station_id": station}, [], bundle.new_private_key())
    with pytest.raises(BundleError) as err:
        usb.import_answer(a.store, forged)
    assert err.value.code == "unknown_key"
    with pytest.raises(BundleError):
        usb.import_answer(a.store, good)


def test_a_pc_without_network_enrolls_by_file_then_syncs_online_later(
    tmp_path, sync_server: LiveServer
):
    station = sync_server.create_station("攀莲镇综合文化站", "米易县")
    enrollment = tmp_path / "登记.json"
    sync_server.admin("enrollment-file", "--station", station, "-o", str(enrollment))
    c = PC(tmp_path, "c")
    c.set_up_offline("攀莲镇文化站")  # worked offline first, under a station id of its own
    before = add_activity(c, "离线时的活动")
    with pytest.raises(BundleError):
        usb.import_answer(c.store, tmp_path / "nothing.pzhbundle")
    name = usb.enroll_from_file(c.store, enrollment)
    assert name == "攀莲镇综合文化站" and c.store.station_id == station
    out = usb.export(c.store, tmp_path / "c.pzhbundle")
    answer = tmp_path / "c-回执.pzhbundle"
    server_import(sync_server, out.path, answer)
    assert before in server_rows(sync_server, "activities", station)
    assert usb.import_answer(c.store, answer).enrolled
    assert c.pending() == 0
    # Imported twice at the server: the code is spent by this very PC, nothing changes.
    feed = server_feed_count(sync_server)
    server_import(sync_server, out.path, tmp_path / "c2.pzhbundle")
    assert server_feed_count(sync_server) == feed
    # The network comes: the token from the answer lets it sync (the server address is set now).
    c.store.set_meta("sync_server_url", sync_server.url)
    online = add_activity(c, "联网后的活动")
    assert c.sync().pushed >= 1 and c.pending() == 0
    assert online in server_rows(sync_server, "activities", station)


def test_a_county_user_uploads_the_bundle_on_the_web_pages(tmp_path, sync_server: LiveServer):
    from tests.web_support import PASSWORD, csrf_of, web_client

    station = sync_server.create_station("大田镇综合文化站", "仁和区")
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
    a = online_pc(tmp_path, sync_server, station, "a")
    act = add_activity(a, "送戏下乡")
    out = usb.export(a.store, tmp_path / "a.pzhbundle")
    feed = server_feed_count(sync_server)
    with web_client(sync_server.url, "miyi") as web:  # another county: refused, nothing applied
        form = web.get("/web/bundle")
        r = web.post(
            "/web/bundle",
            data={"csrf": csrf_of(form.text)},
            files={"bundle": ("a.pzhbundle", out.path.read_bytes())},
        )
        assert r.status_code == 400 and "无权管理" in r.text
    assert server_feed_count(sync_server) == feed
    with web_client(sync_server.url, "renhe") as web:
        form = web.get("/web/bundle")
        assert form.status_code == 200 and 'type="file"' in form.text
        r = web.post(
            "/web/bundle", data={"csrf": "wrong"}, files={"bundle": ("a", out.path.read_bytes())}
        )
        assert r.status_code == 403
        r = web.post(
            "/web/bundle",
            data={"csrf": csrf_of(form.text)},
            files={"bundle": ("a.pzhbundle", out.path.read_bytes())},
        )
        assert r.status_code == 200 and "已导入" in r.text and "大田镇综合文化站" in r.text
        link = r.text.split('id="answer-link" href="')[1].split('"')[0]
        answer = web.get(link)
        assert answer.status_code == 200 and "attachment" in answer.headers["content-disposition"]
    assert act in server_rows(sync_server, "activities", station)
    (tmp_path / "answer.pzhbundle").write_bytes(answer.content)
    usb.import_answer(a.store, tmp_path / "answer.pzhbundle")
    assert a.pending() == 0
