"""No SQL in widgets: every module under pzh_station/ui reaches the database only through services
on the DB thread (``ctx.tasks.run``), never through sqlite3, a connection or an SQL string."""

from __future__ import annotations

import re
from pathlib import Path

UI = Path(__file__).resolve().parents[2] / "pzh_station" / "ui"
FORBIDDEN = re.compile(
    r"import sqlite3|\.execute\(|\.executemany\(|\.conn\b|store\.query\("
    r"|\b(SELECT|INSERT INTO|DELETE FROM)\b|UPDATE \w+ SET"
)


def test_no_sql_in_ui_modules():
    offenders = []
    for path in sorted(UI.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if FORBIDDEN.search(line):
                offenders.append(f"{path.relative_to(UI.parent.parent)}:{number}: {line.strip()}")
    assert not offenders, "SQL or a DB connection in the UI layer:\n" + "\n".join(offenders)


def test_the_check_would_catch_sql():
    assert FORBIDDEN.search('rows = store.conn.execute("SELECT id FROM activities")')
    assert not FORBIDDEN.search("self.ctx.tasks.run(lambda s: ActivityService(s).ids(f))")
