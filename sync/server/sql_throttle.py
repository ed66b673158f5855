"""What several server processes must count together, in the SQL storage (either engine): the
token buckets (enrollment attempts per address) and the web pages' failed sign-ins. Each is read
and written in one transaction with its rows locked, so two processes never both take the last
token or both try the fifth password."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence

from sync.server.db.conn import Conn
from sync.server.sql_base import SqlBase
from sync.server.storage import T

DAY_MS = 86_400_000  # rows untouched for a day hold nothing worth keeping


class SqlThrottle(SqlBase):
    """Throttling state of :class:`sync.server.sql_storage.SqlStorage`."""

    def take_token(self, key: str, rate: float, burst: int) -> float:
        def tx(c: Conn) -> float:
            now = self.now()
            row = c.one(
                "SELECT tokens, last_ms FROM srv_throttle WHERE key = ?" + c.dialect.for_update,
                (key,),
            )
            tokens = float(burst)
            if row is not None:
                tokens = min(tokens, row[0] + max(0, now - row[1]) / 1000 * rate)
            wait = 0.0
            if tokens >= 1:
                tokens -= 1
            else:
                wait = (1 - tokens) / rate if rate > 0 else 3600.0
            c.execute(
                "INSERT INTO srv_throttle (key, tokens, last_ms) VALUES (?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET tokens = excluded.tokens,"
                " last_ms = excluded.last_ms",
                (key, tokens, now),
            )
            if random.random() < 0.01:
                c.execute("DELETE FROM srv_throttle WHERE last_ms < ?", (now - DAY_MS,))
            return wait

        return self._write(tx)

    def signin_failures(
        self, keys: Sequence[str], change: Callable[[dict[str, list[int]]], T]
    ) -> T:
        ordered = sorted(set(keys))  # one locking order: two transactions never deadlock

        def tx(c: Conn) -> T:
            now = self.now()
            # The rows exist before they are locked (FOR UPDATE locks no missing row).
            c.executemany(
                "INSERT INTO srv_signin (key, times, last_ms) VALUES (?, '[]', ?)"
                " ON CONFLICT (key) DO NOTHING",
                [(k, now) for k in ordered],
            )
            marks = ",".join("?" * len(ordered))
            rows = c.all(
                f"SELECT key, times FROM srv_signin WHERE key IN ({marks}) ORDER BY key"
                + c.dialect.for_update,
                ordered,
            )
            before = {k: [] for k in ordered} | {r[0]: json.loads(r[1]) for r in rows}
            times = {k: list(v) for k, v in before.items()}
            out = change(times)
            c.executemany(
                "INSERT INTO srv_signin (key, times, last_ms) VALUES (?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET times = excluded.times,"
                " last_ms = excluded.last_ms",
                [(k, json.dumps(v), now) for k, v in times.items() if v != before[k]],
            )
            if random.random() < 0.01:
                c.execute("DELETE FROM srv_signin WHERE last_ms < ?", (now - DAY_MS,))
            return out

        return self._write(tx)
