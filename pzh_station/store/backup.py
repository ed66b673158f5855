"""Backups with SQLite's online backup API: automatic (on start, at most daily, keep the last N),
on demand, and restore (which first keeps a copy of the current file)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from pathlib import Path

from pzh_core.i18n import tr
from pzh_station.store import migrations
from pzh_station.store.db import _check_file
from pzh_station.store.errors import StoreError

Progress = Callable[[int, int], None]
PREFIX = "station-"
SUFFIX = ".sqlite3"
KEEP = 14


def _stamp(now: dt.datetime) -> str:
    return now.strftime("%Y%m%d-%H%M%S")


def list_backups(directory: Path) -> list[Path]:
    """Backups in ``directory``, newest first."""
    if not directory.exists():
        return []
    return sorted(directory.glob(f"{PREFIX}*{SUFFIX}"), reverse=True)


STEP_PAGES = 1024  # pages copied per step of the backup API (4 MB at SQLite's 4 KB page size)


def backup(db_file: Path, dest: Path, progress: Progress | None = None) -> Path:
    """Copy a live database to ``dest`` with the backup API (safe while it is in use). The
    source is opened read-only: the app's database worker stays the file's only writer.
    ``progress(done_bytes, total_bytes)`` is called after each step; if it raises (a person
    cancelled), the copy stops and no file is left."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    src = sqlite3.connect(f"{Path(db_file).resolve().as_uri()}?mode=ro", uri=True)
    try:
        out = sqlite3.connect(str(tmp))
        try:
            if progress is None:
                src.backup(out)
            else:
                size = src.execute("PRAGMA page_size").fetchone()[0]
                src.backup(
                    out,
                    pages=STEP_PAGES,
                    progress=lambda _s, left, total: progress((total - left) * size, total * size),
                )
        finally:
            out.close()
    except BaseException:
        tmp.unlink(missing_ok=True)  # no half-written .part left behind
        raise
    finally:
        src.close()
    tmp.replace(dest)
    return dest


def auto_backup(
    db_file: Path, directory: Path, *, keep: int = KEEP, now: dt.datetime | None = None
) -> Path | None:
    """Make a backup if the newest is older than a day; prune to ``keep``. Returns the new file."""
    now = now or dt.datetime.now()
    if not db_file.exists():
        return None
    made = None
    existing = list_backups(directory)
    newest = existing[0].name[len(PREFIX) : -len(SUFFIX)] if existing else ""
    if not newest or newest <= _stamp(now - dt.timedelta(days=1)):
        made = backup(db_file, directory / f"{PREFIX}{_stamp(now)}{SUFFIX}")
    for old in list_backups(directory)[keep:]:
        old.unlink(missing_ok=True)
    return made


#: what a backup holds, as the restore lists show it (table → label)
SUMMARY_TABLES = {
    "activities": "活动",
    "classes": "培训班",
    "people": "人员",
    "volunteers": "志愿者",
}


def summary(path: Path) -> dict[str, int] | None:
    """Live rows per table of :data:`SUMMARY_TABLES` in a backup; None when it cannot be read."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            tables = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            return {
                t: conn.execute(f"SELECT count(*) FROM {t} WHERE deleted = 0").fetchone()[0]
                for t in SUMMARY_TABLES
                if t in tables
            }
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return None


def check_backup(path: Path) -> None:
    """Refuse a file that is not a usable backup of this app (or of a newer version)."""
    if not path.exists():
        raise StoreError("io", tr("Store", "找不到备份文件：{}").format(path))
    _check_file(path)
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            ok = conn.execute("PRAGMA quick_check").fetchone()[0]
            has_meta = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError("corrupt", tr("Store", "备份文件已损坏：{}").format(exc)) from exc
    if ok != "ok" or not has_meta:
        raise StoreError("corrupt", tr("Store", "备份文件已损坏或不是本软件的备份。"))
    if version > migrations.LATEST:
        raise StoreError("newer", tr("Store", "备份来自更新版本的软件，请先升级。"))


def restore(backup_file: Path, db_file: Path, backups: Path) -> Path | None:
    """Replace ``db_file`` with a backup; the current file is first kept as a backup.

    The app must not be running on this data dir (the caller checks the instance lock).
    :returns: the safety copy of the file that was replaced, if there was one.
    """
    check_backup(backup_file)
    safety = None
    if db_file.exists():
        safety = backups / f"pre-restore-{_stamp(dt.datetime.now())}{SUFFIX}"
        backups.mkdir(parents=True, exist_ok=True)
        try:
            backup(db_file, safety)
        except sqlite3.DatabaseError:
            # The current file is not a readable database: keep its bytes as they are.
            safety.write_bytes(db_file.read_bytes())
    tmp = db_file.with_name(db_file.name + ".restoring")
    backup(backup_file, tmp)
    for side in ("-wal", "-shm"):
        Path(str(db_file) + side).unlink(missing_ok=True)
    tmp.replace(db_file)
    return safety
