"""Photos and scans as evidence (issue 15): the one definition of their limits, types and hashes.

Desk and server both use these: the desk checks what the user picks, the server checks what
arrives, with the same rule and the same Chinese message. A file's type is judged by its
content (the first bytes), never by its name. Files are content-addressed: the id of a stored
file is the SHA-256 of its bytes (64 lowercase hex digits).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

MAX_PICKED_BYTES = 30 * 1024 * 1024  # the file a user picks
MAX_STORED_BYTES = 30 * 1024 * 1024  # a stored file (a PDF is stored as picked)
LONGEST_SIDE = 1600  # evidence size: a photo is reduced to this longest side …
JPEG_QUALITY = 80  # … and saved as JPEG at this quality
THUMB_SIDE = 240  # thumbnails for lists and a new PC's first look
CHUNK_BYTES = 64 * 1024  # one transfer chunk: ~8 s at 64 kbit/s, so a cut costs little
MAX_CHUNK_BYTES = 256 * 1024  # the largest chunk a server accepts
MAX_PER_OWNER = 50  # attachments per record

# The records that may carry attachments (synced table names).
OWNER_TABLES = ("activities", "sessions", "service_records")
KINDS = ("jpeg", "png", "pdf")
EXTENSIONS = {"jpeg": ".jpg", "png": ".png", "pdf": ".pdf"}
MEDIA_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "pdf": "application/pdf"}
PICK_FILTER = "照片或扫描件 (*.jpg *.jpeg *.png *.pdf *.JPG *.JPEG *.PNG *.PDF)"

_HASH = re.compile(r"^[0-9a-f]{64}$")

MESSAGES = {
    "too_big": "“{name}”有 {mb:.1f} MB，超过了 {limit} MB 的上限。请先缩小照片或分页扫描后再附加。",
    "wrong_type": "“{name}”不是 JPG、PNG 照片或 PDF 扫描件（按文件内容判断，不看扩展名），"
    "不能附加。",
    "corrupt": "“{name}”已损坏或不完整，无法作为照片读取。请从相机或手机重新拷贝后再附加。",
    "empty": "“{name}”是空文件，不能附加。",
    "unreadable": "无法读取“{name}”：{detail}",
    "too_many": "一条记录最多附加 {limit} 个文件。",
}


class PhotoError(ValueError):
    """A file that cannot be attached or stored: ``code`` and a Chinese ``message``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def refuse(code: str, **values: object) -> PhotoError:
    values.setdefault("limit", MAX_PICKED_BYTES // (1024 * 1024))
    return PhotoError(code, MESSAGES[code].format(**values))


def sniff(head: bytes) -> str | None:
    """The kind of a file from its first bytes (at least 8): ``jpeg``, ``png``, ``pdf`` or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"%PDF-"):
        return "pdf"
    return None


def check_size(name: str, size: int, limit: int = MAX_PICKED_BYTES) -> None:
    """Refuse an empty file or one over ``limit`` bytes."""
    if size <= 0:
        raise refuse("empty", name=name)
    if size > limit:
        raise refuse("too_big", name=name, mb=size / 1024 / 1024, limit=limit // (1024 * 1024))


DAY_SETTING = "photo_day_mb"  # the city setting of the daily budget (pzh_core.settings_defaults)


def day_budget_bytes(value: object) -> int:
    """The daily budget in bytes from the setting's effective value (MB); the default when the
    value is not a number."""
    from pzh_core import settings_defaults

    try:
        mb = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        mb = float(settings_defaults.SETTINGS[DAY_SETTING].default)
    return max(0, int(mb * 1024 * 1024))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_chunks(chunks: Iterable[bytes]) -> str:
    h = hashlib.sha256()
    for chunk in chunks:
        h.update(chunk)
    return h.hexdigest()


def is_hash(value: object) -> bool:
    return isinstance(value, str) and bool(_HASH.match(value))


def shard_path(hash_: str) -> str:
    """Where a stored file lives below a photo store: ``ab/abcdef…`` (two-level, 256 folders)."""
    if not is_hash(hash_):
        raise ValueError(f"not a content hash: {hash_!r}")
    return f"{hash_[:2]}/{hash_}"


@dataclass(frozen=True)
class Attachment:
    """One attached file of a record (the synced row ``attachments``)."""

    id: str | None = None
    owner_table: str = ""
    owner_id: str = ""
    hash: str = ""  # SHA-256 of the stored file
    kind: str = ""  # jpeg | png | pdf
    size: int = 0  # stored bytes
    width: int = 0
    height: int = 0
    thumb: str = ""  # hash of the thumbnail (JPEG), "" for a PDF
    thumb_size: int = 0
    name: str = ""  # the picked file's name, for people
    note: str = ""
    created_by: str = ""
    deleted: bool = False


def validate(fields: dict[str, object]) -> dict[str, str]:
    """Problems of an attachment's fields (``{field: Chinese message}``); desk and server."""
    errors: dict[str, str] = {}
    owner = fields.get("owner_table")
    if owner is not None and owner not in OWNER_TABLES:
        errors["owner_table"] = "附件只能属于活动、培训课次或志愿服务记录。"
    for key in ("hash", "thumb"):
        value = fields.get(key)
        if value is not None and not (is_hash(value) or (key == "thumb" and value == "")):
            errors[key] = "附件的内容编号不正确。"
    kind = fields.get("kind")
    if kind is not None and kind not in KINDS:
        errors["kind"] = "附件只能是 JPG、PNG 照片或 PDF 扫描件。"
    size = fields.get("size")
    if size is not None and not (isinstance(size, int) and 0 < size <= MAX_STORED_BYTES):
        errors["size"] = "附件大小不正确或超过上限。"
    return errors
