"""The audit log on the storage (both engines): what approvals, returns and the administration
pages record, read back newest first, scoped to stations, filtered by kind; a station's rename
is one transaction with its audit entry and a server write its PCs pull."""

from __future__ import annotations

import pytest

from sync.server import admin
from sync.server.storage import AUDIT_ACTIONS


@pytest.fixture
def storage(make_storage):
    clock = iter(range(1_800_000_000_000, 1_900_000_000_000, 1000))
    return make_storage(now=lambda: next(clock))


def test_entries_are_read_back_newest_first_scoped_and_filtered(storage) -> None:
    a = storage.create_station("甲站", "仁和区")
    b = storage.create_station("乙站", "米易县")
    storage.audit("web:chen", "return.approve", "r-1", "甲站 2025年年报：通过", station_id=a.id)
    storage.audit("web:li", "return.unlock", "r-2", "乙站 2025年年报：退回修改", station_id=b.id)
    storage.audit("admin", "user.create", "wang", "wang（仁和区）")
    every = storage.list_audit(limit=None)
    assert [e.target for e in every] == ["wang", "r-2", "r-1"]
    assert every[0].ms > every[1].ms > every[2].ms
    assert (every[2].actor, every[2].action, every[2].station_id) == (
        "web:chen",
        "return.approve",
        a.id,
    )
    assert every[2].detail == "甲站 2025年年报：通过"
    # A county sees only what concerns its stations (never the accounts' entries).
    assert [e.target for e in storage.list_audit(station_ids=[a.id])] == ["r-1"]
    assert storage.list_audit(station_ids=[]) == []
    assert [e.target for e in storage.list_audit(actions=["return.unlock", "user.create"])] == [
        "wang",
        "r-2",
    ]
    assert [e.target for e in storage.list_audit(limit=1)] == ["wang"]
    # An action nobody labelled yet shows its key; a labelled one its Chinese name.
    assert every[1].label == "return.unlock"
    assert every[0].label == AUDIT_ACTIONS["user.create"] == "新建账号"


def test_rename_writes_the_name_the_feed_and_the_audit_entry_together(storage) -> None:
    st = admin.create_station(storage, "同德镇综合文化站", "仁和区", actor="web:chen")
    admin.rename_station(storage, st.id, "同德镇文化站", actor="web:chen", reason="统一名称")
    assert storage.get_station(st.id).name == "同德镇文化站"
    rows = storage.query("SELECT name FROM stations WHERE id = ?", (st.id,))
    assert rows == [{"name": "同德镇文化站"}]  # the replica row its PCs pull
    feed = storage.query("SELECT fields FROM srv_feed WHERE station_id = ? ORDER BY seq", (st.id,))
    assert "同德镇文化站" in feed[-1]["fields"]
    rename, create = storage.list_audit(station_ids=[st.id])
    assert (create.action, rename.action) == ("station.create", "station.rename")
    assert rename.target == st.id
    assert "“同德镇综合文化站”改为“同德镇文化站”（统一名称）" in rename.detail


def test_a_failed_rename_leaves_no_audit_entry(storage) -> None:
    with pytest.raises(KeyError):
        storage.rename_station("no-such-station", "新名", actor="admin", reason="")
    assert storage.list_audit(limit=None) == []
