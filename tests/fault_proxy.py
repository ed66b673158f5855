"""A small fault-injecting, link-shaping TCP proxy for the sync tests and benchmarks.

It sits between a client and a real server on loopback and forwards bytes both ways, and can:

- cut a connection at any byte, in either direction, at any time in its life: ``cut_per_kb`` is
  the chance that a cut falls within each kilobyte forwarded (so long transfers and connections
  kept alive for a whole sync are cut too, again on every new connection);
- cut a connection at a random byte offset of its start (``cut_probability``, decided once when
  it opens, within ``max_offset`` bytes), or at a chosen offset of the next connection
  (:meth:`cut_next`);
- drop the next answers after the server has already committed the request
  (:meth:`drop_next_responses`: the server's reply is swallowed and the connection closed);
- shape the link: ``bandwidth_bps`` (bits per second each way) and ``rtt_ms`` (round trip), as a
  2G link (64 kbit/s, 500 ms);
- count bytes and connections (``stats``), for the benchmarks.

Plain threads and sockets, so it needs nothing but the standard library.
"""

from __future__ import annotations

import collections
import random
import socket
import threading
import time
from dataclasses import dataclass, field


@dataclass
class ProxyStats:
    bytes_up: int = 0  # client → server
    bytes_down: int = 0  # server → client
    connections: int = 0
    cuts: int = 0
    dropped_responses: int = 0
    cut_at: list = field(default_factory=list)  # (direction, byte offset in the connection)

    @property
    def total(self) -> int:
        return self.bytes_up + self.bytes_down


_EOF = object()
_ABORT = object()


class _Pipe:
    """One direction of one connection: read, maybe cut, delay, pace, write."""

    def __init__(
        self, proxy: FaultProxy, conn: _Conn, src: socket.socket, dst: socket.socket, up: bool
    ) -> None:
        self.proxy, self.conn, self.src, self.dst, self.up = proxy, conn, src, dst, up
        self.queue: collections.deque = collections.deque()
        self.ready = threading.Condition()
        self.link_free = 0.0
        self.sent = 0

    def start(self) -> None:
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._write, daemon=True).start()

    def _push(self, item: object, size: int) -> None:
        p = self.proxy
        now = time.monotonic()
        start = max(now, self.link_free)
        self.link_free = start + (size * 8 / p.bandwidth_bps if p.bandwidth_bps else 0)
        due = self.link_free + p.rtt_ms / 2000.0
        with self.ready:
            self.queue.append((due, item))
            self.ready.notify()

    def _read(self) -> None:
        p = self.proxy
        while True:
            try:
                data = self.src.recv(p.chunk)
            except OSError:
                data = b""
            if not data:
                self._push(_EOF, 0)
                return
            cut_at = self.conn.cut_up if self.up else self.conn.cut_down
            if cut_at is None and p.cut_per_kb:
                cut_at = p._random_cut(self.sent, len(data))
            if not self.up and self.sent == self.conn.down_mark and p._take_drop():
                # The server has answered (so it committed): swallow the answer, close.
                self.conn.down_mark = -1
                with p._lock:
                    p.stats.dropped_responses += 1
                self._push(_ABORT, 0)
                return
            if cut_at is not None and self.sent + len(data) > cut_at:
                keep = data[: max(0, cut_at - self.sent)]
                if keep:
                    self._count(len(keep))
                    self._push(keep, len(keep))
                with p._lock:
                    p.stats.cuts += 1
                    p.stats.cut_at.append(("up" if self.up else "down", cut_at))
                self._push(_ABORT, 0)
                return
            self._count(len(data))
            self._push(data, len(data))

    def _count(self, n: int) -> None:
        self.sent += n
        with self.proxy._lock:
            if self.up:
                self.proxy.stats.bytes_up += n
            else:
                self.proxy.stats.bytes_down += n
        if self.up:
            # A new request went up: the next byte down starts its answer.
            self.conn.down_mark = self.conn.pipes[1].sent

    def _write(self) -> None:
        while True:
            with self.ready:
                while not self.queue:
                    self.ready.wait()
                due, item = self.queue.popleft()
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if item is _ABORT:
                self.conn.abort()
                return
            if item is _EOF:
                try:
                    self.dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                self.conn.half_closed()
                return
            try:
                self.dst.sendall(item)  # type: ignore[arg-type]
            except OSError:
                self.conn.abort()
                return


class _Conn:
    def __init__(
        self,
        proxy: FaultProxy,
        client: socket.socket,
        upstream: socket.socket,
        cut_up: int | None,
        cut_down: int | None,
    ) -> None:
        self.client, self.upstream = client, upstream
        self.cut_up, self.cut_down = cut_up, cut_down
        self.down_mark = -1
        self._halves = 0
        self._lock = threading.Lock()
        self.pipes = (
            _Pipe(proxy, self, client, upstream, True),
            _Pipe(proxy, self, upstream, client, False),
        )

    def start(self) -> None:
        for p in self.pipes:
            p.start()

    def half_closed(self) -> None:
        with self._lock:
            self._halves += 1
            done = self._halves == 2
        if done:
            self.abort()

    def abort(self) -> None:
        for s in (self.client, self.upstream):
            try:
                s.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                )
            except OSError:
                pass
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass


class FaultProxy:
    """:param upstream: ``(host, port)`` of the real server.
    :param seed: seed of the random faults (a failing run can be replayed).
    :param cut_probability: chance that a new connection is cut at a random offset.
    :param max_offset: random cut offsets are drawn from ``0 … max_offset`` bytes.
    :param cut_per_kb: chance of a cut within each kilobyte forwarded, either direction.
    :param bandwidth_bps: bits per second each way (None: unlimited).
    :param rtt_ms: round-trip time added (half each way).
    """

    def __init__(
        self,
        upstream: tuple[str, int],
        *,
        seed: int = 0,
        cut_probability: float = 0.0,
        max_offset: int = 4000,
        cut_per_kb: float = 0.0,
        bandwidth_bps: int | None = None,
        rtt_ms: float = 0.0,
        chunk: int = 1460,
    ) -> None:
        self.upstream = upstream
        self.rng = random.Random(seed)
        self.cut_probability = cut_probability
        self.max_offset = max_offset
        self.cut_per_kb = cut_per_kb
        self.bandwidth_bps = bandwidth_bps
        self.rtt_ms = rtt_ms
        self.chunk = chunk
        self.stats = ProxyStats()
        self._lock = threading.Lock()
        self._planned: collections.deque[tuple[str, int]] = collections.deque()
        self._drops = 0
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._closed = False
        self._conns: list[_Conn] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    # -- faults -------------------------------------------------------------------------
    def cut_next(self, direction: str, at: int) -> None:
        """Cut the next new connection after ``at`` bytes going ``"up"`` or ``"down"``."""
        with self._lock:
            self._planned.append((direction, at))

    def drop_next_responses(self, n: int = 1) -> None:
        """Swallow the next ``n`` answers (the server has committed them) and close."""
        with self._lock:
            self._drops += n

    def _take_drop(self) -> bool:
        with self._lock:
            if self._drops > 0:
                self._drops -= 1
                return True
            return False

    def _random_cut(self, sent: int, n: int) -> int | None:
        """A cut inside the next ``n`` bytes (at ``sent`` … ``sent + n``), or None."""
        chance = 1.0 - (1.0 - min(self.cut_per_kb, 1.0)) ** (n / 1024)
        with self._lock:
            if self.rng.random() >= chance:
                return None
            return sent + self.rng.randrange(n + 1)

    def reset_stats(self) -> None:
        with self._lock:
            self.stats = ProxyStats()

    # -- plumbing -----------------------------------------------------------------------
    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.upstream, timeout=10)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            for s in (client, upstream):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            cut_up = cut_down = None
            with self._lock:
                self.stats.connections += 1
                if self._planned:
                    direction, at = self._planned.popleft()
                elif self.cut_probability and self.rng.random() < self.cut_probability:
                    direction = self.rng.choice(("up", "down"))
                    at = self.rng.randint(0, self.max_offset)
                else:
                    direction, at = "", 0
            if direction == "up":
                cut_up = at
            elif direction == "down":
                cut_down = at
            conn = _Conn(self, client, upstream, cut_up, cut_down)
            self._conns.append(conn)
            conn.start()

    def close(self) -> None:
        self._closed = True
        try:
            self._sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() on Linux
        except OSError:
            pass
        try:
            self._sock.close()
        except OSError:
            pass
        for c in self._conns:
            c.abort()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
