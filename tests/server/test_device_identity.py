"""Device identity against a real server on loopback (issue 12, situations 5 and 7; decision 4):
idempotent enrollment, the device-epoch check (never a silent drop) and re-keying."""

from __future__ import annotations

import uuid

import httpx

from pzh_core import hlc
from pzh_core.domain import erasure
from tests import server_fixtures
from tests.server_fixtures import LiveServer

sync_server = server_fixtures.sync_server


def _enroll(server: LiveServer, code: str, request_id: str | None, **extra) -> httpx.Response:
    body = {"protocol": 1, "code": code, "device_name": "站里电脑", "app_version": "1.0", **extra}
    if request_id:
        body["request_id"] = request_id
    return httpx.post(f"{server.url}/v1/enroll", json=body, timeout=10)


def _sync(server: LiveServer, token: str, push=(), **extra) -> httpx.Response:
    body = {"protocol": 1, "push": list(push), "cursor": 0, **extra}
    return httpx.post(
        f"{server.url}/v1/sync",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


def _rekey(server: LiveServer, token: str, request_id: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/v1/rekey",
        json={"protocol": 1, "request_id": request_id},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


def _change(seq: int, device: str, row: str, title: str, ms: int | None = None) -> dict:
    ms = ms or hlc.wall_ms() - 60_000
    return {"seq": seq, "t": "activities", "id": row, "s": hlc.encode(ms, seq, device),
            "f": {"title": title}}  # fmt: skip


def _devices(server: LiveServer) -> list[dict]:
    return server.query("SELECT * FROM srv_devices ORDER BY created_ms")


def test_a_retried_enrollment_answers_the_same_device_and_leaves_no_orphan(sync_server):
    """Situation 5: the answer is lost, the PC retries with the same code and request id."""
    station = sync_server.create_station()
    code = sync_server.issue_code(station)
    request = str(uuid.uuid4())
    first = _enroll(sync_server, code, request)
    assert first.status_code == 200, first.text
    retry = _enroll(sync_server, code.lower().replace("-", " "), request)  # typed again
    assert retry.status_code == 200, retry.text
    assert retry.json()["device_id"] == first.json()["device_id"]
    assert retry.json()["station"]["id"] == station
    assert len(_devices(sync_server)) == 1, "an orphan device was left"
    # The token of the lost answer is replaced; the one the PC holds works.
    assert _sync(sync_server, first.json()["token"]).status_code == 401
    assert _sync(sync_server, retry.json()["token"]).status_code == 200

    # Another attempt (another request id), or a retry once the device has synced: spent.
    other = _enroll(sync_server, code, str(uuid.uuid4()))
    assert other.status_code == 410 and other.json()["error"] == "code_spent"
    again = _enroll(sync_server, code, request)
    assert again.status_code == 410 and "用过" in again.json()["message"]
    assert len(_devices(sync_server)) == 1


def test_a_seq_below_the_applied_mark_the_server_never_saw_is_not_dropped(sync_server):
    """Situation 7: today it is answered 200 and dropped; now the file is told to re-key."""
    station = sync_server.create_station()
    dev = sync_server.enroll(station)
    did, token = dev["device_id"], dev["token"]
    r = _sync(sync_server, token, [_change(1, did, "r1", "一"), _change(3, did, "r3", "三")])
    assert r.status_code == 200 and r.json()["acked_seq"] == 3
    for extra in ({}, {"acked_seq": 1}, {"acked_seq": 3}):  # older desks send no mark
        r = _sync(sync_server, token, [_change(2, did, "r2", "二")], **extra)
        assert r.status_code == 409, (extra, r.text)
        body = r.json()
        assert body["error"] == "rekey_required" and body["applied_seq"] == 3
        assert "备份" in body["message"]
    rows = sync_server_rows(sync_server)
    assert set(rows) == {"r1", "r3"}  # nothing applied, nothing silently skipped either


def test_a_resend_after_a_lost_answer_is_not_a_fork_but_a_restored_file_is(sync_server):
    station = sync_server.create_station()
    dev = sync_server.enroll(station)
    did, token = dev["device_id"], dev["token"]
    batch = [_change(1, did, "r1", "一"), _change(2, did, "r2", "二")]
    assert _sync(sync_server, token, batch, acked_seq=0).json()["acked_seq"] == 2
    # The answer was lost: the same file sends the same changes again, plus a new one.
    r = _sync(sync_server, token, [*batch, _change(3, did, "r3", "三")], acked_seq=0)
    assert r.status_code == 200 and r.json()["acked_seq"] == 3
    # A part of it (a smaller batch) is a resend too.
    assert _sync(sync_server, token, batch[:1], acked_seq=0).status_code == 200
    # A file restored from a backup taken at mark 1: nothing to push, but the server holds 2, 3.
    r = _sync(sync_server, token, [], acked_seq=1)
    assert r.status_code == 409 and r.json()["error"] == "rekey_required"
    # Or it recorded something new under seq 2 (another stamp).
    r = _sync(sync_server, token, [_change(2, did, "r9", "恢复后")], acked_seq=1)
    assert r.status_code == 409
    # A copied folder whose log skips a seq the server holds (2) is refused as well.
    r = _sync(sync_server, token, [batch[0], _change(3, did, "r3", "三")], acked_seq=0)
    assert r.status_code == 409
    # The true file, up to date, syncs on.
    assert _sync(sync_server, token, [], acked_seq=3).status_code == 200


def test_a_resent_seq_with_the_same_stamp_but_another_change_is_a_fork(sync_server):
    """A file whose clock stood behind its stamps issues the same seq and stamp again after a
    restore; only the change itself tells them apart. After an erasure the server keeps no hash
    of the changes (it could confirm a guessed name) and compares those seqs by stamp alone."""
    station = sync_server.create_station()
    dev = sync_server.enroll(station)
    did, token = dev["device_id"], dev["token"]
    first = _change(1, did, "r1", "一")
    assert _sync(sync_server, token, [first, _change(2, did, "r2", "二")]).status_code == 200
    other = {**first, "id": "r9"}  # the same seq and stamp, another row
    r = _sync(sync_server, token, [other], acked_seq=0)
    assert r.status_code == 409 and r.json()["error"] == "rekey_required", r.text
    r = _sync(sync_server, token, [{**first, "f": {"title": "另一个值"}}], acked_seq=0)
    assert r.status_code == 409
    assert _sync(sync_server, token, [first], acked_seq=0).status_code == 200  # a true resend
    person = str(uuid.uuid4())
    erase = {"seq": 3, "t": "people", "id": person, "s": hlc.encode(hlc.wall_ms(), 0, did),
             "f": {**erasure.ERASE_PERSON, "erased_on": "2026-12-01"}}  # fmt: skip
    assert _sync(sync_server, token, [erase], acked_seq=2).status_code == 200
    bodies = sync_server.query("SELECT body FROM srv_seen WHERE device_id = ?", (did,))
    assert len(bodies) == 3 and all(b["body"] is None for b in bodies)


def test_rekey_issues_a_new_device_retires_the_old_and_feeds_back_its_changes(sync_server):
    station = sync_server.create_station()
    dev = sync_server.enroll(station)
    old, token = dev["device_id"], dev["token"]
    assert _sync(sync_server, token, [_change(1, old, "r1", "从旧身份推送")]).status_code == 200

    request = str(uuid.uuid4())
    r = _rekey(sync_server, token, request)
    assert r.status_code == 200, r.text
    new = r.json()
    assert new["replaces"] == old and new["device_id"] != old
    assert new["station"]["id"] == station and new["server_time_ms"] > 0
    # The answer was lost: the retry answers the same new device, with a fresh token.
    again = _rekey(sync_server, token, request)
    assert again.status_code == 200 and again.json()["device_id"] == new["device_id"]
    assert _sync(sync_server, new["token"]).status_code == 401
    new_token = again.json()["token"]

    # The new device pulls from 0 and gets back what the old id pushed.
    pulled = _sync(sync_server, new_token, acked_seq=1).json()
    assert ("r1", {"title": "从旧身份推送"}) in [(c["id"], c["f"]) for c in pulled["changes"]]
    # The old token now says re-key (another copy of the file is still using it) ...
    r = _sync(sync_server, token, [], acked_seq=1)
    assert r.status_code == 409 and r.json()["error"] == "rekey_required"
    # ... and that copy becomes a device of its own: never two writers under one id.
    other = _rekey(sync_server, token, str(uuid.uuid4()))
    assert other.status_code == 200
    ids = {old, new["device_id"], other.json()["device_id"]}
    assert len(ids) == 3
    devices = {d["id"]: d for d in _devices(sync_server)}
    assert devices[old]["revoke_reason"] == "rekeyed" and devices[old]["revoked_ms"]
    assert devices[new["device_id"]]["parent_id"] == old
    assert len(devices) == 3  # no orphans from the retried answer


def test_rekey_refuses_admin_revoked_and_unknown_tokens(sync_server):
    station = sync_server.create_station()
    dev = sync_server.enroll(station)
    sync_server.revoke(dev["device_id"])
    r = _rekey(sync_server, dev["token"], str(uuid.uuid4()))
    assert r.status_code == 403 and r.json()["error"] == "device_revoked"
    assert _rekey(sync_server, "not-a-token", str(uuid.uuid4())).status_code == 401
    fresh = sync_server.enroll(station)
    bad = _rekey(sync_server, fresh["token"], "短")
    assert bad.status_code == 400 and bad.json()["message"]


def sync_server_rows(server: LiveServer) -> dict[str, dict]:
    return {r["id"]: r for r in server.query("SELECT * FROM activities")}
