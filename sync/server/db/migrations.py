"""Numbered migrations of the server's own tables, on both engines, and the replica tables.

``srv_migrations`` lists the numbers applied. :func:`migrate` applies the missing ones in order,
each with its number, in one transaction that holds the migration lock (PostgreSQL: an advisory
lock, so two server processes starting at once migrate once; SQLite: the one writer). A database
with a number this code does not know is refused, never downgraded. A migration's statements are
literal, so it never changes after it ships; a change is a new number.

The replica tables follow ``pzh_core.schema`` instead (the desk's synced tables, the same names
and columns): missing tables and columns are added after the numbered migrations, never dropped
or retyped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from pzh_core import schema
from sync.server.db.conn import Conn
from sync.server.db.engine import Engine
from sync.server.db.replica_tables import STATION_COVERED, sync_replica_tables

log = logging.getLogger("pzh.sync.db")


class SchemaTooNew(RuntimeError):
    """The database was migrated by a newer server than this one."""


def m0001_server_tables(c: Conn) -> None:
    """Stations, codes, devices, the feed and the seqs seen (the tables of the first server,
    ``IF NOT EXISTS`` so a city's existing file is adopted as it is)."""
    for ddl in (
        "CREATE TABLE IF NOT EXISTS srv_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE IF NOT EXISTS srv_stations (
            id TEXT PRIMARY KEY, name TEXT NOT NULL, county TEXT NOT NULL,
            created_ms INTEGER NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS srv_codes (
            code TEXT PRIMARY KEY, station_id TEXT NOT NULL REFERENCES srv_stations(id),
            created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL,
            spent_ms INTEGER, device_id TEXT)""",
        """CREATE TABLE IF NOT EXISTS srv_devices (
            id TEXT PRIMARY KEY, station_id TEXT NOT NULL REFERENCES srv_stations(id),
            token_hash TEXT NOT NULL UNIQUE, name TEXT NOT NULL DEFAULT '',
            app_version TEXT NOT NULL DEFAULT '', created_ms INTEGER NOT NULL, revoked_ms INTEGER,
            applied_seq INTEGER NOT NULL DEFAULT 0, last_sync_ms INTEGER, last_seen_ms INTEGER,
            changes_day TEXT NOT NULL DEFAULT '', changes_today INTEGER NOT NULL DEFAULT 0,
            skew_ms INTEGER, clamped_total INTEGER NOT NULL DEFAULT 0,
            last_error TEXT NOT NULL DEFAULT '', last_error_ms INTEGER)""",
        "CREATE INDEX IF NOT EXISTS srv_devices_station ON srv_devices(station_id)",
        # The change feed: one ordered sequence for the whole deployment.
        """CREATE TABLE IF NOT EXISTS srv_feed (
            seq INTEGER PRIMARY KEY AUTOINCREMENT, station_id TEXT NOT NULL, tbl TEXT NOT NULL,
            row_id TEXT NOT NULL, stamp TEXT NOT NULL, fields TEXT NOT NULL,
            origin TEXT NOT NULL, replaced TEXT)""",
        "CREATE INDEX IF NOT EXISTS srv_feed_station ON srv_feed(station_id, seq)",
        # The stamp of every device seq applied: a resent seq must come with the same stamp,
        # else the PC's log went back in time and skipping it would lose a change.
        """CREATE TABLE IF NOT EXISTS srv_seen (
            device_id TEXT NOT NULL, seq INTEGER NOT NULL, stamp TEXT NOT NULL,
            PRIMARY KEY (device_id, seq)) WITHOUT ROWID""",
    ):
        c.ddl(ddl)


CLOCK_SEED = (
    "INSERT INTO srv_meta (key, value) VALUES ('hlc_last', '0000000000000.0000.server')"
    " ON CONFLICT (key) DO NOTHING"
)


def m0002_shared_state(c: Conn) -> None:
    """What several server processes must share: rate-limit buckets (enrollment attempts per
    address, sign-in failures), and the server clock's row, which exists from now on so that
    stamping locks it (``FOR UPDATE`` locks nothing on a missing row)."""
    c.ddl(
        """CREATE TABLE IF NOT EXISTS srv_throttle (
            key TEXT PRIMARY KEY, tokens REAL NOT NULL, last_ms INTEGER NOT NULL)"""
    )
    c.execute(CLOCK_SEED)


def m0003_pinyin(c: Conn) -> None:
    """Names sort ``COLLATE pinyin`` (pzh_core.queries): SQLite connections register it in
    Python; PostgreSQL has it from ICU."""
    if c.dialect.postgres:
        c.execute(
            "CREATE COLLATION IF NOT EXISTS pinyin (provider = icu, locale = 'zh-u-co-pinyin')"
        )


def m0004_identity_set_aside_digest(c: Conn) -> None:
    """Device identity (idempotent enrollment, epoch, re-key) and digest reports on
    ``srv_devices``; the set-aside changes; each station's replica digest, built once for the
    rows already held (issue 12)."""
    have = c.columns("srv_devices")
    for name, kind in (
        ("request_id", "TEXT"),  # the enrollment or re-key request that made this device
        ("parent_id", "TEXT"),  # the device this one re-keyed (None for an enrolled device)
        ("replaced_by", "TEXT"),  # the device that re-keyed this one
        ("revoke_reason", "TEXT"),  # 'admin' | 'rekeyed' (None while active)
        ("digest_ok", "INTEGER"),  # 1 equal, 0 differed, None never reported
        ("digest_differs", "TEXT"),  # the tables that differed at the last mismatch
        ("digest_ms", "INTEGER"),  # when
    ):
        if name not in have:
            c.ddl(f"ALTER TABLE srv_devices ADD COLUMN {name} {kind}")
    for ddl in (
        """CREATE TABLE IF NOT EXISTS srv_set_aside (
            id INTEGER PRIMARY KEY AUTOINCREMENT, station_id TEXT NOT NULL,
            device_id TEXT NOT NULL, seq INTEGER NOT NULL, tbl TEXT NOT NULL,
            row_id TEXT NOT NULL, stamp TEXT NOT NULL, fields TEXT NOT NULL, code TEXT NOT NULL,
            message TEXT NOT NULL, errors TEXT NOT NULL, created_ms INTEGER NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS srv_set_aside_device ON srv_set_aside(device_id, seq)",
        "CREATE INDEX IF NOT EXISTS srv_set_aside_station ON srv_set_aside(station_id, id)",
        """CREATE TABLE IF NOT EXISTS srv_digest (
            station_id TEXT NOT NULL, tbl TEXT NOT NULL, bucket INTEGER NOT NULL,
            value INTEGER NOT NULL, PRIMARY KEY (station_id, tbl, bucket)) WITHOUT ROWID""",
        """CREATE TABLE IF NOT EXISTS srv_digest_table (
            station_id TEXT NOT NULL, tbl TEXT NOT NULL, value INTEGER NOT NULL,
            PRIMARY KEY (station_id, tbl)) WITHOUT ROWID""",
    ):
        c.ddl(ddl)
    from sync.server import replica_digest

    replica_digest.build(c)


def m0005_figures(c: Conn) -> None:
    """The web pages' figures pre-aggregated per station, indicator and day, month and year
    (``sync/server/db/aggregates.py``), built once for the rows already held."""
    c.ddl(
        """CREATE TABLE IF NOT EXISTS srv_figures (
            station_id TEXT NOT NULL, key TEXT NOT NULL, grain TEXT NOT NULL, span TEXT NOT NULL,
            value REAL NOT NULL, PRIMARY KEY (station_id, key, grain, span)) WITHOUT ROWID"""
    )
    c.ddl(
        "CREATE INDEX IF NOT EXISTS srv_figures_span"
        " ON srv_figures(grain, key, span, station_id, value)"
    )
    from sync.server.db import aggregates

    aggregates.rebuild(c)


def m0006_periods(c: Conn) -> None:
    """Submitted and approved periods and the late changes (issue 14): their replica tables
    follow ``pzh_core.schema``; the county's period list and the push guard read them by
    station. The feed keeps who made each change (the record history's "who")."""
    if "operator" not in c.columns("srv_feed"):
        c.ddl("ALTER TABLE srv_feed ADD COLUMN operator TEXT NOT NULL DEFAULT ''")
    for ddl in (
        "CREATE INDEX IF NOT EXISTS periods_station_period ON periods(station_id, period)",
        "CREATE INDEX IF NOT EXISTS late_changes_station ON late_changes(station_id, decision)",
        "CREATE INDEX IF NOT EXISTS srv_feed_row ON srv_feed(tbl, row_id)",
    ):
        c.ddl(ddl)


def m0007_audit_log(c: Conn) -> None:
    """The audit log: administrative acts (web pages and command line), appended, never changed
    (issue 18). ``target`` is what an act was done to; ``station_id`` scopes it to a county."""
    c.ddl(
        """CREATE TABLE IF NOT EXISTS srv_audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT, ms INTEGER NOT NULL, actor TEXT NOT NULL,
            action TEXT NOT NULL, target TEXT NOT NULL DEFAULT '',
            station_id TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL)"""
    )
    c.ddl("CREATE INDEX IF NOT EXISTS srv_audit_station ON srv_audit(station_id, id)")


def m0008_photos_bundle_keys(c: Conn) -> None:
    """Photos as evidence and USB bundles (issue 15): stored files by content hash (the bytes in
    the photo directory, shared by every server process), which stations hold each file,
    uploads in progress with their acknowledged chunks (in the database, so any server process
    behind one address continues an upload another began), bytes sent per station and day,
    per-station storage limits, and each device's public bundle key."""
    for ddl in (
        """CREATE TABLE IF NOT EXISTS srv_photo_files (
            hash TEXT PRIMARY KEY, size INTEGER NOT NULL, kind TEXT NOT NULL,
            created_ms INTEGER NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS srv_photo_owners (
            station_id TEXT NOT NULL, hash TEXT NOT NULL, created_ms INTEGER NOT NULL,
            PRIMARY KEY (station_id, hash))""",
        "CREATE INDEX IF NOT EXISTS srv_photo_owners_hash ON srv_photo_owners(hash)",
        """CREATE TABLE IF NOT EXISTS srv_photo_uploads (
            station_id TEXT NOT NULL, hash TEXT NOT NULL, size INTEGER NOT NULL,
            kind TEXT NOT NULL, received INTEGER NOT NULL DEFAULT 0,
            updated_ms INTEGER NOT NULL, PRIMARY KEY (station_id, hash))""",
        """CREATE TABLE IF NOT EXISTS srv_photo_chunks (
            station_id TEXT NOT NULL, hash TEXT NOT NULL, offset_bytes INTEGER NOT NULL,
            data BLOB NOT NULL, PRIMARY KEY (station_id, hash, offset_bytes))""",
        """CREATE TABLE IF NOT EXISTS srv_photo_traffic (
            station_id TEXT NOT NULL, day TEXT NOT NULL, bytes INTEGER NOT NULL,
            PRIMARY KEY (station_id, day))""",
        """CREATE TABLE IF NOT EXISTS srv_photo_limits (
            station_id TEXT PRIMARY KEY, station_bytes INTEGER)""",
        """CREATE TABLE IF NOT EXISTS srv_device_keys (
            device_id TEXT PRIMARY KEY, station_id TEXT NOT NULL, public_key TEXT NOT NULL,
            created_ms INTEGER NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS srv_device_keys_key ON srv_device_keys(public_key)",
    ):
        c.ddl(ddl)


def m0009_feed_replaced(c: Conn) -> None:
    """Find a clamped stamp by the stamp the device sent (issue 12): when a copy of the same
    file (a restored backup) pushes that stamp again, the server gives it the stamp it gave the
    first time instead of clamping it afresh. Few entries are clamped: a partial index."""
    c.ddl(
        "CREATE INDEX IF NOT EXISTS srv_feed_replaced ON srv_feed(replaced, station_id)"
        " WHERE replaced IS NOT NULL"
    )


def m0010_signin_failures(c: Conn) -> None:
    """The web pages' failed sign-ins, per account name and per address (``times``: a JSON list
    of ms within the window), shared by every server process (issue 16); they were counted in
    each process's memory."""
    c.ddl(
        """CREATE TABLE IF NOT EXISTS srv_signin (
            key TEXT PRIMARY KEY, times TEXT NOT NULL, last_ms INTEGER NOT NULL)"""
    )


def m0011_compact_clocks(c: Conn) -> None:
    """Compact field clocks (issue 16): every replica row's ``clocks`` goes from the JSON object
    ``{field: stamp}`` to the stored form of ``pzh_core.stored_clocks`` — the same stamps, so the
    merge, the feed and the digest (over the stamps' canonical value) see no difference. In
    batches of ``CLOCK_BATCH`` rows by id, so a province's tables never sit in memory whole."""
    from pzh_core import stored_clocks

    for table in schema.TABLES:
        after = ""
        while True:
            rows = c.all(
                f"SELECT id, clocks FROM {table} WHERE id > ? AND substr(clocks, 1, 1) = ?"
                " ORDER BY id LIMIT ?",
                (after, "{", CLOCK_BATCH),
            )
            if not rows:
                break
            c.executemany(
                f"UPDATE {table} SET clocks = ? WHERE id = ?",
                [
                    (stored_clocks.encode(table, stored_clocks.decode(table, r[1])), r[0])
                    for r in rows
                ],
            )
            after = rows[-1][0]


CLOCK_BATCH = 5_000


def m0012_seen_body(c: Conn) -> None:
    """A hash of each applied change's table, row and fields beside its stamp (issue 12): a file
    whose clock stood behind its own stamps issues the same seqs *and* stamps again after a
    restore, and only the content tells that such a resent seq is another change. Seqs applied
    before have none (compared by stamp alone)."""
    c.ddl("ALTER TABLE srv_seen ADD COLUMN body TEXT")


def m0013_digest_values(c: Conn) -> None:
    """The digest of values beside the digest of stamps (issue 12): a ``vals`` column on each
    bucket and table value, built once from the rows held (``replica_digest.build_values``)."""
    for table in ("srv_digest", "srv_digest_table"):
        if "vals" not in c.columns(table):
            c.ddl(f"ALTER TABLE {table} ADD COLUMN vals INTEGER NOT NULL DEFAULT 0")
    from sync.server import replica_digest

    replica_digest.build_values(c)


def m0014_facts_unknown(c: Conn) -> None:
    """The annual facts' floor-area parts filled "where known" (issue 13): their columns may
    be null, and a stored 0 becomes null by a server change (``facts_unknown``)."""
    from sync.server.db import facts_unknown

    facts_unknown.migrate(c)


def m0015_pc_numbers(c: Conn) -> None:
    """Each device's number in its station (issue 13, §5: the certificate numbers' per-PC prefix
    ``J01``, ``J02`` …, unique by construction; ``identity.number_devices``)."""
    from sync.server import identity

    identity.number_devices(c)


# Vacuum ``srv_figures`` after this many changed rows (PostgreSQL's default: a fifth of the table).
FIGURES_VACUUM_ROWS = 5_000


def m0016_figures_vacuum(c: Conn) -> None:
    """PostgreSQL vacuums ``srv_figures`` after a few thousand changed rows (issue 16), not after
    a fifth of the table (about a million rows at 4,000 stations × 5 years). Every push updates
    its station's year rows; until a vacuum marks their pages all-visible, the overview's
    index-only scans read the table for each (after a month-end peak: 16,000 heap fetches for
    the year's 40,000 rows). SQLite has nothing to set."""
    if c.dialect.postgres:
        n = FIGURES_VACUUM_ROWS
        c.execute(
            "ALTER TABLE srv_figures SET (autovacuum_vacuum_scale_factor = 0,"
            f" autovacuum_vacuum_threshold = {n}, autovacuum_vacuum_insert_scale_factor = 0,"
            f" autovacuum_vacuum_insert_threshold = {n})"
        )


def m0017_drop_covered_station_indexes(c: Conn) -> None:
    """A table with a ``(station_id, date)`` index needs no ``(station_id)`` one: the composite
    serves the same lookups, and each index costs every pushed row an insert (issue 16)."""
    for table in STATION_COVERED:
        c.ddl(f"DROP INDEX IF EXISTS {table}_station")


def m0018_feed_row_by_station(c: Conn) -> None:
    """The feed's index for a record's history by station first (issue 16): every reader of it
    names the station, and a pushed batch's entries then land in the few pages of its own
    station's part of the index rather than in one page each of a city-wide one (row ids are
    random), which SQLite writes to the WAL and again to the file at each checkpoint, and
    PostgreSQL logs whole after each checkpoint (docs/benchmarks.md, session 7)."""
    c.ddl("CREATE INDEX IF NOT EXISTS srv_feed_station_row ON srv_feed(station_id, tbl, row_id)")
    c.ddl("DROP INDEX IF EXISTS srv_feed_row")


MIGRATIONS: list[tuple[int, Callable[[Conn], None]]] = [
    (1, m0001_server_tables),
    (2, m0002_shared_state),
    (3, m0003_pinyin),
    (4, m0004_identity_set_aside_digest),
    (5, m0005_figures),
    (6, m0006_periods),
    (7, m0007_audit_log),
    (8, m0008_photos_bundle_keys),
    (9, m0009_feed_replaced),
    (10, m0010_signin_failures),
    (11, m0011_compact_clocks),
    (12, m0012_seen_body),
    (13, m0013_digest_values),
    (14, m0014_facts_unknown),
    (15, m0015_pc_numbers),
    (16, m0016_figures_vacuum),
    (17, m0017_drop_covered_station_indexes),
    (18, m0018_feed_row_by_station),
]


def applied(c: Conn) -> set[int]:
    c.ddl(
        "CREATE TABLE IF NOT EXISTS srv_migrations (number INTEGER PRIMARY KEY, name TEXT NOT NULL)"
    )
    return {r[0] for r in c.all("SELECT number FROM srv_migrations")}


def _migrate(c: Conn) -> list[int]:
    lock = c.dialect.lock_migrations_sql()
    if lock:
        c.execute(lock)
    done = applied(c)
    known = {n for n, _ in MIGRATIONS}
    if done - known:
        raise SchemaTooNew(
            f"数据库由更新版本的服务器建立（迁移 {max(done)}），本服务器只认识到 {max(known)}。"
            "请升级服务器软件。"
        )
    # The replica tables first: they follow pzh_core.schema, and a migration may read them.
    sync_replica_tables(c)
    ran = []
    for number, fn in MIGRATIONS:
        if number not in done:
            started = time.monotonic()
            if done:  # an upgrade: on a province's database one may take minutes, say which
                log.warning("正在升级数据库：迁移 %d（%s）……", number, fn.__name__)
            fn(c)
            if done:
                log.warning("迁移 %d 完成，用时 %.1f 秒", number, time.monotonic() - started)
            c.execute(
                "INSERT INTO srv_migrations (number, name) VALUES (?, ?)", (number, fn.__name__)
            )
            ran.append(number)
    return ran


def migrate(engine: Engine) -> list[int]:
    """Apply the missing migrations; returns the numbers applied now."""
    return engine.write(_migrate)
