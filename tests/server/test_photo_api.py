"""The server's photo endpoints against the real app (in-process HTTP): chunks checked one by
one and the whole file by hash, types by content, sizes, per-station limits, resume offsets."""

from __future__ import annotations

import hashlib
import os

import pytest
from fastapi.testclient import TestClient

from pzh_core import photos
from sync.server import admin, photo_cli
from sync.server.app import create_app

T0 = 1_790_000_000_000


@pytest.fixture
def server(tmp_path):
    app = create_app(tmp_path / "srv", now=lambda: T0)
    with TestClient(app) as client:
        client.storage = app.state.storage
        client.photos = app.state.photos
        yield client


def device(server, name="测试镇综合文化站"):
    st = admin.create_station(server.storage, name, "仁和区").id
    code = admin.issue_code(server.storage, st).code
    r = server.post(
        "/v1/enroll",
        json={"protocol": 1, "code": code, "device_name": "PC", "app_version": "1.0"},
    )
    assert r.status_code == 200, r.text
    return st, {"Authorization": f"Bearer {r.json()['token']}"}


def begin(server, auth, data, kind="jpeg", size=None):
    return server.post(
        f"/v1/photos/{photos.sha256(data)}",
        json={"protocol": 1, "size": len(data) if size is None else size, "kind": kind},
        headers=auth,
    )


def put(server, auth, hash_, offset, piece, digest=None):
    return server.put(
        f"/v1/photos/{hash_}?offset={offset}",
        content=piece,
        headers={
            **auth,
            "Content-Type": "application/octet-stream",
            "X-Chunk-SHA256": digest or hashlib.sha256(piece).hexdigest(),
        },
    )


def send_all(server, auth, data, chunk=photos.CHUNK_BYTES):
    h = photos.sha256(data)
    offset = begin(server, auth, data).json()["received"]
    r = None
    while offset < len(data):
        r = put(server, auth, h, offset, data[offset : offset + chunk])
        assert r.status_code == 200, r.text
        offset = r.json()["received"]
    return r


def jpeg(n=300_000, seed=b"a"):
    """``n`` bytes that start like a JPEG (the server checks the start only)."""
    return b"\xff\xd8\xff\xe0" + os.urandom(16) + (seed * n)[: n - 20]


def test_upload_in_chunks_resume_and_download(server):
    st, auth = device(server)
    data = jpeg(300_000)
    h = photos.sha256(data)
    assert begin(server, auth, data).json() == {
        "received": 0,
        "size": len(data),
        "complete": False,
        "chunk": photos.CHUNK_BYTES,
        "day_left": 200 * 1024 * 1024,
        "day_budget": 200 * 1024 * 1024,  # the default of the city setting photo_day_mb
    }
    assert put(server, auth, h, 0, data[:65536]).json()["received"] == 65536
    # The answer was lost and the chunk comes again: acknowledged, not written twice.
    assert put(server, auth, h, 0, data[:65536]).json()["received"] == 65536
    # A chunk past what the server holds: 409 says where to go on from.
    ahead = put(server, auth, h, 131072, data[131072:196608])
    assert ahead.status_code == 409 and ahead.json()["received"] == 65536
    # After a restart the desk asks again and resumes.
    assert begin(server, auth, data).json()["received"] == 65536
    offset = 65536
    while offset < len(data):
        r = put(server, auth, h, offset, data[offset : offset + 65536])
        offset = r.json()["received"]
    assert r.json()["complete"] is True
    got = server.get(f"/v1/photos/{h}", headers=auth)
    assert got.status_code == 200 and got.content == data
    assert got.headers["content-type"] == "image/jpeg"
    part = server.get(f"/v1/photos/{h}", headers={**auth, "Range": "bytes=1000-"})
    assert part.status_code == 206 and part.content == data[1000:]
    # Another station cannot read it.
    _, other = device(server, "另一个文化站")
    assert server.get(f"/v1/photos/{h}", headers=other).status_code == 404


def test_the_same_file_from_two_pcs_is_stored_once(server):
    st, auth = device(server)
    data = jpeg(100_000)
    send_all(server, auth, data)
    code = admin.issue_code(server.storage, st).code
    tok = server.post(
        "/v1/enroll", json={"protocol": 1, "code": code, "device_name": "PC2", "app_version": "1"}
    ).json()["token"]
    again = begin(server, {"Authorization": f"Bearer {tok}"}, data).json()
    assert again["complete"] is True and again["received"] == len(data)
    files = list((server.photos.root / "files").rglob("*"))
    assert len([f for f in files if f.is_file()]) == 1
    assert server.photos.usage(st) == len(data)


def test_refusals_have_clear_messages(server):
    st, auth = device(server)
    big = begin(server, auth, b"\xff\xd8\xff" + b"x" * 10, size=photos.MAX_STORED_BYTES + 1)
    assert big.status_code == 413 and "上限" in big.json()["message"]
    exe = b"MZ\x90\x00" + b"\x00" * 5000
    bad_kind = begin(server, auth, exe, kind="exe")
    assert bad_kind.status_code == 415 and "JPG" in bad_kind.json()["message"]
    # A renamed .exe announced as a JPEG is refused by its content when it is complete.
    h = photos.sha256(exe)
    assert begin(server, auth, exe).status_code == 200
    r = put(server, auth, h, 0, exe)
    assert r.status_code == 415 and "按文件内容判断" in r.json()["message"]
    assert server.photos.has(h) is None
    # A chunk damaged on the way is refused (and can be sent again).
    data = jpeg(70_000)
    hd = photos.sha256(data)
    begin(server, auth, data)
    bad = put(server, auth, hd, 0, data[:1000], digest="0" * 64)
    assert bad.status_code == 400 and bad.json()["error"] == "chunk_corrupt"
    # Bytes that do not add up to the announced hash: refused whole, started again.
    wrong = bytearray(data)
    wrong[-1] ^= 0xFF
    put(server, auth, hd, 0, bytes(wrong[:65536]))
    r = put(server, auth, hd, 65536, bytes(wrong[65536:]))
    assert r.status_code == 422 and r.json()["received"] == 0
    assert begin(server, auth, data).json()["received"] == 0
    # Unknown hash format, no token.
    assert server.post("/v1/photos/xyz", json={"protocol": 1}, headers=auth).status_code == 404
    assert server.get(f"/v1/photos/{hd}").status_code == 401


def test_station_limit_and_daily_budget(server):
    st, auth = device(server)
    server.photos.set_station_limit(st, 150_000)
    send_all(server, auth, jpeg(100_000))
    full = begin(server, auth, jpeg(100_000, seed=b"b"))
    assert full.status_code == 507
    assert "上限" in full.json()["message"] and "本机" in full.json()["message"]
    server.photos.set_station_limit(st, None)
    # The daily budget is the city setting photo_day_mb, written for this station (decision 3).
    assert photo_cli.set_day_budget(server.storage, 0.2, station_id=st) == 1
    budget = int(0.2 * 1024 * 1024)
    data = jpeg(150_000, seed=b"c")
    h = photos.sha256(data)
    answer = begin(server, auth, data).json()
    assert answer["day_budget"] == budget and answer["day_left"] == budget - 100_000
    put(server, auth, h, 0, data[:65536])
    over = put(server, auth, h, 65536, data[65536:])
    assert over.status_code == 429 and over.json()["error"] == "photo_budget"
    assert over.json()["received"] == 65536


def test_two_server_processes_continue_each_others_upload(server, tmp_path):
    """Issue 16: behind one address, each chunk may reach another server process. The upload in
    progress lives in the database and the photo directory both share, not in a process: a
    second app over the same database and data dir takes the chunks the first acknowledged on,
    and the file arrives byte-identical once."""
    st, auth = device(server)
    data = jpeg(400_000, seed=b"m")
    h = photos.sha256(data)
    other_app = create_app(tmp_path / "srv", now=lambda: T0)
    with TestClient(other_app) as other:
        assert begin(server, auth, data).json()["received"] == 0
        offset, turn = 0, 0
        while offset < len(data):
            via = (server, other)[turn % 2]
            r = put(via, auth, h, offset, data[offset : offset + 65536])
            assert r.status_code == 200, r.text
            offset, turn = r.json()["received"], turn + 1
        assert r.json()["complete"] is True
        # The other process answers a resumed announcement and the download alike.
        assert begin(other, auth, data).json()["complete"] is True
        assert other.get(f"/v1/photos/{h}", headers=auth).content == data
    assert server.get(f"/v1/photos/{h}", headers=auth).content == data
    assert server.storage.query("SELECT count(*) AS n FROM srv_photo_chunks")[0]["n"] == 0
