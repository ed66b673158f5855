"""Photos on the wire (issue 15): bytes for N evidence photos against the sum of their stored
sizes (goal ≤ 1.05×); time over an emulated 2G link (64 kbit/s, 500 ms round trip) with the
connection cut every ``--drop-every`` seconds, against the floor stored bytes ÷ bandwidth (goal
≤ 1.5×); bytes sent again per cut (goal ≤ one chunk).

``python benchmarks/bench_photos.py [--photos 10] [--drop-every 60] [--no-shaping]``

Real desk code (``PhotoService`` reduces camera-sized JPEGs with Pillow; ``PhotoUploader`` sends
them) and a real ``pzh-sync-server`` on loopback; bytes counted by ``tests/fault_proxy.py``
(HTTP heads and bodies, both ways; not TCP/IP headers or TLS).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from fault_proxy import FaultProxy  # noqa: E402

from pzh_core import photos  # noqa: E402
from pzh_core.domain.activity import Activity  # noqa: E402
from pzh_station.services.activities import ActivityService  # noqa: E402
from pzh_station.services.context import Services  # noqa: E402
from pzh_station.services.photos import PhotoService  # noqa: E402
from pzh_station.sync_client import RetryPolicy, SyncError  # noqa: E402
from pzh_station.sync_client.photo_transfer import PhotoUploader  # noqa: E402
from pzh_station.sync_client.transport import Transport  # noqa: E402
from tests import photo_samples  # noqa: E402
from tests.server_fixtures import start_server  # noqa: E402
from tests.sync_helpers import PC  # noqa: E402

BANDWIDTH_BPS = 64_000
RTT_MS = 500


def host_port(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)


def cutter(proxy: FaultProxy, every_s: float, stop: threading.Event) -> None:
    """Cut every open connection every ``every_s`` seconds (a 2G link that drops)."""
    while not stop.wait(every_s):
        for conn in list(proxy._conns):  # noqa: SLF001 - the test proxy's own connections
            conn.abort()
        proxy.stats.cuts += 1


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--photos", type=int, default=10)
    ap.add_argument("--drop-every", type=float, default=60.0)
    ap.add_argument("--no-shaping", action="store_true")
    ap.add_argument("--quick", action="store_true", help="3 photos, no link shaping")
    args = ap.parse_args()
    if args.quick:
        args.photos, args.no_shaping = 3, True
    with tempfile.TemporaryDirectory() as tmp, start_server(Path(tmp) / "srv") as server:
        station = server.create_station()
        pc = PC(Path(tmp), "pc", retry=RetryPolicy(attempts=1))
        pc.enroll(server.url, server.issue_code(station))
        svc = Services(pc.data_dir, pc.store, "李明")
        act = ActivityService(svc).save(
            Activity(title="送戏下乡", date="2026-10-01", kind="performance", delivery="mobile")
        )
        picked = [
            photo_samples.camera_jpeg(Path(tmp) / f"IMG_{i:04d}.JPG", size=(4000, 3000), seed=i)
            for i in range(args.photos)
        ]
        t0 = time.perf_counter()
        PhotoService(svc).attach("activities", act, picked)
        reduce_s = time.perf_counter() - t0
        pc.sync()
        atts = PhotoService(svc).list("activities", act)
        stored = sum(a.size + a.thumb_size for a in atts)
        shaping = {} if args.no_shaping else {"bandwidth_bps": BANDWIDTH_BPS, "rtt_ms": RTT_MS}
        with FaultProxy(host_port(server.url), **shaping) as proxy:
            stop = threading.Event()
            threading.Thread(
                target=cutter, args=(proxy, args.drop_every, stop), daemon=True
            ).start()
            t0 = time.perf_counter()
            runs = failures = 0
            while True:
                runs += 1
                t = Transport(
                    proxy.url, token=pc.store.meta("sync_token"), retry=RetryPolicy(attempts=1)
                )
                try:
                    if PhotoUploader(pc.store, t).run().pending == 0:
                        break
                except SyncError:
                    failures += 1
                    time.sleep(1.0)  # the agent's retry after a cut
                finally:
                    t.close()
            elapsed = time.perf_counter() - t0
            stop.set()
        wire = proxy.stats.total
        floor = stored * 8 / BANDWIDTH_BPS
        resent = proxy.stats.bytes_up - stored
        print(
            f"photos: {args.photos} camera JPEGs 4000x3000 "
            f"({sum(p.stat().st_size for p in picked) / 1e6:.1f} MB picked),"
            f" reduced in {reduce_s:.1f} s"
        )
        print(f"stored: {stored} bytes ({stored / 1e6:.2f} MB, photos + thumbnails)")
        print(
            f"on the wire: {wire} bytes = {wire / stored:.3f}x stored "
            f"(up {proxy.stats.bytes_up}, down {proxy.stats.bytes_down})"
        )
        print(
            f"cuts: {proxy.stats.cuts}, failed runs: {failures}; bytes up beyond the files: "
            f"{resent} ({resent / max(1, proxy.stats.cuts):.0f} per cut incl. heads; "
            f"chunk = {photos.CHUNK_BYTES})"
        )
        if not args.no_shaping:
            print(f"time: {elapsed:.0f} s; floor {floor:.0f} s; ratio {elapsed / floor:.2f}x")


if __name__ == "__main__":
    main()
