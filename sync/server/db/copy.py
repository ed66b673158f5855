"""Copy a server's database to another engine (a city moving from SQLite to PostgreSQL):
``pzh-sync-server admin copy-database --to postgresql://…``.

Every table of the source (server tables, replica tables, whatever later migrations added) is
copied in batches into the migrated, empty target, in one transaction; then the feed's identity
goes on after the highest seq copied, and the row count of every table is compared. The target
must be empty: nothing is merged or overwritten.
"""

from __future__ import annotations

from sync.server.db.conn import Conn
from sync.server.db.engine import Engine

BATCH = 2000


class CopyError(RuntimeError):
    """The copy cannot be made or did not verify; the message is Chinese."""


def _copy_table(src: Conn, dst: Conn, table: str) -> int:
    cols = [c for c in _ordered_columns(src, table) if c in dst.columns(table)]
    names = ", ".join(cols)
    marks = ", ".join("?" for _ in cols)
    cur = src.execute(f"SELECT {names} FROM {table}")
    copied = 0
    while True:
        rows = cur.fetchmany(BATCH)
        if not rows:
            return copied
        dst.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", [tuple(r) for r in rows])
        copied += len(rows)


def _parents_first(dst: Conn, tables: list[str]) -> list[str]:
    """``tables`` with every table after the tables its foreign keys point to (PostgreSQL
    checks them on insert; SQLite does not enforce them here)."""
    if not dst.dialect.postgres:
        return tables
    parents: dict[str, set[str]] = {t: set() for t in tables}
    for child, parent in dst.all(
        "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint"
        " WHERE contype = 'f'"
    ):
        if child in parents and parent != child:
            parents[child].add(parent)
    ordered: list[str] = []
    while parents:
        ready = sorted(t for t, ps in parents.items() if not ps - set(ordered))
        if not ready:  # a cycle: leave the rest as it is
            ready = sorted(parents)
        for t in ready:
            ordered.append(t)
            del parents[t]
    return ordered


def _ordered_columns(c: Conn, table: str) -> list[str]:
    return [d[0] for d in c.execute(f"SELECT * FROM {table} LIMIT 0").description]


def copy_database(source: Engine, target: Engine) -> dict[str, int]:
    """Copy everything from ``source`` into the empty ``target``; ``{table: rows}``, verified.

    :raises CopyError: the target holds data, lacks a table, or a count differs after the copy.
    """

    def run(dst: Conn) -> dict[str, int]:
        def read(src: Conn) -> dict[str, int]:
            tables = _parents_first(dst, [t for t in src.tables() if t != "srv_migrations"])
            missing = set(tables) - set(dst.tables())
            if missing:
                raise CopyError(
                    f"目标数据库缺少表：{'、'.join(sorted(missing))}。请先升级服务器软件。"
                )
            for table in tables:
                filled = table != "srv_meta" and dst.scalar(f"SELECT count(*) FROM {table}")
                if filled:
                    raise CopyError(
                        f"目标数据库不是空的（{table} 已有 {filled} 行），未复制任何数据。"
                    )
            dst.execute("DELETE FROM srv_meta")  # the new database's clock row; the source's wins
            return {table: _copy_table(src, dst, table) for table in tables}

        counts = source.read(read, snapshot=True)
        if dst.dialect.postgres:
            dst.execute(
                "SELECT setval(pg_get_serial_sequence('srv_feed', 'seq'),"
                " (SELECT COALESCE(MAX(seq), 0) + 1 FROM srv_feed), false)"
            )
        for table, n in counts.items():
            got = dst.scalar(f"SELECT count(*) FROM {table}")
            if got != n:
                raise CopyError(f"{table}：源数据库 {n} 行，复制后 {got} 行，已撤销复制。")
        return counts

    return target.write(run)
