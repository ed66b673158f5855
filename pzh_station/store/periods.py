"""The desk's side of locked periods (issue 14; the rules are pzh_core.approval): what
``Store.write`` checks before a local change, and the reads of the ``periods`` table.

Pulled rows (``apply_remote``) are never checked: what the server sends is the truth.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pzh_core import approval, settings_defaults
from pzh_core.china_tz import china_today
from pzh_core.domain.errors import ValidationError

if TYPE_CHECKING:
    from pzh_station.store.db import Store


def period_rows(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    from pzh_station.store.db import decode_row

    return [
        decode_row("periods", r)
        for r in conn.execute("SELECT * FROM periods WHERE deleted = 0 ORDER BY period")
    ]


def deadline_days(conn: sqlite3.Connection) -> int:
    """The county's edit deadline as this desk last heard it (0: none)."""
    from pzh_station.store.db import decode_row

    rows = [
        decode_row("city_settings", r)
        for r in conn.execute(
            "SELECT * FROM city_settings WHERE key = 'edit_deadline_days' AND deleted = 0"
            " AND device_id = 'server' ORDER BY updated_at DESC"
        )
    ]
    st = conn.execute("SELECT id, county FROM stations LIMIT 1").fetchone()
    value = settings_defaults.effective(
        "edit_deadline_days",
        rows,
        station_id=st[0] if st else "",
        county=st[1] if st else "",
    )
    return int(value) if isinstance(value, int | float) else 0


def states(store: Store) -> dict[str, str]:
    """period → status on this PC."""
    return approval.states_of(period_rows(store.conn))


def store_deadline_days(store: Store) -> int:
    return deadline_days(store.conn)


def session_date(conn: sqlite3.Connection) -> Any:
    def lookup(session_id: str) -> str | None:
        row = conn.execute("SELECT date FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return row[0] if row else None

    return lookup


# Tables whose writes change what is locked: the cache below is dropped when one is written.
LOCK_SOURCES = frozenset({"periods", "city_settings", "stations"})


def lock_state(store: Store) -> tuple[dict[str, str], int]:
    """The period states and the edit deadline, read once and kept until one of
    :data:`LOCK_SOURCES` is written (``Store.note_changed``): a 50,000-row import checks each
    row without reading them again."""
    if store.lock_cache is None:
        store.lock_cache = (approval.states_of(period_rows(store.conn)), deadline_days(store.conn))
    return store.lock_cache


def check_write(
    store: Store,
    conn: sqlite3.Connection,
    table: str,
    row: Mapping[str, Any] | None,
    fields: Mapping[str, Any],
    today_ms: int,
) -> None:
    """Raise :class:`ValidationError` (the message under the record's date field) when this
    local change touches a locked period."""
    if table == approval.TABLE:
        problem = approval.period_change_problem(row, fields)
        if problem:
            raise ValidationError(problem[1])
        return
    if table not in approval.LOCKED_TABLES:
        return
    states, days = lock_state(store)
    if not states and not days:
        return  # nothing submitted and no deadline: the common case costs two small reads
    today = china_today(today_ms)
    errors = approval.change_lock(
        table,
        row,
        fields,
        states=states,
        today=today,
        deadline_days=days,
        session_date=session_date(conn),
    )
    if errors:
        raise ValidationError(errors)


def incomplete(store: Store, start: str, end: str, today: str) -> dict[str, int]:
    """What is incomplete in a period (first day, last day, ISO): activities without attendance,
    held sessions with no mark, service records waiting for verification."""
    conn = store.conn

    def count(sql: str, params: tuple[Any, ...]) -> int:
        return int(conn.execute(sql, params).fetchone()[0])

    return {
        "activities_without_attendance": count(
            "SELECT count(*) FROM activities WHERE deleted = 0 AND date BETWEEN ? AND ?"
            " AND attendance = 0",
            (start, end),
        ),
        "sessions_not_marked": count(
            "SELECT count(*) FROM sessions s JOIN classes c ON c.id = s.class_id"
            " WHERE s.deleted = 0 AND c.deleted = 0 AND s.cancelled = 0"
            " AND s.date BETWEEN ? AND ? AND s.date <= ? AND NOT EXISTS (SELECT 1 FROM"
            " attendance a WHERE a.session_id = s.id AND a.deleted = 0 AND a.mark != '')",
            (start, end, today),
        ),
        "records_unverified": count(
            "SELECT count(*) FROM service_records WHERE deleted = 0 AND date BETWEEN ? AND ?"
            " AND status = 'recorded'",
            (start, end),
        ),
    }


def facts_confirmed(store: Store, year: int) -> bool:
    row = store.conn.execute(
        "SELECT confirmed FROM annual_facts WHERE deleted = 0 AND year = ? ORDER BY updated_at"
        " DESC LIMIT 1",
        (year,),
    ).fetchone()
    return bool(row and row[0])


def late_changes(store: Store) -> list[dict[str, Any]]:
    """The county's decisions on this station's changes made after approval, newest first."""
    from pzh_station.store.db import decode_row

    return [
        decode_row("late_changes", r)
        for r in store.conn.execute(
            "SELECT * FROM late_changes WHERE deleted = 0 ORDER BY updated_at DESC"
        )
    ]
