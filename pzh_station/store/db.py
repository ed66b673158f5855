"""The station database: opening, migrating, and writing synced rows with their change log.

Every write goes through :meth:`Store.write`, which in one ``BEGIN IMMEDIATE`` transaction
updates the row, its per-field HLC stamps and appends a change-log entry — so a crash or power
cut leaves either the whole change or none of it, and never a change sync does not know about.

A ``Store`` (like the sqlite3 connection inside it) belongs to the thread that opened it. In the
desk app exactly one read-write ``Store`` is open on the station file — the database worker's
(``ui/tasks.py``) — so its hybrid clock is the file's only clock; long reads may add read-only
ones. Each write notes its table, and :meth:`Store.take_changes` hands the set over as a
:class:`~pzh_station.store.changed.Changes` (what changed, announced by the caller's app).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pzh_core import hlc, merge, schema, stored_clocks
from pzh_core.hlc import HybridClock
from pzh_core.i18n import tr
from pzh_core.schema import encode_value
from pzh_core.text import register_collation
from pzh_station.store import changelog, migrations, periods
from pzh_station.store.changed import Changes
from pzh_station.store.errors import StoreError, from_sqlite

SQLITE_MAGIC = b"SQLite format 3\x00"
STALE_OFFSET_MS = 24 * 3600 * 1000  # a corrected time this far behind the file's stamps


def _check_file(path: Path) -> None:
    """Refuse a file that is not SQLite before SQLite (or a migration) can touch it."""
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb") as fh:
        head = fh.read(16)
    if head != SQLITE_MAGIC:
        raise StoreError(
            "not_sqlite",
            tr(
                "Store",
                "“{}” 不是本软件的数据文件（不是SQLite数据库）。文件未被改动，可以从备份恢复。",
            ).format(path),
        )


def decode_row(table: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """Column values → Python values (lists and objects parsed, bools as bool)."""
    types = schema.TABLES.get(table, {})
    out = dict(row)
    for name, kind in types.items():
        if name not in out:
            continue
        if kind in ("list", "json"):
            out[name] = json.loads(out[name]) if out[name] else ([] if kind == "list" else {})
        elif kind == "bool":
            out[name] = bool(out[name])
    return out


class Store:
    """One open station database.

    :param path: the SQLite file (created if missing).
    :param readonly: open without migrating or writing (for a second, read-only connection).
    """

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        _check_file(self.path)
        try:
            if readonly:
                conn = sqlite3.connect(
                    f"{self.path.as_uri()}?mode=ro", uri=True, isolation_level=None
                )
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(str(self.path), isolation_level=None)
            conn.row_factory = sqlite3.Row
            register_collation(conn)  # names ORDER BY ... COLLATE pinyin
            conn.execute("PRAGMA busy_timeout = 5000")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                "corrupt",
                tr(
                    "Store", "数据文件无法打开（可能已损坏）：{}。文件未被改动，可以从备份恢复。"
                ).format(exc),
            ) from exc
        if version > migrations.LATEST:
            conn.close()
            raise StoreError(
                "newer",
                tr(
                    "Store",
                    "数据文件由更新版本的文化站工作台写入（数据版本 {} ，本程序支持到 {}）。"
                    "请升级软件；文件未被改动。",
                ).format(version, migrations.LATEST),
            )
        self.conn = conn
        self.readonly = readonly
        self.operator = ""  # 当前录入人: each change-log entry records it (the history's "who")
        # what is locked (store/periods.lock_state), dropped when its tables are written
        self.lock_cache: tuple[dict[str, str], int] | None = None
        self._depth = 0
        self._local: set[str] = set()  # tables written here since take_changes()
        self._pulled: set[str] = set()  # tables that received rows from the server
        if not readonly:
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                self._migrate(version)
                if self.meta("sync_token") is not None or self.meta("bundle_private_key"):
                    # secrets kept in the file by an older version: move them out
                    from pzh_station.store import sync_state

                    sync_state.move_token_out(self)
            except sqlite3.DatabaseError as exc:
                conn.close()
                raise from_sqlite(exc) from exc
        self.clock = HybridClock(self.device_id or "-", last=self.meta("hlc_last") or None)
        offset = self.meta("clock_offset_ms")
        if offset:
            self.clock.offset_ms = int(offset)

    # -- schema -------------------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self, version: int) -> None:
        vacuum = False
        for number, module in enumerate(migrations.MIGRATIONS, start=1):
            if number <= version:
                continue
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                if number == 1:
                    self.conn.execute(
                        "CREATE TABLE migrations (number INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                        " applied_at TEXT NOT NULL DEFAULT (datetime('now')))"
                    )
                module.up(self.conn)
                self.conn.execute(
                    "INSERT INTO migrations (number, name) VALUES (?, ?)", (number, module.NAME)
                )
                self.conn.execute(f"PRAGMA user_version = {number}")
                if number == 1:
                    self.conn.execute(
                        "INSERT INTO meta (key, value) VALUES ('device_id', ?)", (uuid.uuid4().hex,)
                    )
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            vacuum = vacuum or getattr(module, "VACUUM_AFTER", False)
        if vacuum:  # once, after the last migration that freed pages
            try:  # give back the pages the migrations freed (needs room for a copy)
                self.conn.execute("VACUUM")
            except sqlite3.OperationalError:
                pass  # the file stays larger; nothing is lost

    def close(self) -> None:
        self.conn.close()

    # -- the clock ------------------------------------------------------------------------
    def check_clock(self) -> int:
        """The corrected time in ms (the PC's clock plus the offset learned from the server).

        When the PC's clock was corrected after the offset was learned (someone fixed a PC that
        said 2035), the stored offset would put the corrected time far behind what this file has
        already seen while the raw clock is plausible: the offset is then stale, and it is dropped
        until the next sync learns it again — so a later edit is stamped later, and "today"
        is today (issue 12, situation 3).
        """
        last = hlc.parse(self.clock.last).ms
        if (
            self.clock.offset_ms
            and self.clock.physical() < last - STALE_OFFSET_MS
            and self.clock.physical() - self.clock.offset_ms >= last - STALE_OFFSET_MS
        ):
            self.clock.offset_ms = 0
            if not self.readonly:
                self.set_meta("clock_offset_ms", "0")
        return self.clock.physical()

    # -- what changed -------------------------------------------------------------------
    def note_changed(self, table: str, *, pulled: bool = False) -> None:
        """Record that ``table`` was written (locally, or with rows pulled from the server)."""
        (self._pulled if pulled else self._local).add(table)
        if table in periods.LOCK_SOURCES:
            self.lock_cache = None

    def take_changes(self) -> Changes:
        """What was written since the last call (and forget it)."""
        changes = Changes(self._local, self._pulled)
        self._local, self._pulled = set(), set()
        return changes

    # -- meta ---------------------------------------------------------------------------
    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET"
                " value = excluded.value",
                (key, value),
            )

    @property
    def device_id(self) -> str | None:
        return self.meta("device_id")

    @property
    def station_id(self) -> str | None:
        return self.meta("station_id")

    # -- transactions -------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``; nested calls join the outer transaction.

        sqlite3 errors raised inside come out as :class:`StoreError` with a Chinese message.
        """
        if self.readonly:
            raise StoreError("readonly", tr("Store", "只读打开的数据文件不能写入。"))
        outer = self._depth == 0
        try:
            if outer:
                self.conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self.conn
            finally:
                self._depth -= 1
            if outer:
                self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if outer and self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise from_sqlite(exc) from exc
        except BaseException:
            if outer and self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    # -- reading ------------------------------------------------------------------------
    def query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute(sql, params)]

    def get(self, table: str, row_id: str) -> dict[str, Any] | None:
        """One row of a synced table (tombstoned rows included), values decoded."""
        schema.fields_of(table)
        row = self.conn.execute(f"SELECT * FROM {table} WHERE id = ?", (row_id,)).fetchone()
        return decode_row(table, row) if row else None

    # -- writing ------------------------------------------------------------------------
    def write(self, table: str, row_id: str | None, fields: Mapping[str, Any]) -> str:
        """Create or change a synced row and log the change, in one transaction.

        :param table: a table of ``pzh_core.schema.TABLES``.
        :param row_id: the row's id; ``None`` makes a new UUID. A deterministic id (uuid5) that
            does not exist yet creates the row, so two devices converge on one row.
        :param fields: the synced fields to set (others keep their value or default).
        :returns: the row id.
        """
        types = schema.fields_of(table)
        unknown = set(fields) - set(types)
        if unknown:
            raise KeyError(f"{table} has no synced fields {sorted(unknown)}")
        if table in schema.SERVER_ONLY:
            raise KeyError(f"{table} is written by the city server only")
        station = self.station_id
        if not station:
            raise StoreError("no_station", tr("Store", "尚未设置文化站信息，请先完成首次设置。"))
        row_id = row_id or str(uuid.uuid4())
        with self.transaction() as conn:
            existing = conn.execute(f"SELECT * FROM {table} WHERE id = ?", (row_id,)).fetchone()
            clocks = stored_clocks.decode(table, existing["clocks"]) if existing else {}
            # This store is the file's only writer: its clock has seen every stamp in the file
            # (apply_remote observes each pulled one), so the new stamp sorts after them all.
            now_ms = self.check_clock()
            # A record in a submitted, approved or past-deadline period stays as it is (issue 14).
            periods.check_write(
                self, conn, table, decode_row(table, existing) if existing else None, fields, now_ms
            )
            stamp = self.clock.now()
            won, new_clocks = merge.merge(clocks, fields, stamp)
            changelog.keep_old(self, table, row_id, clocks, won)  # history keeps what it was
            self._put_row(table, row_id, station, won, new_clocks, exists=existing is not None)
            changelog.log_write(self, table, row_id, stamp, fields, won, self.operator)
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('hlc_last', ?) ON CONFLICT(key) DO"
                " UPDATE SET value = excluded.value",
                (self.clock.last,),
            )
        self.note_changed(table)
        return row_id

    def _put_row(
        self,
        table: str,
        row_id: str,
        station: str,
        values: Mapping[str, Any],
        clocks: Mapping[str, str],
        *,
        exists: bool,
    ) -> None:
        types = schema.fields_of(table)
        cols = {name: encode_value(types[name], v) for name, v in values.items()}
        cols.update(stored_clocks.row_columns(table, clocks))
        if exists:
            sets = ", ".join(f"{c} = ?" for c in cols)
            self.conn.execute(f"UPDATE {table} SET {sets} WHERE id = ?", (*cols.values(), row_id))
        else:
            cols = {"id": row_id, "station_id": station, **cols}
            marks = ", ".join("?" for _ in cols)
            self.conn.execute(
                f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", tuple(cols.values())
            )

    def delete(self, table: str, row_id: str) -> None:
        """Tombstone a row (it goes to the trash; :meth:`restore` brings it back)."""
        self.write(table, row_id, {"deleted": True})

    def restore(self, table: str, row_id: str) -> None:
        self.write(table, row_id, {"deleted": False})

    def apply_remote(
        self,
        table: str,
        row_id: str,
        station_id: str,
        fields: Mapping[str, Any],
        stamp: str,
        operator: str = "",
    ) -> dict[str, Any]:
        """Merge a change received from the server (no change-log entry: it is not ours; it is
        kept in ``received`` for the record's history).

        Call inside :meth:`transaction` together with storing the pull cursor.
        :returns: the fields that won.
        """
        types = schema.fields_of(table)
        fields = {k: v for k, v in fields.items() if k in types}
        existing = self.conn.execute(
            f"SELECT clocks FROM {table} WHERE id = ?", (row_id,)
        ).fetchone()
        clocks = stored_clocks.decode(table, existing[0]) if existing else {}
        won, new_clocks = merge.merge(clocks, fields, stamp)
        if won:
            changelog.keep_old(self, table, row_id, clocks, won)
            self._put_row(table, row_id, station_id, won, new_clocks, exists=existing is not None)
            self.note_changed(table, pulled=True)
        if stamp != hlc.ZERO:
            changelog.log_received(self, table, row_id, stamp, fields, won, new_clocks, operator)
        self.clock.observe(stamp)
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES ('hlc_last', ?) ON CONFLICT(key) DO UPDATE"
            " SET value = excluded.value",
            (self.clock.last,),
        )
        return won

    def pending_changes(self, after_seq: int, limit: int = 500) -> list[dict[str, Any]]:
        """Change-log entries after ``after_seq``, oldest first, with fields decoded."""
        return changelog.entries(self, "seq > ? ORDER BY seq LIMIT ?", (after_seq, limit))
