"""Photos from real station PCs to a real server through a link that is cut again and again:
the file arrives byte-identical with at most one chunk resent per cut; a restart mid-transfer
resumes; the same photo from two PCs is stored once; a new PC gets records first, then
thumbnails, then a photo on demand (a cut download resumes)."""

from __future__ import annotations

import os
import random

import pytest

from pzh_core import photos
from pzh_core.domain.activity import Activity
from pzh_station.services.activities import ActivityService
from pzh_station.services.context import Services
from pzh_station.services.photos import PhotoService
from pzh_station.store import photos as q
from pzh_station.store import sync_state
from pzh_station.sync_client import SyncError
from pzh_station.sync_client.photo_transfer import (
    PhotoUploader,
    download,
    fetch_missing_thumbnails,
)
from pzh_station.sync_client.transport import Transport
from tests import photo_samples, server_fixtures
from tests.fault_proxy import FaultProxy
from tests.server_fixtures import LiveServer
from tests.sync_helpers import FAST_RETRY, PC

sync_server = server_fixtures.sync_server
MB5 = 5 * 1024 * 1024


def host_port(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)


def services(pc: PC) -> Services:
    return Services(pc.data_dir, pc.store, "李明")


def transport(pc: PC, url: str) -> Transport:
    return Transport(url, token=sync_state.token(pc.store), retry=FAST_RETRY)


def big_pdf(path, size=MB5):
    path.write_bytes(b"%PDF-1.4\n" + os.urandom(size - 16) + b"\n%%EOF\n")
    return path


def activity(pc: PC) -> str:
    return ActivityService(services(pc)).save(
        Activity(title="送戏下乡", date="2026-10-01", kind="performance", delivery="mobile")
    )


def upload_until_done(pc: PC, url: str, **kw) -> list:
    """Upload as the background agent would: again after every failure."""
    results = []
    for _ in range(200):
        t = transport(pc, url)
        try:
            results.append(PhotoUploader(pc.store, t, **kw).run())
            if results[-1].pending == 0:
                return results
        except SyncError as exc:
            assert exc.transient, exc.message
        finally:
            t.close()
    raise AssertionError("the photos never all went")


def server_file(server: LiveServer, hash_: str) -> bytes:
    return (server.data_dir / "photos" / "files" / photos.shard_path(hash_)).read_bytes()


def test_cut_many_times_inside_a_5mb_transfer(tmp_path, sync_server: LiveServer):
    station = sync_server.create_station()
    rng = random.Random(7)
    with FaultProxy(host_port(sync_server.url)) as proxy:
        a = PC(tmp_path, "a")
        a.enroll(sync_server.url, sync_server.issue_code(station))
        act = activity(a)
        [att_id] = PhotoService(services(a)).attach(
            "activities", act, [big_pdf(tmp_path / "s.pdf")]
        )
        att = a.store.get("attachments", att_id)
        a.sync()  # records first, on the good link
        proxy.reset_stats()
        # Each connection is kept alive for many chunks: cut it at any byte, ten times up
        # (inside a chunk being sent) and four times down (the acknowledgement lost).
        for direction in ["up"] * 10 + ["down"] * 4:
            proxy.cut_next(direction, rng.randint(1, 700_000 if direction == "up" else 2_000))
        upload_until_done(a, proxy.url)
        cuts = proxy.stats.cuts
        assert cuts >= 10, "the proxy should have cut the transfer many times"
        assert server_file(sync_server, att["hash"]) == PhotoService(services(a)).read(att["hash"])
        # At most one chunk (plus request heads) sent again per cut.
        chunks = -(-MB5 // photos.CHUNK_BYTES)
        heads = (chunks + 3 * cuts) * 400  # request lines and headers: chunks, resends, begins
        resent = proxy.stats.bytes_up - MB5 - heads
        print(f"cuts={cuts} up={proxy.stats.bytes_up} resent~{resent}")
        assert resent <= cuts * photos.CHUNK_BYTES
        assert q.pending_count(a.store) == 0


def test_a_restart_mid_transfer_resumes_from_the_last_acknowledged_chunk(
    tmp_path, sync_server: LiveServer
):
    station = sync_server.create_station()
    a = PC(tmp_path, "a")
    a.enroll(sync_server.url, sync_server.issue_code(station))
    act = activity(a)
    [att_id] = PhotoService(services(a)).attach(
        "activities", act, [big_pdf(tmp_path / "s.pdf", 1_000_000)]
    )
    hash_ = a.store.get("attachments", att_id)["hash"]
    a.sync()
    chunks = {"n": 0}

    def stop_after_5() -> bool:
        chunks["n"] += 1
        return chunks["n"] > 6  # thumb-less PDF: stop after 5 chunks of the file

    first = PhotoUploader(a.store, transport(a, sync_server.url), should_stop=stop_after_5).run()
    assert first.stopped == "asked" and first.bytes_sent == 5 * photos.CHUNK_BYTES
    a.store.close()  # the PC is switched off
    a2 = PC(tmp_path, "a")
    assert q.pending_uploads(a2.store)[0].acked == 5 * photos.CHUNK_BYTES
    second = PhotoUploader(a2.store, transport(a2, sync_server.url)).run()
    assert second.bytes_sent == 1_000_000 - 5 * photos.CHUNK_BYTES
    assert second.pending == 0
    assert photos.sha256(server_file(sync_server, hash_)) == hash_


def test_same_photo_two_pcs_stored_once_and_a_new_pc_fetches_on_demand(
    tmp_path, sync_server: LiveServer
):
    station = sync_server.create_station()
    a, b = PC(tmp_path, "a"), PC(tmp_path, "b")
    for pc in (a, b):
        pc.enroll(sync_server.url, sync_server.issue_code(station))
    photo = photo_samples.camera_jpeg(tmp_path / "IMG.jpg", size=(3000, 2000))
    act = activity(a)
    PhotoService(services(a)).attach("activities", act, [photo])
    a.sync()
    [ra] = upload_until_done(a, sync_server.url)
    assert ra.files_done == 2  # the thumbnail and the photo
    # PC b attaches the same picture to its own record: nothing is sent twice.
    act_b = activity(b)
    PhotoService(services(b)).attach("activities", act_b, [photo])
    b.sync()
    [rb] = upload_until_done(b, sync_server.url)
    assert rb.files_done == 2 and rb.bytes_sent == 0
    stored = [f for f in (sync_server.data_dir / "photos" / "files").rglob("*") if f.is_file()]
    assert len(stored) == 2

    # A replacement PC: records first (no photo bytes in the record sync) …
    c = PC(tmp_path, "c")
    c.enroll(sync_server.url, sync_server.issue_code(station))
    c.sync()
    svc = PhotoService(services(c))
    [att] = svc.rows("activities", act)
    assert svc.read(att.hash) is None and svc.read(att.thumb) is None
    # … then the thumbnails …
    with FaultProxy(host_port(sync_server.url)) as proxy:
        t = transport(c, proxy.url)
        assert fetch_missing_thumbnails(c.store, t) == 1  # both records share one thumbnail
        assert svc.read(att.thumb) is not None and svc.read(att.hash) is None
        # … and the photo when it is opened; a cut download resumes where it stopped.
        proxy.cut_next("down", 60_000)
        assert download(c.store, t, att.hash) is True
        t.close()
    assert svc.read(att.hash) == PhotoService(services(a)).read(att.hash)


def test_a_full_station_sets_the_file_aside_with_the_servers_message(
    tmp_path, sync_server: LiveServer
):
    station = sync_server.create_station()
    sync_server.admin("photo-limit", "--station", station, "--station-mb", "0.1")
    a = PC(tmp_path, "a")
    a.enroll(sync_server.url, sync_server.issue_code(station))
    PhotoService(services(a)).attach(
        "activities", activity(a), [big_pdf(tmp_path / "x.pdf", 300_000)]
    )
    a.sync()
    result = PhotoUploader(a.store, transport(a, sync_server.url)).run()
    assert len(result.refused) == 1 and "上限" in result.refused[0]
    assert q.refused_uploads(a.store)[0]["error"] == result.refused[0]
    assert result.pending == 1  # still counted as waiting: it has not reached the server


@pytest.mark.parametrize("budget", [200_000])
def test_the_daily_budget_stops_photos_until_tomorrow(tmp_path, sync_server: LiveServer, budget):
    station = sync_server.create_station()
    a = PC(tmp_path, "a")
    a.enroll(sync_server.url, sync_server.issue_code(station))
    PhotoService(services(a)).attach(
        "activities", activity(a), [big_pdf(tmp_path / "x.pdf", 500_000)]
    )
    a.sync()
    today = PhotoUploader(
        a.store, transport(a, sync_server.url), day=lambda: "2026-10-01", day_budget=budget
    ).run()
    assert today.stopped == "budget" and today.bytes_sent <= budget and today.pending == 1
    tomorrow = PhotoUploader(
        a.store, transport(a, sync_server.url), day=lambda: "2026-10-02", day_budget=budget
    ).run()
    assert tomorrow.bytes_sent + today.bytes_sent <= 500_000 + photos.CHUNK_BYTES
    assert tomorrow.stopped == "budget"


def test_the_citys_daily_budget_reaches_the_desk_which_stops_before_the_server_refuses(
    tmp_path, sync_server: LiveServer
):
    """Decision 3: the budget is a synced city setting (here for the station's county); the desk
    reads it from its city_settings rows and stops at it; the server states the same value."""
    station = sync_server.create_station()
    a = PC(tmp_path, "a")
    a.enroll(sync_server.url, sync_server.issue_code(station))
    assert q.day_budget(a.store) == 200 * 1024 * 1024  # the default until the city sets one
    sync_server.admin("photo-budget", "--day-mb", "0.25", "--county", "仁和区")
    PhotoService(services(a)).attach(
        "activities", activity(a), [big_pdf(tmp_path / "x.pdf", 600_000)]
    )
    a.sync()  # brings the city_settings row
    budget = q.day_budget(a.store)
    assert budget == int(0.25 * 1024 * 1024)
    t = transport(a, sync_server.url)
    result = PhotoUploader(a.store, t, day=lambda: "2026-10-01", day_budget=budget).run()
    t.close()
    assert result.stopped == "budget" and result.pending == 1
    assert 0 < result.bytes_sent <= budget
    assert not result.refused  # stopped by the desk itself, not by a refusal
    assert q.budget_used(a.store, "2026-10-01") == result.bytes_sent


def test_upload_reports_its_progress_and_a_stop_resumes_where_it_ended(
    tmp_path, sync_server: LiveServer
):
    """Issue 17: a photo upload shows files and bytes of the total; 停止上传 ends the run after
    the chunk in flight, and the next run counts only what is left."""
    station = sync_server.create_station()
    a = PC(tmp_path, "a")
    a.enroll(sync_server.url, sync_server.issue_code(station))
    act = activity(a)
    size = 10 * photos.CHUNK_BYTES
    PhotoService(services(a)).attach(
        "activities", act, [big_pdf(tmp_path / "a.pdf", size), big_pdf(tmp_path / "b.pdf", size)]
    )
    a.sync()
    seen: list = []

    def stop_after_three_chunks() -> bool:
        return sum(1 for p in seen if p.bytes_done) >= 3

    t = transport(a, sync_server.url)
    try:
        first = PhotoUploader(
            a.store, t, should_stop=stop_after_three_chunks, progress=seen.append
        ).run()
    finally:
        t.close()
    assert first.stopped == "asked" and first.pending == 2
    assert (seen[0].files_total, seen[0].bytes_total, seen[0].bytes_done) == (2, 2 * size, 0)
    done = [p.bytes_done for p in seen]
    assert done == sorted(done) and done[-1] == 3 * photos.CHUNK_BYTES

    resumed: list = []
    t = transport(a, sync_server.url)
    try:
        second = PhotoUploader(a.store, t, progress=resumed.append).run()
    finally:
        t.close()
    assert second.pending == 0 and second.stopped == ""
    left = 2 * size - 3 * photos.CHUNK_BYTES
    assert (resumed[0].bytes_total, resumed[0].files_total) == (left, 2)
    assert [p.files_done for p in resumed].count(1) >= 1
    assert (resumed[-1].files_done, resumed[-1].bytes_done) == (2, left)
    assert [p.bytes_done for p in resumed] == sorted(p.bytes_done for p in resumed)
