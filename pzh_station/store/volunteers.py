"""Queries over volunteers, service records and corrections. The only place that knows their SQL.

Totals count VERIFIED hours of records that are not deleted; "recorded" and "rejected" records
never count. The day check counts recorded and verified ones (a record waiting for verification
still means the person was busy that day).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pzh_station.store.db import Store, decode_row

_ESC = "\\"


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


# -- volunteers ----------------------------------------------------------------------------
@dataclass
class VolunteerFilter:
    """What the archive list shows. Empty values mean "no restriction"."""

    text: str = ""  # name, phone, number or team
    status: str = ""
    skill: str = ""
    trash: bool = False


VOLUNTEER_SORT = "p.name COLLATE pinyin, v.number, v.id"


def volunteer_rows(store: Store, f: VolunteerFilter, *, year: int) -> list[dict[str, Any]]:
    """The archive list: volunteer details, the person's name/gender/phone, and verified hours
    all time (``total``) and in ``year`` (``year_total``), in name order.

    One grouped pass over the verified records (covering index ``service_records_verified``).
    """
    clauses = ["v.deleted = ?"]
    params: list[Any] = [1 if f.trash else 0]
    if f.status:
        clauses.append("v.status = ?")
        params.append(f.status)
    if f.skill:
        clauses.append("EXISTS (SELECT 1 FROM json_each(v.skills) WHERE value = ?)")
        params.append(f.skill)
    text = f.text.strip()
    if text:
        like = _like(text)
        clauses.append(
            "(p.name LIKE ? ESCAPE '\\' OR p.phone LIKE ? ESCAPE '\\' OR v.number LIKE ?"
            " ESCAPE '\\'"
            " OR v.team LIKE ? ESCAPE '\\')"
        )
        params += [like, like, like, like]
    sql = f"""
        SELECT v.id, v.person_id, v.number, v.join_date, v.skills, v.team, v.status,
               p.name AS name, p.gender AS gender, p.phone AS phone,
               COALESCE(t.total, 0) AS total, COALESCE(t.year_total, 0) AS year_total
        FROM volunteers v
        LEFT JOIN people p ON p.id = v.person_id
        LEFT JOIN (
            SELECT volunteer_id, SUM(hours) AS total,
                   SUM(CASE WHEN date >= ? AND date < ? THEN hours ELSE 0 END) AS year_total
            FROM service_records
            WHERE status = 'verified' AND deleted = 0
            GROUP BY volunteer_id
        ) t ON t.volunteer_id = v.id
        WHERE {" AND ".join(clauses)}
        ORDER BY {VOLUNTEER_SORT}
    """
    rows = store.conn.execute(sql, [f"{year:04d}-01-01", f"{year + 1:04d}-01-01", *params])
    return [decode_row("volunteers", r) for r in rows]


def volunteer_count(store: Store) -> int:
    return store.conn.execute("SELECT count(*) FROM volunteers WHERE deleted = 0").fetchone()[0]


def find_by_number(store: Store, number: str) -> str | None:
    row = store.conn.execute(
        "SELECT id FROM volunteers WHERE number = ? AND number != '' AND deleted = 0 LIMIT 1",
        (number,),
    ).fetchone()
    return row[0] if row else None


def numbers_like(store: Store, prefix: str) -> list[str]:
    return [
        r[0]
        for r in store.conn.execute(
            "SELECT number FROM volunteers WHERE number LIKE ? ESCAPE '\\'",
            (prefix.replace("%", "\\%") + "%",),
        )
    ]


def all_volunteers(store: Store) -> list[dict[str, Any]]:
    """Full rows with the person's registry fields (for exports), in name order."""
    rows = store.conn.execute(
        f"""SELECT v.*, p.name AS name, p.gender AS gender, p.birth_year AS birth_year,
                  p.phone AS phone, p.village AS village, p.ethnicity AS ethnicity
           FROM volunteers v LEFT JOIN people p ON p.id = v.person_id
           WHERE v.deleted = 0 ORDER BY {VOLUNTEER_SORT}"""
    )
    return [decode_row("volunteers", r) for r in rows]


def volunteer_names(store: Store) -> dict[str, dict[str, Any]]:
    """``{volunteer_id: {"name", "number"}}`` of the volunteers not deleted."""
    return {
        r["id"]: r
        for r in store.query(
            "SELECT v.id, v.number, p.name AS name FROM volunteers v LEFT JOIN people p ON"
            " p.id = v.person_id"
            " WHERE v.deleted = 0"
        )
    }


def active_volunteers(store: Store) -> list[dict[str, Any]]:
    """Active volunteers (id, name, number, join_date, team) for pickers and bulk entry."""
    return store.query(
        f"""SELECT v.id, v.person_id, v.number, v.join_date, v.team, p.name AS name
            FROM volunteers v LEFT JOIN people p ON p.id = v.person_id
            WHERE v.deleted = 0 AND v.status = 'active' ORDER BY {VOLUNTEER_SORT}"""
    )


# -- service records -----------------------------------------------------------------------
def day_hours(store: Store, volunteer_id: str, date: str, *, exclude: str | None = None) -> float:
    """Hours of one volunteer on one day that count for the day check (not rejected, not
    deleted)."""
    row = store.conn.execute(
        "SELECT COALESCE(SUM(hours), 0) FROM service_records WHERE volunteer_id = ? AND date = ?"
        " AND deleted = 0 AND status != 'rejected' AND id != ?",
        (volunteer_id, date, exclude or ""),
    ).fetchone()
    return float(row[0])


@dataclass
class RecordFilter:
    """What the records list shows. Empty values mean "no restriction"."""

    volunteer_id: str = ""
    status: str = ""
    date_from: str = ""
    date_to: str = ""
    activity_id: str = ""
    text: str = ""  # volunteer name or description


def _record_where(f: RecordFilter) -> tuple[str, list[Any]]:
    clauses = ["r.deleted = 0"]
    params: list[Any] = []
    for col, value in (
        ("r.volunteer_id", f.volunteer_id),
        ("r.status", f.status),
        ("r.activity_id", f.activity_id),
    ):
        if value:
            clauses.append(f"{col} = ?")
            params.append(value)
    if f.date_from:
        clauses.append("r.date >= ?")
        params.append(f.date_from)
    if f.date_to:
        clauses.append("r.date <= ?")
        params.append(f.date_to)
    text = f.text.strip()
    if text:
        like = _like(text)
        clauses.append("(p.name LIKE ? ESCAPE '\\' OR r.description LIKE ? ESCAPE '\\')")
        params += [like, like]
    return " AND ".join(clauses), params


RECORD_SELECT = """
    SELECT r.id, r.volunteer_id, r.person_id, r.date, r.hours, r.description, r.activity_id,
           r.class_id, r.recorded_by, r.status, r.verified_by, r.verified_on, r.reject_reason,
           p.name AS name, v.number AS number,
           COALESCE(a.title, '') AS activity_title, COALESCE(c.name, '') AS class_name
    FROM service_records r
    LEFT JOIN volunteers v ON v.id = r.volunteer_id
    LEFT JOIN people p ON p.id = r.person_id
    LEFT JOIN activities a ON a.id = r.activity_id AND r.activity_id != ''
    LEFT JOIN classes c ON c.id = r.class_id AND r.class_id != ''
"""


def _record_index(f: RecordFilter) -> str:
    """The index that serves this filter in date order. Named explicitly: station files have no
    ANALYZE statistics, and without them SQLite sometimes walks the wrong index (seen: 400 ms
    instead of 1 ms for one volunteer's records among 100,000)."""
    if f.volunteer_id:
        return "service_records_volunteer"
    if f.activity_id:
        return "service_records_activity"
    if f.status:
        return "service_records_state"
    return "service_records_day"


def _has_index(store: Store, name: str) -> bool:
    return (
        store.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (name,)
        ).fetchone()
        is not None
    )


def record_rows(
    store: Store, f: RecordFilter, *, limit: int | None = None, ascending: bool = False
) -> list[dict[str, Any]]:
    """Records with the volunteer's name and the linked activity/class title, newest first."""
    where, params = _record_where(f)
    order = "ASC" if ascending else "DESC"
    index = _record_index(f)
    # A database made by a development build before the index existed keeps working (unhinted).
    hint = f" INDEXED BY {index}" if _has_index(store, index) else ""
    select = RECORD_SELECT.replace("FROM service_records r", f"FROM service_records r{hint}")
    sql = f"{select} WHERE {where} ORDER BY r.date {order}, r.id {order}"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return store.query(sql, params)


def record_count(store: Store, f: RecordFilter) -> int:
    where, params = _record_where(f)
    join = "LEFT JOIN people p ON p.id = r.person_id" if f.text.strip() else ""
    return store.conn.execute(
        f"SELECT count(*) FROM service_records r {join} WHERE {where}", params
    ).fetchone()[0]


def record_ids_of_activity(store: Store, activity_id: str) -> dict[str, str]:
    """``{volunteer_id: record_id}`` of the records already linked to an activity (bulk entry)."""
    return {
        r[0]: r[1]
        for r in store.conn.execute(
            "SELECT volunteer_id, id FROM service_records WHERE activity_id = ? AND deleted = 0",
            (activity_id,),
        )
    }


# -- totals --------------------------------------------------------------------------------
def verified_by_month(store: Store, volunteer_id: str) -> dict[str, float]:
    """``{"YYYY-MM": verified hours}`` of one volunteer."""
    return {
        r[0]: float(r[1])
        for r in store.conn.execute(
            "SELECT substr(date, 1, 7) AS m, SUM(hours) FROM service_records"
            " WHERE volunteer_id = ? AND status = 'verified' AND deleted = 0 GROUP BY m ORDER BY m",
            (volunteer_id,),
        )
    }


def verified_totals(
    store: Store, *, before: str | None = None, until: str | None = None
) -> dict[str, float]:
    """``{volunteer_id: verified hours}`` with service date < ``before`` / ≤ ``until`` when
    given."""
    clauses = ["status = 'verified'", "deleted = 0"]
    params: list[Any] = []
    if before:
        clauses.append("date < ?")
        params.append(before)
    if until:
        clauses.append("date <= ?")
        params.append(until)
    where = " AND ".join(clauses)
    sql = (
        f"SELECT volunteer_id, SUM(hours) FROM service_records WHERE {where} GROUP BY volunteer_id"
    )
    return {r[0]: float(r[1]) for r in store.conn.execute(sql, params)}


def verified_by_volunteer_month(store: Store, year: int) -> dict[str, dict[int, float]]:
    """``{volunteer_id: {month: verified hours}}`` in ``year``."""
    out: dict[str, dict[int, float]] = {}
    for vid, month, hours in store.conn.execute(
        "SELECT volunteer_id, CAST(substr(date, 6, 2) AS INTEGER), SUM(hours) FROM service_records"
        " WHERE status = 'verified' AND deleted = 0 AND date >= ? AND date < ? GROUP BY 1, 2",
        (f"{year:04d}-01-01", f"{year + 1:04d}-01-01"),
    ):
        out.setdefault(vid, {})[month] = float(hours)
    return out


# -- corrections ---------------------------------------------------------------------------
def corrections_of(store: Store, record_id: str) -> list[dict[str, Any]]:
    """The correction requests of one record, oldest first (its history)."""
    rows = store.conn.execute(
        "SELECT * FROM service_corrections WHERE record_id = ? AND deleted = 0 ORDER BY updated_at",
        (record_id,),
    )
    return [decode_row("service_corrections", r) for r in rows]


def pending_corrections(store: Store) -> list[dict[str, Any]]:
    """Correction requests waiting for a decision, with the volunteer's name and record date."""
    rows = store.conn.execute(
        """SELECT c.*, p.name AS name, r.date AS record_date, r.hours AS record_hours
           FROM service_corrections c
           JOIN service_records r ON r.id = c.record_id
           LEFT JOIN people p ON p.id = r.person_id
           WHERE c.status = 'requested' AND c.deleted = 0 ORDER BY c.updated_at"""
    )
    return [decode_row("service_corrections", r) for r in rows]


def has_open_correction(store: Store, record_id: str) -> bool:
    return (
        store.conn.execute(
            "SELECT 1 FROM service_corrections WHERE record_id = ? AND status = 'requested'"
            " AND deleted = 0 LIMIT 1",
            (record_id,),
        ).fetchone()
        is not None
    )


def first_verified_by(store: Store, recorder: str, since: str) -> dict[str, Any] | None:
    """The earliest verified record (``id, hours``) since ``since`` recorded by ``recorder``."""
    rows = store.query(
        "SELECT id, hours FROM service_records WHERE status = 'verified' AND deleted = 0"
        " AND date >= ? AND recorded_by = ? ORDER BY date, id LIMIT 1",
        (since, recorder),
    )
    return rows[0] if rows else None
