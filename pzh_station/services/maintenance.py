"""Integrity check, backup and restore of a data dir (shared by CLI and the settings page)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from pzh_core.i18n import tr
from pzh_station import paths
from pzh_station.store import Store, StoreError, backup
from pzh_station.store import check as check_store
from pzh_station.store.lock import InstanceLock
from pzh_station.store.photo_files import PhotoFiles, backup_files, photo_dir


def backup_photos(directory: Path) -> int:
    """Copy new photos into ``backups/photos`` (each file once: backups reference this store)."""
    db = paths.db_path(directory)
    return backup_files(
        PhotoFiles(photo_dir(db)), PhotoFiles(paths.backups_dir(directory) / "photos")
    )


def check(directory: Path) -> list[str]:
    """Problems found in the data dir's database, in Chinese; empty when all is well."""
    db = paths.db_path(directory)
    if not db.exists():
        return [tr("Check", "数据文件不存在：{}").format(db)]
    try:
        store = Store(db, readonly=True)
    except StoreError as exc:
        return [exc.message]
    try:
        return check_store.problems(store)
    finally:
        store.close()


def backup_now(
    directory: Path, dest: Path | None = None, progress: backup.Progress | None = None
) -> Path:
    db = paths.db_path(directory)
    if not db.exists():
        raise StoreError("io", tr("Backup", "数据文件不存在：{}").format(db))
    if dest is None:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        dest = paths.backups_dir(directory) / f"{backup.PREFIX}{stamp}{backup.SUFFIX}"
    made = backup.backup(db, dest, progress)
    backup_photos(directory)
    return made


def list_backups(directory: Path) -> list[Path]:
    """The data dir's backups, newest first (for the settings page and the restore dialog)."""
    return backup.list_backups(paths.backups_dir(directory))


@dataclass
class BackupInfo:
    """One backup as the settings page lists it: when, how big, what it holds."""

    path: Path
    when: dt.datetime | None
    size: int
    counts: dict[str, int] | None  # None: the file cannot be read

    def describe(self) -> str:
        when = self.when.strftime("%Y-%m-%d %H:%M") if self.when else self.path.name
        size = f"{self.size / 1_048_576:.1f} MB"
        if self.counts is None:
            held = tr("Backup", "无法读取")
        else:
            held = "、".join(
                f"{backup.SUMMARY_TABLES[t]} {n}" for t, n in self.counts.items()
            ) or tr("Backup", "空")
        kind = (
            tr("Backup", "（恢复前自动保存）") if self.path.name.startswith("pre-restore-") else ""
        )
        return f"{when}　{size}　{held}{kind}"


def backup_infos(directory: Path) -> list[BackupInfo]:
    """The data dir's backups with date, size and contents, newest first (restore-time safety
    copies included, so a restore can be undone)."""
    folder = paths.backups_dir(directory)
    files = backup.list_backups(folder)
    if folder.is_dir():
        files += sorted(folder.glob(f"pre-restore-*{backup.SUFFIX}"), reverse=True)
    infos = []
    for path in files:
        stamp = path.stem.rsplit("-", 2)
        try:
            when = dt.datetime.strptime("-".join(stamp[-2:]), "%Y%m%d-%H%M%S")
        except ValueError:
            when = None
        try:
            size = path.stat().st_size
        except OSError:
            continue
        infos.append(BackupInfo(path, when, size, backup.summary(path)))
    return sorted(infos, key=lambda i: i.when or dt.datetime.min, reverse=True)


def auto_backup(directory: Path, *, keep: int = backup.KEEP) -> Path | None:
    made = backup.auto_backup(paths.db_path(directory), paths.backups_dir(directory), keep=keep)
    if made is not None:
        backup_photos(directory)
    return made


def restore(directory: Path, file: Path) -> Path | None:
    if InstanceLock(directory).is_held_elsewhere():
        raise StoreError(
            "in_use", tr("Backup", "文化站工作台正在使用这个数据文件夹，请先关闭程序再恢复。")
        )
    return backup.restore(file, paths.db_path(directory), paths.backups_dir(directory))
