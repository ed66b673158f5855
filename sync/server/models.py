"""Message shapes for the OpenAPI document (the server parses bodies itself, within limits,
and validates changes with ``pzh_core.protocol.validate_change``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Health(BaseModel):
    status: str = "ok"
    protocol: int


class Time(BaseModel):
    server_time_ms: int


class EnrollRequest(BaseModel):
    protocol: int = Field(description="protocol version (1)")
    code: str = Field(
        description="one-time enrollment code, e.g. K7MP-X3QD (case, spaces and dash ignored)"
    )
    device_name: str = Field("", max_length=100)
    app_version: str = Field("", max_length=40)
    device_id: str | None = Field(
        None, description="the device's local id (already in its stamps); used when not taken"
    )
    request_id: str | None = Field(
        None,
        description="the desk's id of this enrollment attempt: a retry with the same code and"
        " request id answers the same device (idempotent enrollment)",
    )


class StationInfo(BaseModel):
    id: str
    name: str
    county: str


class EnrollResponse(BaseModel):
    protocol: int
    device_id: str
    token: str = Field(description="shown once; the server keeps only its SHA-256")
    station: StationInfo
    server_time_ms: int


class RekeyRequest(BaseModel):
    protocol: int
    request_id: str = Field(description="made once per re-key attempt, kept until it succeeds")
    device_name: str | None = Field(None, max_length=100)
    app_version: str | None = Field(None, max_length=100)


class RekeyResponse(EnrollResponse):
    replaces: str = Field(description="the retired device id")


class Change(BaseModel):
    seq: int = Field(description="device sequence, strictly increasing within a batch")
    t: str = Field(description="table, one of pzh_core.schema.TABLES")
    id: str = Field(description="row id (1-64 characters)")
    s: str = Field(description="HLC stamp <ms 13>.<counter 4>.<device>")
    f: dict[str, Any] = Field(description="field values (synced fields of the table)")
    o: str = Field("", description="the staff member who made it (当前录入人), for the history")


class SyncRequest(BaseModel):
    protocol: int
    client_time_ms: int | None = Field(None, description="the device's own clock, for skew")
    acked_seq: int | None = Field(
        None, description="the highest device seq this file has recorded as held by the server"
    )
    push: list[Change] = Field(default_factory=list, max_length=500)
    cursor: int = Field(0, description="server seq of the last feed entry applied")
    limit: int = Field(500, ge=1, le=500)


class FeedChange(BaseModel):
    c: int = Field(description="server seq")
    t: str
    id: str
    s: str
    f: dict[str, Any]
    r: str | None = Field(
        None,
        description="present when the server rewrote this device's too-far-future stamp r to s",
    )
    o: str | None = Field(None, description="who made it (the desk's operator, or a web user)")


class SyncResponse(BaseModel):
    protocol: int
    server_time_ms: int
    acked_seq: int
    changes: list[FeedChange]
    cursor: int
    more: bool


class ApiErrorBody(BaseModel):
    error: str
    message: str = Field(description="Chinese, says what to do")
    detail: str | None = Field(None, description="English, for logs")
    index: int | None = Field(None, description="the offending change's index in push")


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ApiErrorBody, "description": text}
    for status, text in {
        400: "malformed request or change",
        401: "unknown token",
        403: "device revoked, or a row of another station",
        404: "unknown enrollment code",
        409: "rekey_required: this file's history is not the device's (restored backup, copied"
        " folder, unseen seq): call /v1/rekey",
        410: "enrollment code spent or expired",
        413: "body or batch too large (also a gzip bomb)",
        426: "protocol version not served: please upgrade",
        429: "too many requests (Retry-After)",
    }.items()
}


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(defs[ref.rsplit("/", 1)[1]], defs)
        return {k: _inline(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


def request_body(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` documenting a JSON request body of ``model`` (references inlined)."""
    schema = model.model_json_schema()
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _inline(schema, schema.get("$defs", {}))}},
        }
    }
