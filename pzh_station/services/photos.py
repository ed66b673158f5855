"""Photos and scans attached to records (issue 15): take in, attach, remove, read.

A picked file is taken in first (:meth:`PhotoService.take_in`: reduced with Pillow, stored by
hash, nothing written to the database), so a form can show it at once; the attachment rows are
written when the record is saved (:meth:`PhotoService.apply`), in the record's transaction.
Removing is a tombstone like every record; the file stays (another record or a backup may use it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pzh_core import photos
from pzh_core.domain.errors import ValidationError
from pzh_core.photos import Attachment, PhotoError
from pzh_station.io import photo_reduce
from pzh_station.services.context import Services
from pzh_station.store import photos as q
from pzh_station.store.photo_files import PhotoFiles, photo_dir


@dataclass
class AttachmentEdits:
    """What a form changed: files taken in to attach, and attachment ids to remove."""

    added: list[Attachment] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed)


class PhotoService:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.store = services.store
        self.files = PhotoFiles(photo_dir(self.store.path))

    # -- taking files in -----------------------------------------------------------------
    def take_in(self, path: str | Path, *, keep_location: bool = False) -> Attachment:
        """Reduce and store a picked file; the attachment is not written yet (see :meth:`apply`).

        :raises PhotoError: too big, wrong type (by content), corrupt — a Chinese message.
        """
        path = Path(path)
        data = photo_reduce.read_picked(path)
        reduced = photo_reduce.reduce(data, path.name, keep_location=keep_location)
        hash_ = self.files.put(reduced.data)
        thumb = self.files.put(reduced.thumb) if reduced.thumb else ""
        return Attachment(
            hash=hash_,
            kind=reduced.kind,
            size=len(reduced.data),
            width=reduced.width,
            height=reduced.height,
            thumb=thumb,
            thumb_size=len(reduced.thumb),
            name=path.name[:200],
        )

    # -- writing -------------------------------------------------------------------------
    def apply(self, owner_table: str, owner_id: str, edits: AttachmentEdits) -> list[str]:
        """Write a form's attachment edits for one record (one transaction); returns new ids."""
        if owner_table not in photos.OWNER_TABLES:
            raise ValueError(owner_table)
        ids: list[str] = []
        with self.store.transaction():
            for att_id in edits.removed:
                row = self.store.get("attachments", att_id)
                if row and not row["deleted"]:
                    self.store.delete("attachments", att_id)
            live = q.live_count(self.store, owner_table, owner_id)
            if live + len(edits.added) > photos.MAX_PER_OWNER:
                raise ValidationError(
                    {"attachments": photos.MESSAGES["too_many"].format(limit=photos.MAX_PER_OWNER)}
                )
            for att in edits.added:
                ids.append(self._write(replace(att, owner_table=owner_table, owner_id=owner_id)))
        return ids

    def _write(self, att: Attachment) -> str:
        if not self.files.has(att.hash):
            raise PhotoError("photo_missing", f"“{att.name}”的文件不在本机照片库中，请重新选择。")
        fields = {
            "owner_table": att.owner_table,
            "owner_id": att.owner_id,
            "hash": att.hash,
            "kind": att.kind,
            "size": att.size,
            "width": att.width,
            "height": att.height,
            "thumb": att.thumb,
            "thumb_size": att.thumb_size,
            "name": att.name,
            "note": att.note,
            "created_by": att.created_by or self.services.operator,
        }
        errors = photos.validate(fields)
        if errors:
            raise ValidationError(errors)
        att_id = self.store.write("attachments", None, fields)
        q.enqueue(self.store, att.hash, att.kind, att.size, thumb=False)
        if att.thumb:
            q.enqueue(self.store, att.thumb, "jpeg", att.thumb_size, thumb=True)
        return att_id

    def attach(self, owner_table: str, owner_id: str, paths: list[str | Path]) -> list[str]:
        """Take in files and attach them to a record at once (the CLI and tests)."""
        added = [self.take_in(p) for p in paths]
        return self.apply(owner_table, owner_id, AttachmentEdits(added=added))

    def remove(self, attachment_id: str) -> None:
        self.store.delete("attachments", attachment_id)

    # -- reading -------------------------------------------------------------------------
    def rows(self, owner_table: str, owner_id: str) -> list[Attachment]:
        return q.for_owner(self.store, owner_table, owner_id)

    def counts(self, owner_table: str, owner_ids: list[str]) -> dict[str, int]:
        return q.counts(self.store, owner_table, owner_ids)

    def first_thumbs(self, owner_table: str, owner_ids: list[str]) -> dict[str, str]:
        return q.first_thumbs(self.store, owner_table, owner_ids)

    def read(self, hash_: str) -> bytes | None:
        """A stored file's bytes, or None while this PC does not have it (not fetched yet)."""
        return self.files.read(hash_) if photos.is_hash(hash_) and self.files.has(hash_) else None

    def thumbnails(self, hashes: list[str]) -> dict[str, bytes]:
        """The thumbnails this PC has, by hash (the list and the form show them)."""
        out = {}
        for h in hashes:
            data = self.read(h)
            if data is not None:
                out[h] = data
        return out

    def file_path(self, hash_: str) -> Path | None:
        """Where a stored file is, for opening it in the system viewer (a PDF)."""
        return self.files.path(hash_) if photos.is_hash(hash_) and self.files.has(hash_) else None

    def pending_uploads(self) -> int:
        return q.pending_count(self.store)

    def retry_refused(self) -> int:
        """Put the files the server refused back in the queue (after the county raised the
        station's limit)."""
        return q.retry_refused(self.store)


def save_with_attachments(
    services: Services,
    owner_table: str,
    save: Callable[[], Any],
    edits: AttachmentEdits,
    *,
    id_of: Callable[[Any], str] = lambda result: result,
) -> Any:
    """Save a record and its form's attachment edits in one transaction.

    :param save: writes the record (a service's ``save``); its result is returned.
    :param id_of: the record id from that result (the result itself by default).
    """
    with services.store.transaction():
        result = save()
        if edits:
            PhotoService(services).apply(owner_table, id_of(result), edits)
    return result
