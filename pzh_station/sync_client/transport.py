"""HTTP to the city server: JSON, gzip both ways, timeouts, retries with backoff and jitter.

TLS certificates are verified by default (``requests`` with certifi's bundle); a city that runs
its own CA names a PEM file in the setting ``ca_bundle``. The system proxy (``HTTPS_PROXY`` …,
and on Windows the registry) is honoured because the session keeps ``trust_env``.

Every failure comes out as :class:`SyncError` with a Chinese message. Transient failures
(no connection, timeout, 5xx, 429, a cut-off answer) are retried here a few times with
exponential backoff and jitter; everything sent is idempotent, so a resent request changes
nothing on the server.
"""

from __future__ import annotations

import gzip
import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pzh_core.protocol import PROTOCOL_VERSION
from pzh_station import __version__
from pzh_station.sync_client.errors import SyncError

log = logging.getLogger(__name__)

GZIP_MIN_BYTES = 200  # below this gzip's own header costs more than it saves
CONNECT_TIMEOUT_S = 15.0
READ_TIMEOUT_S = 90.0  # a 64 KB answer over 2G takes ~10 s; leave room for a congested cell


@dataclass
class RetryPolicy:
    """How often and how long to retry one request.

    :param attempts: tries in total (1 = no retry).
    :param base_s: the first delay; each later one doubles, up to ``max_s``.
    :param max_s: the longest delay.
    """

    attempts: int = 4
    base_s: float = 1.0
    max_s: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    rng: Callable[[], float] = random.random

    def delay(self, attempt: int) -> float:
        """Delay before retry number ``attempt`` (0-based): half fixed, half random (jitter),
        so that many PCs cut off by the same outage do not all come back at the same moment."""
        cap = min(self.max_s, self.base_s * (2**attempt))
        return cap / 2 + self.rng() * cap / 2


@dataclass
class WireStats:
    """What went over the wire (HTTP bodies as sent; headers estimated by the proxy benchmarks)."""

    requests: int = 0
    body_bytes_up: int = 0
    body_bytes_down: int = 0
    failures: list[str] = field(default_factory=list)


def normalise_url(url: str) -> str:
    """``sync.example.cn`` → ``https://sync.example.cn``; refuses what is not an http(s) address."""
    url = (url or "").strip().rstrip("/")
    if url and "://" not in url:
        url = "https://" + url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in url:
        raise SyncError("bad_url", url or "（空）")
    return url


class Transport:
    """One server, one ``requests.Session`` (connections are kept alive between requests).

    :param base_url: the server address, e.g. ``https://sync.example.cn``.
    :param token: the device token (``Authorization: Bearer``) once enrolled.
    :param ca_bundle: path of a PEM file of the CA to trust instead of the public ones.
    :param retry: the retry policy.
    :param timeout: (connect, read) seconds.
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        ca_bundle: str | None = None,
        retry: RetryPolicy | None = None,
        timeout: tuple[float, float] = (CONNECT_TIMEOUT_S, READ_TIMEOUT_S),
    ) -> None:
        import requests  # loaded with the first sync, not at every start (0.25 s)

        self.base_url = normalise_url(base_url)
        self.token = token
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self.stats = WireStats()
        self.verify: bool | str = True
        if ca_bundle:
            if not Path(ca_bundle).is_file():
                raise SyncError("ca_missing", str(ca_bundle))
            self.verify = str(ca_bundle)
        self.session = requests.Session()
        self.session.trust_env = True  # system proxy settings (explicit: this is a requirement)
        # Few, short headers: every byte counts on a 2G link.
        self.session.headers.clear()
        self.session.headers.update(
            {"User-Agent": f"pzh-station/{__version__}", "Accept-Encoding": "gzip"}
        )

    def close(self) -> None:
        self.session.close()

    # -- requests -----------------------------------------------------------------------
    def post(self, path: str, body: dict[str, Any], *, auth: bool = True) -> dict[str, Any]:
        """POST ``body`` (with ``protocol`` added) as JSON, gzip when it pays; retried when
        transient."""
        payload = json.dumps(
            {"protocol": PROTOCOL_VERSION, **body}, ensure_ascii=False, separators=(",", ":")
        ).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if len(payload) >= GZIP_MIN_BYTES:
            payload = gzip.compress(payload, compresslevel=6, mtime=0)
            headers["Content-Encoding"] = "gzip"
        if auth and self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return self._with_retries(lambda: self._once("POST", path, payload, headers))

    def get(self, path: str) -> dict[str, Any]:
        return self._with_retries(lambda: self._once("GET", path, None, {}))

    def _with_retries(self, call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        attempts = max(1, self.retry.attempts)
        for attempt in range(attempts):
            try:
                return call()
            except SyncError as exc:
                self.stats.failures.append(exc.kind)
                if not exc.transient or attempt == attempts - 1:
                    raise
                delay = self.retry.delay(attempt)
                if exc.retry_after is not None:
                    delay = max(delay, min(exc.retry_after, self.retry.max_s))
                log.info("sync request failed (%s), retry in %.1f s", exc.kind, delay)
                self.retry.sleep(delay)
        raise AssertionError("unreachable")

    def _once(
        self, method: str, path: str, payload: bytes | None, headers: dict[str, str]
    ) -> dict[str, Any]:
        import requests  # loaded with the first sync, not at every start (0.25 s)

        url = self.base_url + path
        self.stats.requests += 1
        if payload:
            self.stats.body_bytes_up += len(payload)
        try:
            resp = self.session.request(
                method, url, data=payload, headers=headers, timeout=self.timeout, verify=self.verify
            )
            raw = resp.content  # read the whole answer here, so a cut mid-body is caught below
        except requests.exceptions.SSLError as exc:
            raise SyncError("tls", _short(exc)) from exc
        except requests.exceptions.ProxyError as exc:
            raise SyncError("offline", "代理服务器：" + _short(exc)) from exc
        except requests.exceptions.Timeout as exc:
            raise SyncError("timeout", _short(exc)) from exc
        except requests.exceptions.ConnectionError as exc:
            # Also a connection cut while reading the answer (urllib3 ProtocolError).
            raise SyncError("offline", _offline_detail(self.base_url, exc)) from exc
        except (
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError,
        ) as exc:
            raise SyncError("bad_response", _short(exc)) from exc
        except requests.exceptions.InvalidURL as exc:
            raise SyncError("bad_url", self.base_url) from exc
        except requests.exceptions.RequestException as exc:
            raise SyncError("offline", _short(exc)) from exc
        self.stats.body_bytes_down += int(resp.headers.get("Content-Length") or len(raw))
        data = _json_or_none(raw)
        if resp.status_code >= 400:
            raise _http_error(resp.status_code, data, resp.headers.get("Retry-After"))
        if not isinstance(data, dict):
            raise SyncError("bad_response", f"HTTP {resp.status_code}，{len(raw)} 字节")
        return data


def _json_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def _http_error(status: int, data: Any, retry_after: str | None) -> SyncError:
    code = data.get("error", "") if isinstance(data, dict) else ""
    message = data.get("message", "") if isinstance(data, dict) else ""
    detail = message or code or f"HTTP {status}"
    if 400 <= status < 500 and status != 429 and not isinstance(data, dict):
        # The server answers every refusal with a JSON object: without one, the answer was cut
        # on the way (or is not our server's) — never a refusal to act on.
        hint = "请检查服务器地址" if status == 404 else "回答不完整"
        return SyncError("bad_response", f"HTTP {status}，{hint}")
    if code == "server_too_old":
        return SyncError("server_too_old", detail)
    if code == "rekey_required":
        return SyncError("rekey_required", detail)
    if status == 426 or code in ("upgrade_required", "protocol"):
        return SyncError("upgrade", detail)
    if status == 401:
        return SyncError("unauthorized", detail)
    if status == 429:
        try:
            wait = float(retry_after) if retry_after else None
        except ValueError:
            wait = None
        return SyncError("throttled", detail, retry_after=wait)
    if status >= 500:
        return SyncError("server_error", f"HTTP {status}")
    if status == 403:
        if code in ("revoked", "device_revoked", "invalid_token", "unauthorized"):
            return SyncError("unauthorized", detail)
        return SyncError("forbidden", detail)
    return SyncError("refused", detail)


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) <= 160 else text[:157] + "…"


def _offline_detail(url: str, exc: Exception) -> str:
    host = urlsplit(url).netloc
    text = str(exc).lower()
    if "name or service not known" in text or "getaddrinfo" in text or "nodename" in text:
        return f"找不到服务器 {host}"
    if "refused" in text:
        return f"{host} 拒绝连接"
    if "reset" in text or "aborted" in text or "remotedisconnected" in text or "closed" in text:
        return f"与 {host} 的连接中断"
    return host
