"""Queries over training classes, sessions, enrollments and attendance. The only place that
knows those tables' SQL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pzh_station.store.db import Store, decode_row


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@dataclass
class ClassFilter:
    """What the class list shows. Empty values mean "no restriction"."""

    text: str = ""  # substring of name, teacher or venue
    status: str = ""  # one of ``domain.training.STATUSES``
    year: str = ""  # "2026" keeps classes that start or end in that year


def class_rows(store: Store, f: ClassFilter) -> list[dict[str, Any]]:
    """Live classes, newest start first, with ``enrolled`` (active) and ``sessions`` counts."""
    where = ["c.deleted = 0"]
    params: list[Any] = []
    text, status, year = f.text, f.status, f.year
    if text.strip():
        where.append(
            "(c.name LIKE ? ESCAPE '\\' OR c.teacher LIKE ? ESCAPE '\\' OR c.venue LIKE ?"
            " ESCAPE '\\')"
        )
        params += [_like(text.strip())] * 3
    if status:
        where.append("c.status = ?")
        params.append(status)
    if year:
        where.append("(substr(c.start_date, 1, 4) = ? OR substr(c.end_date, 1, 4) = ?)")
        params += [year, year]
    sql = (
        "SELECT c.*,"
        " (SELECT count(*) FROM enrollments e WHERE e.class_id = c.id AND e.deleted = 0 AND"
        " e.active = 1) AS enrolled,"
        " (SELECT count(*) FROM sessions s WHERE s.class_id = c.id AND s.deleted = 0 AND"
        " s.cancelled = 0) AS sessions"
        f" FROM classes c WHERE {' AND '.join(where)}"
        " ORDER BY c.start_date DESC, c.name COLLATE pinyin, c.id"
    )
    return [decode_row("classes", r) for r in store.conn.execute(sql, params)]


def classes_named(store: Store, name: str) -> list[dict[str, Any]]:
    return [
        decode_row("classes", r)
        for r in store.conn.execute(
            "SELECT * FROM classes WHERE name = ? AND deleted = 0 ORDER BY start_date DESC, id",
            (name,),
        )
    ]


def sessions(store: Store, class_id: str) -> list[dict[str, Any]]:
    """Live sessions of a class (cancelled included) by date and time."""
    return [
        decode_row("sessions", r)
        for r in store.conn.execute(
            "SELECT id, class_id, date, start_time, end_time, cancelled, notes FROM sessions"
            " WHERE class_id = ? AND deleted = 0 ORDER BY date, start_time, id",
            (class_id,),
        )
    ]


def roster(store: Store, class_id: str, *, include_dropped: bool = True) -> list[dict[str, Any]]:
    """Enrollments of a class joined with the people, in the order they enrolled.

    A person merged into another is shown as that other person (``COALESCE`` on ``merged_into``
    is not needed: a merge moves enrollments itself).
    """
    sql = (
        "SELECT p.id, p.name, p.gender, p.birth_year, p.phone, p.village, p.ethnicity, p.notes,"
        " e.id AS enrollment_id, e.active, e.walk_in, e.enrolled_on"
        " FROM enrollments e JOIN people p ON p.id = e.person_id"
        " WHERE e.class_id = ? AND e.deleted = 0"
        + ("" if include_dropped else " AND e.active = 1")
        + " ORDER BY e.active DESC, e.enrolled_on, p.name COLLATE pinyin, p.id"
    )
    rows = store.query(sql, (class_id,))
    for r in rows:
        r["active"], r["walk_in"] = bool(r["active"]), bool(r["walk_in"])
    return rows


def active_count(store: Store, class_id: str) -> int:
    return store.conn.execute(
        "SELECT count(*) FROM enrollments WHERE class_id = ? AND deleted = 0 AND active = 1",
        (class_id,),
    ).fetchone()[0]


def marks(store: Store, class_id: str) -> dict[tuple[str, str], str]:
    """``{(person_id, session_id): mark}`` of a class (set marks of live sessions only)."""
    return {
        (r[0], r[1]): r[2]
        for r in store.conn.execute(
            "SELECT a.person_id, a.session_id, a.mark FROM attendance a JOIN sessions s ON"
            " s.id = a.session_id"
            " WHERE a.class_id = ? AND a.deleted = 0 AND a.mark != '' AND s.deleted = 0",
            (class_id,),
        )
    }


def session_marks(store: Store, session_id: str) -> dict[str, str]:
    return {
        r[0]: r[1]
        for r in store.conn.execute(
            "SELECT person_id, mark FROM attendance WHERE session_id = ? AND deleted = 0",
            (session_id,),
        )
    }


def session_at(store: Store, class_id: str, date: str, start_time: str) -> str | None:
    row = store.conn.execute(
        "SELECT id FROM sessions WHERE class_id = ? AND date = ? AND start_time = ? AND"
        " deleted = 0",
        (class_id, date, start_time),
    ).fetchone()
    return row[0] if row else None
