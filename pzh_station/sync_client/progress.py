"""How far a running sync is: rows pushed and pulled of their totals, bytes, time left.

:class:`SyncClient` calls its ``progress`` callback with a :class:`SyncProgress` after each
exchange (one pushed batch and one pulled page, each applied in one transaction). The callback
may raise :class:`SyncCancelled` to stop the sync there: what was exchanged so far is kept (its
cursor and acked seq are stored with it), the rest is sent by the next sync — nothing is
half-written. The push total is the count of changes waiting when the sync starts; the pull
total is what the server says remains after its first page (``remaining``, servers since this
version), so a short sync, whose whole pull fits one page, has no total and needs none.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from pzh_station.sync_client.errors import SyncError


class SyncCancelled(SyncError):
    """A person stopped the sync between two exchanges (not an error to record)."""

    def __init__(self) -> None:
        super().__init__("cancelled")


@dataclass
class SyncProgress:
    pushed: int = 0
    push_total: int = 0
    pulled: int = 0
    pull_total: int | None = None  # None until the server says how many remain
    bytes_up: int = 0
    bytes_down: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def rows_done(self) -> int:
        return self.pushed + self.pulled

    @property
    def rows_total(self) -> int | None:
        """Rows of the whole sync, when known (the pull's total is known after its first page)."""
        if self.pull_total is None:
            return self.push_total if self.pushed < self.push_total else None
        return self.push_total + self.pull_total

    def fraction(self) -> float | None:
        total = self.rows_total
        if not total:
            return None
        return min(1.0, self.rows_done / total)

    def seconds_left(self) -> float | None:
        """From the pace so far; None until a tenth is done (too early to tell)."""
        part = self.fraction()
        if part is None or part < 0.1 or part >= 1.0:
            return None
        elapsed = time.monotonic() - self.started
        return elapsed * (1 - part) / part

    def text(self) -> str:
        """What the status bar shows, e.g.
        ``上传 1,200/5,000 条 · 下载 3,000/26,000 条 · 约剩 2 分钟``."""
        parts = []
        if self.push_total:
            parts.append(f"上传 {self.pushed:,}/{self.push_total:,} 条")
        if self.pull_total:
            parts.append(f"下载 {self.pulled:,}/{self.pull_total:,} 条")
        elif self.pulled:
            parts.append(f"已下载 {self.pulled:,} 条")
        if self.bytes_down + self.bytes_up >= 100_000:
            parts.append(f"{(self.bytes_down + self.bytes_up) / 1e6:.1f} MB")
        left = self.seconds_left()
        if left is not None:
            parts.append(
                f"约剩 {round(left / 60)} 分钟" if left >= 90 else f"约剩 {int(left) + 1} 秒"
            )
        return " · ".join(parts)


ProgressFn = Callable[[SyncProgress], None]
