"""One ``POST /v1/sync`` exchange: the request parsed within the protocol's limits, and the
answer built (push, pull, then the digest's verification rounds; docs/sync-protocol.md)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from pzh_core import digest, protocol
from sync.server import set_aside
from sync.server.storage import BatchRejected, Device, Storage

_TEXT = json.JSONEncoder(ensure_ascii=False).encode
MAX_FETCH_BUCKETS = 16  # buckets of rows per request (a 20,000-row table: ~80 rows each)
_HEX16 = re.compile(r"[0-9a-f]{16}", re.ASCII)


class BadRequest(Exception):
    """A request that is not the protocol's shape; becomes a 4xx answer, nothing changed."""

    def __init__(self, status: int, code: str, detail: str, index: int | None = None) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.index = status, code, detail, index


@dataclass
class SyncRequest:
    push: list[dict[str, Any]] = field(default_factory=list)
    client_time: int | None = None
    acked: int | None = None
    app_version: str | None = None
    cursor: int = 0
    limit: int = protocol.MAX_PULL
    verify: dict[str, str] | None = None  # {table: the client's table value, 16 hex}
    verify_values: dict[str, str] | None = None  # the same, of the digest of values
    fetch: dict[str, list[int]] | None = None  # {table: buckets whose rows the client wants}
    verified: bool | None = None  # the client's last digest check, when it changed


def _int(body: dict[str, Any], key: str, default: int | None, lo: int, hi: int) -> int | None:
    value = body.get(key, default)
    if value is None and default is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise BadRequest(400, "bad_request", f"{key} must be an integer in [{lo}, {hi}]")
    return value


def parse(body: dict[str, Any]) -> SyncRequest:
    """The request, or :class:`BadRequest`."""
    req = SyncRequest(
        client_time=_int(body, "client_time_ms", None, 0, 2**53),
        acked=_int(body, "acked_seq", None, 0, 2**53),
        cursor=_int(body, "cursor", 0, 0, 2**62) or 0,
        limit=_int(body, "limit", protocol.MAX_PULL, 1, protocol.MAX_PULL) or 1,
    )
    version = body.get("app_version")
    if version is not None and not (isinstance(version, str) and len(version) <= 40):
        raise BadRequest(400, "bad_request", "app_version must be a short string")
    req.app_version = version
    verified = body.get("verified")
    if verified is not None and not isinstance(verified, bool):
        raise BadRequest(400, "bad_request", "verified must be true or false")
    req.verified = verified
    req.push = _push(body.get("push", []))
    req.verify = _verify(body.get("verify"))
    req.verify_values = _verify(body.get("verify_values"))
    req.fetch = _fetch(body.get("fetch"))
    return req


def _push(push: Any) -> list[dict[str, Any]]:
    if not isinstance(push, list):
        raise BadRequest(400, "bad_request", "push must be a list")
    if len(push) > protocol.MAX_PUSH:
        raise BadRequest(413, "too_large", f"at most {protocol.MAX_PUSH} changes per request")
    last = 0
    for index, change in enumerate(push):
        try:
            protocol.validate_change(change)
        except protocol.ProtocolError as exc:
            raise BadRequest(400, "bad_change", str(exc), index) from exc
        if change["seq"] <= last:
            raise BadRequest(400, "bad_change", "seq must increase within a batch", index)
        last = change["seq"]
    return push


def _verify(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    names = digest.tables()
    if not (
        isinstance(value, dict)
        and all(t in names and isinstance(v, str) and _HEX16.fullmatch(v) for t, v in value.items())
    ):
        raise BadRequest(400, "bad_request", "verify must map tables to 16 hex digits")
    return value


def _fetch(value: Any) -> dict[str, list[int]] | None:
    if value is None:
        return None
    names = digest.tables()
    ok = isinstance(value, dict) and all(
        t in names
        and isinstance(b, list)
        and all(
            isinstance(x, int) and not isinstance(x, bool) and 0 <= x < digest.BUCKETS for x in b
        )
        for t, b in value.items()
    )
    if not ok or sum(len(b) for b in value.values()) > MAX_FETCH_BUCKETS:
        raise BadRequest(400, "bad_request", f"fetch: at most {MAX_FETCH_BUCKETS} buckets")
    return value


def run(store: Storage, device: Device, req: SyncRequest) -> bytes:
    """Push, pull, verify: the answer's bytes. Raises :class:`BatchRejected`."""
    pushed = store.push(
        device,
        req.push,
        client_time_ms=req.client_time,
        acked_seq=req.acked,
        app_version=req.app_version,
    )
    pulled = store.pull(device, req.cursor, req.limit)
    # The feed's fields are stored as JSON already: splice them in rather than parse and
    # re-encode them (the pull is most of the server's work under load).
    text = _TEXT  # a string as JSON; json.dumps given options builds an encoder per call
    parts = []
    for e in pulled.changes:
        extra = f',"r":{text(e.replaced)}' if e.replaced else ""
        if e.operator:
            extra += f',"o":{text(e.operator)}'
        parts.append(
            f'{{"c":{e.seq},"t":{text(e.table)},"id":{text(e.row_id)},'
            f'"s":{text(e.stamp)},"f":{e.fields_json}{extra}}}'
        )
    dumps = json.dumps
    head = dumps(
        {
            "protocol": protocol.PROTOCOL_VERSION,
            "server_time_ms": store.now(),
            "acked_seq": pushed.acked_seq,
            "pc_number": device.pc_number,  # the certificate numbers' prefix J01 … (issue 13)
        },
        separators=(",", ":"),
    )
    end: dict[str, Any] = {"cursor": pulled.cursor, "more": pulled.more}
    if pulled.remaining is not None:
        end["remaining"] = pulled.remaining  # entries after this page (the desk's progress)
    if pulled.digest is not None:
        end["digest"] = pulled.digest
    if pulled.values is not None:
        end["values"] = pulled.values
    if pushed.set_aside:
        end["set_aside"] = set_aside.answer_items(pushed.set_aside)
    if req.verified is not None:
        store.record_check(device.id, req.verified)
    for key, kind, theirs in (
        ("verify", "stamps", req.verify),
        ("verify_values", "values", req.verify_values),
    ):
        if theirs is not None:
            end[key] = store.verify(device, theirs, kind)
            store.record_check(device.id, not end[key], ",".join(sorted(end[key])))
    if req.fetch:
        end["rows"] = store.fetch_buckets(device, req.fetch)
    tail = dumps(end, ensure_ascii=False, separators=(",", ":"))
    return (head[:-1] + ',"changes":[' + ",".join(parts) + "]," + tail[1:]).encode("utf-8")


__all__ = ["BadRequest", "BatchRejected", "SyncRequest", "parse", "run"]
