"""Device tokens and enrollment codes.

A token is 32 random bytes (URL-safe base64); the server keeps only its SHA-256, so a copy of
the database does not let anyone sync as a device. An enrollment code is 8 characters from an
alphabet without look-alikes (no 0/O, 1/I/L), shown as ``K7MP-X3QD``; typing it in lower case,
with spaces or without the dash is accepted.
"""

from __future__ import annotations

import hashlib
import re
import secrets

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
TOKEN_BYTES = 32
_DEVICE_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def normalize_code(typed: str) -> str | None:
    """The stored form of a typed code, or None when it cannot be one."""
    if not isinstance(typed, str) or len(typed) > 40:
        return None
    raw = re.sub(r"[\s\-_]", "", typed).upper()
    if len(raw) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in raw):
        return None
    return f"{raw[:4]}-{raw[4:]}"


def valid_device_id(value: object) -> bool:
    """A device id a client may ask for at enrollment (its local id, already in its stamps)."""
    return isinstance(value, str) and bool(_DEVICE_ID.match(value)) and value != "server"


def valid_request_id(value: object) -> bool:
    """An enrollment or re-key request id (the desk makes a UUID once per attempt)."""
    return isinstance(value, str) and bool(_DEVICE_ID.match(value))
