"""A record's history replayed from its change log (pzh_core.history): in stamp order whatever
the order the logs hold, from→to per field, a refused change shown but never merged."""

from __future__ import annotations

from pzh_core import hlc
from pzh_core.history import Entry, steps

T = 1_795_000_000_000


def test_steps_replay_in_stamp_order_with_from_and_to():
    a = hlc.encode(T, 0, "deskA")
    b = hlc.encode(T + 60_000, 0, "server")
    c = hlc.encode(T + 120_000, 0, "laptopB")
    d = hlc.encode(T + 180_000, 0, "deskA")
    got = steps(
        [
            Entry(d, {"attendance": 95}, "李明"),
            Entry(a, {"title": "广场舞", "attendance": 80}, "李明"),
            Entry(c, {"attendance": 500}, "王芳", refused=True),
            Entry(b, {"status": "approved"}, "renhe"),
            Entry(a, {"title": "广场舞", "attendance": 80}, "李明"),  # the same change twice
        ]
    )
    assert [(s.device, s.operator, s.refused) for s in got] == [
        ("deskA", "李明", False),
        ("server", "renhe", False),
        ("laptopB", "王芳", True),
        ("deskA", "李明", False),
    ]
    assert got[0].changes == [("title", None, "广场舞"), ("attendance", None, 80)]
    assert got[2].changes == [("attendance", 80, 500)]  # shown, not merged:
    assert got[3].changes == [("attendance", 80, 95)]  # the next step starts from 80
    assert got[1].who == "renhe（市服务器）" and got[0].who.startswith("李明（设备 deskA")
