"""USB bundles (issue 15): the sync of a PC without network, carried on a USB stick.

A bundle is one zip file (stored, not compressed: photos do not compress and the JSON is small):

- ``manifest.json`` — what it carries (below), UTF-8 JSON;
- ``photos/<sha256>`` — the files it carries, each named by its hash;
- ``signature.json`` — ``{"alg": "Ed25519", "key": <public key hex>, "sig": <hex>}``, the
  signature of the exact bytes of ``manifest.json``.

The manifest lists every photo with its hash and size, so one signature covers everything: a
changed byte anywhere makes either the signature or a photo's hash fail. ``direction`` is ``up``
(a PC to the server: ``push`` = the changes the server may not have, as in ``/v1/sync``, and
``cursor`` = the feed position of the PC, optionally ``enroll`` for a PC enrolled by file) or
``down`` (the server's answer: ``changes`` of the station after that cursor, ``cursor``,
``acked_seq``). A PC signs with its device key (decision 4: Ed25519, the public key registered with
the server); the server signs its answers with its own key, which the PC learned when it enrolled.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from pzh_core import photos

FORMAT = "pzh-bundle"
VERSION = 1
MAX_BUNDLE_BYTES = 2 * 1024 * 1024 * 1024  # a USB stick's worth of photos, refused beyond
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
SUFFIX = ".pzhbundle"

MESSAGES = {
    "not_bundle": "这个文件不是文化站工作台的同步包（U盘同步包）。",
    "too_big": "同步包过大（超过 2 GB），请分次导出。",
    "tampered": "同步包的签名不符：文件在导出后被改动过或已损坏，未导入任何内容。请重新导出。",
    "unknown_key": "同步包由未登记的电脑或服务器签名，未导入任何内容。"
    "请确认它来自本站已登记的电脑（或本市服务器）。",
    "photo_bad": "同步包中的照片与清单不符（文件已损坏或被改动），未导入任何内容。请重新导出。",
    "wrong_direction": "这个同步包的方向不对：{}",
    "not_ready": "本机还不能导出或导入同步包：请先联网同步一次（登记本机的签名钥匙），"
    "或导入县（区）文化馆发给本站的登记文件。",
    "not_enrollment": "这个文件不是市服务器发出的登记文件。",
    "already_enrolled": "本机已经登记过，无需再用登记文件。",
}


class BundleError(ValueError):
    def __init__(self, code: str, detail: str = "") -> None:
        message = MESSAGES[code].format(detail) if "{}" in MESSAGES[code] else MESSAGES[code]
        super().__init__(message)
        self.code = code
        self.message = message


# -- keys --------------------------------------------------------------------------------------
def new_private_key() -> str:
    """A new Ed25519 private key, as 64 hex digits (32 raw bytes)."""
    from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

    raw = Ed25519PrivateKey.generate().private_bytes(
        Encoding.Raw, PrivateFormat.Raw, NoEncryption()
    )
    return raw.hex()


def public_key_of(private_hex: str) -> str:
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(private_hex))
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def valid_public_key(value: object) -> bool:
    if not isinstance(value, str) or len(value) != 64:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(value))
    except ValueError:
        return False
    return True


# -- writing -------------------------------------------------------------------------------------
def write(
    path: Path, manifest: dict[str, Any], files: Iterable[tuple[str, bytes]], private_hex: str
) -> int:
    """Write a signed bundle (to ``path.part``, then renamed); returns its size in bytes.

    :param files: ``(hash, bytes)`` of the photos; each is listed in the manifest's ``photos``.
    """
    files = list(files)
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        **manifest,
        "photos": [
            {"hash": h, "size": len(data), "kind": photos.sniff(data[:16]) or ""}
            for h, data in files
        ],
    }
    body = json.dumps(manifest, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(private_hex))
    signature = {"alg": "Ed25519", "key": public_key_of(private_hex), "sig": key.sign(body).hex()}
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("manifest.json", body)
        for h, data in files:
            zf.writestr(f"photos/{h}", data)
        zf.writestr("signature.json", json.dumps(signature))
    tmp.replace(path)
    return path.stat().st_size


# -- reading -------------------------------------------------------------------------------------
@dataclass
class Bundle:
    manifest: dict[str, Any]
    key: str  # the public key that signed it (checked)
    _zip: zipfile.ZipFile

    def photo(self, hash_: str) -> bytes:
        return self._zip.read(f"photos/{hash_}")

    @property
    def photo_hashes(self) -> list[str]:
        return [p["hash"] for p in self.manifest.get("photos", [])]

    def close(self) -> None:
        self._zip.close()


def read(source: Path | bytes, trusted_keys: Iterable[str] | None = None) -> Bundle:
    """Open a bundle and check it whole: format, signature, every photo's hash.

    :param trusted_keys: the public keys that may have signed it; None: any (the caller checks
        ``Bundle.key`` against the signer the manifest names).
    :raises BundleError: with a Chinese message; nothing is applied by the caller then.
    """
    try:
        size = len(source) if isinstance(source, bytes) else Path(source).stat().st_size
        if size > MAX_BUNDLE_BYTES:
            raise BundleError("too_big")
        zf = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
        info = zf.getinfo("manifest.json")
        if info.file_size > MAX_MANIFEST_BYTES:
            raise BundleError("too_big")
        body = zf.read("manifest.json")
        signature = json.loads(zf.read("signature.json"))
        manifest = json.loads(body)
    except BundleError:
        raise
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise BundleError("not_bundle") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleError("not_bundle")
    key = signature.get("key") if isinstance(signature, dict) else None
    if not isinstance(key, str) or not valid_public_key(key):
        raise BundleError("tampered")
    if not isinstance(signature.get("sig"), str):
        raise BundleError("tampered")
    if trusted_keys is not None and key not in set(trusted_keys):
        raise BundleError("unknown_key")
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(key)).verify(
            bytes.fromhex(signature["sig"]), body
        )
    except (InvalidSignature, ValueError) as exc:
        raise BundleError("tampered") from exc
    bundle = Bundle(manifest, key, zf)
    for item in manifest.get("photos", []):
        h = item.get("hash") if isinstance(item, dict) else None
        try:
            data = bundle.photo(h) if isinstance(h, str) and photos.is_hash(h) else b""
        except KeyError:
            data = b""
        if not photos.is_hash(h) or hashlib.sha256(data).hexdigest() != h:
            raise BundleError("photo_bad")
    return bundle
