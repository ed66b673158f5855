"""The photo store on disk: content-addressed files beside the station file (no SQL here).

``<data dir>/photos/ab/abcdef…`` holds the file whose SHA-256 is ``abcdef…``; the same photo
attached twice is one file. A file is written to a temporary name, flushed and renamed, so a
power cut never leaves a half file under a hash name. Backups copy each file once into
``backups/photos`` (incremental: a file already there is not copied again).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from pzh_core import photos
from pzh_core.i18n import tr
from pzh_station.store.errors import StoreError

DIR_NAME = "photos"


def photo_dir(station_file: Path) -> Path:
    """The photo store of a station file: ``photos/`` beside it."""
    return Path(station_file).parent / DIR_NAME


class PhotoFiles:
    """The files of one photo store."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, hash_: str) -> Path:
        return self.root / photos.shard_path(hash_)

    def has(self, hash_: str) -> bool:
        return self.path(hash_).is_file()

    def read(self, hash_: str) -> bytes:
        try:
            return self.path(hash_).read_bytes()
        except FileNotFoundError as exc:
            raise StoreError(
                "photo_missing", tr("Photos", "本机还没有这张照片（尚未从市服务器取回）。")
            ) from exc

    def read_range(self, hash_: str, offset: int, length: int) -> bytes:
        with self.path(hash_).open("rb") as fh:
            fh.seek(offset)
            return fh.read(length)

    def put(self, data: bytes) -> str:
        """Store ``data`` (once) and return its hash."""
        hash_ = photos.sha256(data)
        self.put_verified(hash_, data)
        return hash_

    def put_verified(self, hash_: str, data: bytes) -> None:
        """Store ``data`` under ``hash_`` (the caller checked that it is its hash)."""
        dest = self.path(hash_)
        if dest.is_file() and dest.stat().st_size == len(data):
            return
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = dest.with_name(dest.name + ".part")
            with tmp.open("wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            tmp.replace(dest)
        except OSError as exc:
            raise StoreError(
                "io", tr("Photos", "照片无法保存到 {}：{}").format(dest.parent, exc.strerror)
            ) from exc

    def hashes(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for sub in sorted(self.root.iterdir()):
            if sub.is_dir() and len(sub.name) == 2:
                for f in sorted(sub.iterdir()):
                    if photos.is_hash(f.name):
                        yield f.name


def backup_files(source: PhotoFiles, dest: PhotoFiles) -> int:
    """Copy the files ``dest`` does not have yet (each file once); returns how many were copied."""
    copied = 0
    for hash_ in source.hashes():
        target = dest.path(hash_)
        if target.is_file():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".part")
        shutil.copyfile(source.path(hash_), tmp)
        tmp.replace(target)
        copied += 1
    return copied


def restore_files(backup: PhotoFiles, dest: PhotoFiles, wanted: list[str]) -> int:
    """Copy back the ``wanted`` files that ``dest`` lacks and the backup has."""
    copied = 0
    for hash_ in wanted:
        if dest.has(hash_) or not backup.has(hash_):
            continue
        dest.put_verified(hash_, backup.read(hash_))
        copied += 1
    return copied
