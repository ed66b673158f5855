"""Killing the app in the middle of writing leaves each change whole or absent.

A real subprocess writes activities as fast as it can (new rows, edits, trash and restore, and
pairs of rows written in one transaction) and is killed with SIGKILL at a random moment, several
times over on the same file. After every kill the file must be intact and must hold exactly what
its change log says: every row has its change-log entries and every entry its row, each row's
stamp is its newest entry's, replaying the log rebuilds each row, and no pair is half-written.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict

import pytest

from pzh_station.services.context import open_services
from pzh_station.store import changelog

WRITER = r"""
import itertools, random, sys
from pzh_core.domain.activity import Activity
from pzh_station.services.activities import ActivityService
from pzh_station.services.context import open_services

s = open_services(sys.argv[1], operator="李明")
svc = ActivityService(s)
rng = random.Random(int(sys.argv[2]))
mine = []
for n in itertools.count():
    step = n % 4
    if step == 0 or not mine:
        mine.append(svc.save(Activity(title=f"活动{sys.argv[2]}-{n}", date="2025-03-01",
                                      kind="lecture", attendance=n,
                                      notes="备注" * rng.randint(0, 300))))
    elif step == 1:
        a = svc.get(rng.choice(mine))
        a.attendance += 1
        a.title += "改"
        svc.save(a)
    elif step == 2:
        victim = rng.choice(mine)
        svc.delete(victim)
        if rng.random() < 0.5:
            svc.restore(victim)
    else:
        with s.store.transaction():  # a pair that belongs together
            for side in ("a", "b"):
                s.store.write("activities", None, {"title": f"pair-{sys.argv[2]}-{n}-{side}",
                                                    "date": "2025-03-02", "kind": "other",
                                                    "delivery": "station"})
    if n == 5:
        print("ready", flush=True)
"""

TRACKED = ("title", "attendance", "deleted")


def check_consistent(data_dir) -> int:
    s = open_services(data_dir)
    try:
        conn = s.store.conn
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = {
            r["id"]: dict(r)
            for r in conn.execute(
                "SELECT id, title, attendance, deleted, updated_at FROM activities"
            )
        }
        log = defaultdict(list)
        for e in changelog.entries(s.store, "tbl = 'activities' ORDER BY seq"):
            log[e["row_id"]].append((e["seq"], e["stamp"], e["fields"]))
        assert set(log) == set(rows), (
            "a row without its change-log entry, or an entry without its row"
        )
        for row_id, row in rows.items():
            entries = log[row_id]
            assert max(stamp for _seq, stamp, _f in entries) == row["updated_at"]
            replay = {"title": "", "attendance": 0, "deleted": False}
            for _seq, _stamp, fields in entries:
                replay.update({k: v for k, v in fields.items() if k in TRACKED})
            assert (replay["title"], replay["attendance"], bool(replay["deleted"])) == (
                row["title"],
                row["attendance"],
                bool(row["deleted"]),
            ), row_id
        pairs = defaultdict(set)
        for row in rows.values():
            if row["title"].startswith("pair-"):
                pairs[row["title"].rsplit("-", 1)[0]].add(row["title"][-1])
        assert all(sides == {"a", "b"} for sides in pairs.values()), (
            "half of a transaction survived"
        )
        return len(rows)
    finally:
        s.close()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")
def test_sigkill_at_random_points_never_leaves_half_a_change(services, data_dir):
    services.close()  # the writer owns the file while it runs
    rng = random.Random()
    seed = rng.randrange(1_000_000)
    rng.seed(seed)
    env = {**os.environ, "PYTHONPATH": os.getcwd() + os.pathsep + os.environ.get("PYTHONPATH", "")}
    counts = []
    for iteration in range(6):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(data_dir), str(seed + iteration)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert line.strip() == "ready", proc.stderr.read() if proc.stderr else line
            time.sleep(rng.uniform(0.0, 0.4))  # somewhere in the middle of the writing
            assert proc.poll() is None, "the writer must still be writing when it is killed"
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.wait(timeout=30)
            for stream in (proc.stdout, proc.stderr):
                if stream:
                    stream.close()
        assert proc.returncode == -signal.SIGKILL
        counts.append(check_consistent(data_dir))
    assert counts == sorted(counts) and counts[-1] > counts[0], (
        f"writes should accumulate (seed {seed})"
    )
