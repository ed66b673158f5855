"""Request limits: a bounded, gzip-aware body reader and a token-bucket rate limiter."""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Callable


class BodyError(Exception):
    """A request body refused before parsing: ``status`` 413 (too large), 400 or 415."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail


def decode_body(raw: bytes, encoding: str, *, max_body: int) -> bytes:
    """The request body after ``Content-Encoding``, never more than ``max_body`` bytes.

    Decompression stops at ``max_body + 1`` bytes, so a gzip bomb costs the server at most that
    much memory before it is refused.
    """
    encoding = (encoding or "identity").strip().lower()
    if encoding in ("identity", ""):
        if len(raw) > max_body:
            raise BodyError(413, "too_large", "body too large")
        return raw
    if encoding != "gzip":
        raise BodyError(415, "bad_encoding", f"unsupported Content-Encoding {encoding!r}")
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = d.decompress(raw, max_body + 1)
    except zlib.error as exc:
        raise BodyError(400, "bad_gzip", f"not gzip: {exc}") from exc
    if len(data) > max_body or d.unconsumed_tail:
        raise BodyError(413, "too_large", "decompressed body too large")
    if not d.eof:
        raise BodyError(400, "bad_gzip", "truncated gzip body")
    if d.unused_data:
        raise BodyError(400, "bad_gzip", "data after the gzip stream")
    return data


class RateLimiter:
    """Token bucket per key: ``burst`` requests at once, refilled at ``rate`` per second.

    :param clock: monotonic seconds (tests replace it).
    """

    MAX_KEYS = 20_000

    def __init__(
        self, rate: float, burst: int, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, key: str) -> float:
        """Take one token for ``key``: 0 when allowed, else the seconds until one is available."""
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                if len(self._buckets) > self.MAX_KEYS:
                    self._prune(now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self.rate if self.rate > 0 else 3600.0

    def _prune(self, now: float) -> None:
        # Buckets that have refilled completely hold no information.
        full = [
            k
            for k, (t, last) in self._buckets.items()
            if t + (now - last) * self.rate >= self.burst
        ]
        for k in full:
            del self._buckets[k]
