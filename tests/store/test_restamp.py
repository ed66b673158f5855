"""A re-key (``sync_state.become_device``) gives the file's never-acknowledged writes the new
device id as their stamps' node — same time and counter — in the change log and in the row
fields that hold them; acknowledged writes and pulled ones keep theirs, and every entry still
reads the values it wrote (the lean change log, ``store/changelog.py``)."""

from __future__ import annotations

from pzh_core import hlc, stored_clocks
from pzh_station.store import Store, changelog, sync_state

STATION = "st-1"
OTHER = "b" * 32
NEW = "c" * 32


def _log(store: Store) -> list[tuple[int, str, dict]]:
    return [(e["seq"], e["stamp"], e["fields"]) for e in changelog.entries(store, "1 ORDER BY seq")]


def test_become_device_moves_only_unacknowledged_stamps_to_the_new_id(tmp_path):
    store = Store(tmp_path / "s.sqlite3")
    store.set_meta("station_id", STATION)
    old = store.clock.device
    acked_row = store.write("activities", None, {"title": "已上传", "attendance": 5})
    sync_state.put(store, sync_acked_seq=sync_state.max_seq(store))
    row = store.write("activities", None, {"title": "未上传", "attendance": 7})
    store.write("activities", acked_row, {"attendance": 9})  # pending, on an acked row
    last = hlc.parse(store.clock.last)
    pulled = f"{last.ms + 1:013d}.0000.{OTHER}"
    with store.transaction():  # another PC's later title on the pending row
        store.apply_remote("activities", row, STATION, {"title": "别处改的"}, pulled)
    before = _log(store)
    sync_state.become_device(store, device_id=NEW, token="t")
    after = _log(store)
    assert store.clock.device == NEW

    def moved(stamp: str) -> str:
        s = hlc.parse(stamp)
        return hlc.encode(s.ms, s.counter, NEW) if s.device == old else stamp

    # The acknowledged entry keeps its stamp; the two pending ones carry the new id, same
    # time and counter; every entry still reads the values it wrote.
    assert after[0] == before[0]
    assert after[1:] == [(seq, moved(stamp), fields) for seq, stamp, fields in before[1:]]
    assert after[1][2] == {"title": "未上传", "attendance": 7}
    assert all(hlc.parse(stamp).device == NEW for _, stamp, _ in after[1:])
    # The rows: fields at a pending stamp moved, the pulled title and the acked title stayed.
    clocks = stored_clocks.decode("activities", store.get("activities", row)["clocks"])
    assert clocks == {"title": pulled, "attendance": after[1][1]}
    assert store.get("activities", row)["title"] == "别处改的"
    clocks = stored_clocks.decode("activities", store.get("activities", acked_row)["clocks"])
    assert clocks["title"] == before[0][1] and clocks["attendance"] == after[2][1]
    assert store.get("activities", acked_row)["device_id"] == NEW  # its newest stamp's device
    # New writes stamp with the new id, after everything.
    store.write("activities", row, {"attendance": 8})
    assert _log(store)[-1][1].endswith("." + NEW)
    store.close()
