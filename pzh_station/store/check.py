"""The integrity check of a station file (``pzh-station check`` and the settings page)."""

from __future__ import annotations

import sqlite3

from pzh_core import schema
from pzh_core.i18n import tr
from pzh_station.store import migrations
from pzh_station.store.db import Store


def problems(store: Store) -> list[str]:
    """Problems found in the store's file, in Chinese; empty when all is well."""
    found: list[str] = []
    try:
        result = [r[0] for r in store.conn.execute("PRAGMA integrity_check")]
        if result != ["ok"]:
            found.append(tr("Check", "数据库结构损坏：") + "；".join(result[:5]))
        if store.schema_version < migrations.LATEST:
            found.append(
                tr("Check", "数据版本较旧（{}），下次打开程序时会自动升级。").format(
                    store.schema_version
                )
            )
        if not store.station_id:
            found.append(tr("Check", "尚未设置文化站信息。"))
        found += _rows_without_stamps(store)
    except sqlite3.DatabaseError as exc:
        found.append(tr("Check", "数据库无法读取：{}").format(exc))
    return found


def _rows_without_stamps(store: Store) -> list[str]:
    tables = {r["name"] for r in store.query("SELECT name FROM sqlite_master WHERE type='table'")}
    found = []
    for table in schema.TABLES:
        if table not in tables:
            continue
        bad = store.conn.execute(
            f"SELECT count(*) FROM {table} WHERE clocks = '{{}}' OR updated_at = ''"
        ).fetchone()[0]
        if bad:
            found.append(tr("Check", "表 {} 有 {} 行缺少同步时间戳。").format(table, bad))
    return found
