"""Which of the pre-aggregated figures (:mod:`sync.server.db.aggregates`) a write moves: whether
a row written can move any (:func:`moves_figures`), the days and spans to recompute
(:func:`touched`) and, for new activities, the amounts to add (:func:`added`).

A figure whose day depends on that day's records alone (``on_days``: activities, sessions held,
trainee-visits, verified hours) or on a class's first held session (``class_start``: every day
of the class's sessions is a candidate) is recomputed by DAY and its difference added; the
others by span: 本期服务的志愿者 (a volunteer's first verified service of the year: the year),
the volunteers stock (all time), the population (its year), and every year for a person
deleted or restored."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pzh_core.indicators.daily import DAILY, FAR, READS
from pzh_core.period import Period
from pzh_core.queries import POSTGRES as PG_QUERIES
from pzh_core.queries import SQLITE as SQLITE_QUERIES
from pzh_core.queries import Db
from pzh_core.queries import daily as daily_q
from sync.server.db.conn import Conn

FLOW = tuple(k for k, d in DAILY.items() if d.kind == "flow")
STOCK = tuple(k for k, d in DAILY.items() if d.kind == "stock")
YEAR = tuple(k for k, d in DAILY.items() if d.kind == "year")
BY_YEAR = FLOW + YEAR  # recomputed a year at a time
NO_DAY = "0000-00-00"  # the day of a record whose day is not known (a join date left empty)
# Each table's field that dates its rows (the years a change to them touches).
DATED = {"activities": "date", "sessions": "date", "service_records": "date"}

Key = tuple[str, str, str, str]  # (station, indicator, grain y|m|d, span)
DaysOf = dict[str, set[str]]  # key -> days to recompute (the keys kept by day)
# Each table's keys recomputed a year (or month) at a time when its rows change: those kept
# by day (``on_days``: the days its rows touch recomputed) and the others (their spans).
_TABLES = {t for d in DAILY.values() for t in d.tables}
BY_YEAR_OF = {t: [k for k in BY_YEAR if t in DAILY[k].tables] for t in _TABLES}
BY_DAY_OF = {t: [k for k in keys if DAILY[k].on_days] for t, keys in BY_YEAR_OF.items()}
SPANNED_OF = {t: [k for k in keys if not DAILY[k].on_days] for t, keys in BY_YEAR_OF.items()}
STARTS = [k for k in BY_YEAR if DAILY[k].on_days and DAILY[k].class_start]  # a class's start


def db_of(c: Conn) -> Db:
    return Db(c.raw, PG_QUERIES if c.dialect.postgres else SQLITE_QUERIES)


Spans = dict[tuple[int, int], set[str]]  # (year, month or 0 for the whole year) -> keys


# -- what a write touches ------------------------------------------------------------------------
def year_of(day: Any) -> int | None:
    """The year of an ISO day, when a period can hold it (1900–2200), else None."""
    text = str(day or "")
    year = int(text[:4]) if len(text) >= 4 and text[:4].isdigit() else 0
    return year if 1900 <= year <= 2200 else None


def span_of(day: Any) -> tuple[int, int] | None:
    """``(year, month)`` of an ISO day (month 0 when it has none)."""
    year = year_of(day)
    if year is None:
        return None
    text = str(day)
    month = int(text[5:7]) if len(text) >= 7 and text[5:7].isdigit() else 0
    return year, month if 1 <= month <= 12 else 0


def _spans_of(c: Conn, sql: str, ids: Iterable[Any]) -> set[tuple[int, int]]:
    ids = sorted({i for i in ids if i})
    if not ids:
        return set()
    marks = ",".join("?" * len(ids))
    return {s for (d,) in c.all(sql.format(marks=marks), ids) if (s := span_of(d)) is not None}


def _all_years(c: Conn, station: str) -> set[int]:
    found = {y for y, _ in _spans_of(
        c, "SELECT DISTINCT year FROM annual_facts WHERE station_id IN ({marks})", [station]
    )}  # fmt: skip
    for table in DATED:
        found |= {y for y, _ in _spans_of(
            c, f"SELECT DISTINCT substr(date, 1, 4) FROM {table} WHERE station_id IN ({{marks}})",
            [station],
        )}  # fmt: skip
    return found


def moves_figures(table: str, state: Any) -> bool:
    """Whether a row written can move a figure: a new row (a new person only when deleted),
    or one whose columns the figures read (``daily.READS``) changed, or whose old values are
    unknown. Tables not listed there: every write (none of a table no figure reads)."""
    if table not in _TABLES:
        return False
    reads = READS.get(table)
    if reads is None:
        return True
    if not state.exists:
        return table != "people" or bool(state.values.get("deleted"))
    if not state.base:
        return True
    now = state.current()
    return any(state.base.get(f) != now.get(f) for f in reads)


def touched(c: Conn, station: str, rows: Mapping[tuple[str, str], Any]) -> tuple[Spans, DaysOf]:
    """What to recompute after ``rows`` (``(table, id) -> RowState``, each :func:`moves_figures`)
    were written: ``{(year, month): keys}`` and, for the keys kept by day (``on_days``),
    ``{key: days}``. The old and new days of the dated rows, the days of the sessions of a mark
    or a class changed, of the services of a volunteer changed; for 举办训练班班次 every month
    of a class whose sessions or row changed (its first held session may move); every year for
    a person or a server write whose old values are unknown. A key whose days are not
    ``monthly`` is recomputed for the whole year."""
    spans: Spans = {}
    days: DaysOf = {}
    ids: dict[str, set[Any]] = {"classes": set(), "sessions": set(), "volunteers": set()}
    started: set[Any] = set()  # classes whose first held session may move
    every: set[int] | None = None  # the station's years with records
    dated: dict[str, set[Any]] = {}  # each dated table's old and new days

    def add(found: Iterable[tuple[int, int] | None], keys: Iterable[str]) -> None:
        for span in found:
            if span is None:
                continue
            for key in keys:
                month = span[1] if DAILY[key].monthly else 0
                spans.setdefault((span[0], month), set()).add(key)

    def on(found: Iterable[Any], keys: Iterable[str]) -> None:
        known = {d for d in found if year_of(d) is not None}
        for key in keys:
            days.setdefault(key, set()).update(known)

    for (table, row_id), state in rows.items():
        before = state.base
        now = {**before, **state.values} if before else state.values  # state.current()
        if table == "people" or (state.exists and not before):
            every = every if every is not None else _all_years(c, station)  # once a batch
            add(((y, 0) for y in every), BY_YEAR_OF[table])
        elif table in DATED:
            dated.setdefault(table, set()).update((before.get(DATED[table]), now.get(DATED[table])))
        elif table == "annual_facts":
            pair = (year_of(before.get("year")), year_of(now.get("year")))
            add(((y, 0) for y in pair if y is not None), BY_YEAR_OF[table])
        if table == "sessions":
            started |= {before.get("class_id"), now.get("class_id")}
        elif table == "attendance":
            ids["sessions"] |= {before.get("session_id"), now.get("session_id")}
        elif table in ids:
            ids[table].add(row_id)
    for table, found_days in dated.items():  # each table's days, added once
        add(map(span_of, found_days), SPANNED_OF[table])
        on(found_days, BY_DAY_OF[table])
    _related(c, ids, started | ids["classes"], add, on)
    return _merged(spans), days


def _merged(spans: Spans, most: int = 2) -> Spans:
    """``spans`` with a key's months of a year made the whole year where it has more than
    ``most`` of them: one query for the year instead of one a month (a class's sessions)."""
    months: dict[tuple[int, str], int] = {}
    for (year, month), keys in spans.items():
        for key in keys if month else ():
            months[(year, key)] = months.get((year, key), 0) + 1
    out: Spans = {}
    for (year, month), keys in spans.items():
        for key in keys:
            whole = month == 0 or months[(year, key)] > most
            out.setdefault((year, 0 if whole else month), set()).add(key)
    return out


def _related(
    c: Conn,
    ids: dict[str, set[Any]],
    started: set[Any],
    add: Callable[[Iterable[tuple[int, int] | None], Iterable[str]], None],
    on: Callable[[Iterable[Any], Iterable[str]], None],
) -> None:
    """The days and spans of the rows a write moves through another: every session of a class
    whose start may move (``started``) or that was written (``ids["classes"]``), the session of
    each mark written, every service of a volunteer written."""
    if started:
        sql = "SELECT class_id, date FROM sessions WHERE class_id IN ({marks})"
        found = _dates(c, sql, started)
        add(map(span_of, found.values()), SPANNED_OF["sessions"])
        on(found.values(), STARTS)
        on((d for k, d in found.items() if k[0] in ids["classes"]), BY_DAY_OF["classes"])
    found = _dates(c, "SELECT id, date FROM sessions WHERE id IN ({marks})", ids["sessions"])
    on(found.values(), BY_DAY_OF["attendance"])
    sql = "SELECT volunteer_id, date FROM service_records WHERE volunteer_id IN ({marks})"
    found = _dates(c, sql, ids["volunteers"])
    add(map(span_of, found.values()), SPANNED_OF["volunteers"])
    on(found.values(), BY_DAY_OF["volunteers"])


def _dates(c: Conn, sql: str, ids: Iterable[Any]) -> dict[tuple[Any, int], Any]:
    """``{(id, n): date}`` of ``sql``'s rows ``(id, date)`` for ``ids``."""
    listed = sorted({i for i in ids if i})
    if not listed:
        return {}
    rows = c.all(sql.format(marks=",".join("?" * len(listed))), listed)
    return {(r[0], n): r[1] for n, r in enumerate(rows)}


# -- new activities: added, not recomputed ------------------------------------------------------
# A NEW activity (not in the table before the batch) moves each figure activities move by its
# own amount on its own day and nothing else: every such figure's days are a sum over
# activities, each counted by its own columns alone (the definitions' ``activity_part``:
# the four activity figures, and 举办训练班班次's one-off 培训 — its classes' part reads no
# activity), all whole numbers (so a sum is exact in any order) and none a stock. Its amounts
# are ADDED to the day, month and year rows without any query of the days. Not so, hence
# recomputed (by day where the key has ``on_days``, see :func:`touched`): an edited or deleted
# activity (its old day loses what it added), and every row of the other tables — a session or
# a mark (a class counts on its FIRST held session: a new session moves another's day), a
# service (a volunteer serves on the day of their first service; hours count for live
# volunteers), volunteers, people (joined to marks and volunteers), annual facts (replaced).
ADDED = tuple(BY_YEAR_OF["activities"])
_PARTS = [f for k in ADDED if (f := DAILY[k].activity_part) is not None]
ADDS_NEW = (  # the fast path holds only while every figure an activity moves is such a sum
    {"activities"}
    if len(_PARTS) == len(ADDED)
    and all(DAILY[k].integer and DAILY[k].monthly for k in ADDED)
    and not any("activities" in DAILY[k].tables for k in STOCK)
    else set()
)


def added(
    c: Conn, station: str, ids: list[str], dates: Iterable[Any], spans: Spans
) -> dict[Key, Any]:
    """What the new activities ``ids`` (of these ``dates``) add to the station's figure rows,
    day by day (their month and year too), except in ``spans``: :func:`aggregates.refresh`
    recomputes those next (reading the new rows too) and would overwrite them anyway."""
    # each year's query counts that year's rows alone
    years = sorted({y for d in dates if (y := year_of(d)) is not None})
    db = db_of(c)
    parts = [f(db) for f in _PARTS]
    scopes = list(dict.fromkeys(scope for scope, _ in parts))  # each scope's test once a row
    columns = [(scopes.index(scope), measure == "count") for scope, measure in parts]
    by_day: dict[tuple[str, str], Any] = {}  # (key, day) -> what it adds
    redone: dict[str, set[str]] = {}  # each month's keys recomputed whole
    for year in years:
        period = Period(year, None, FAR)  # as year_days: future-dated activities included
        for day, flags, number, attendance in daily_q.activities_added(
            db, scopes, station, period, ids
        ):
            skip = redone.get(day[:7])
            if skip is None:
                month = (span_of(day) or (year, 0))[1]
                skip = spans.get((year, 0), set()) | spans.get((year, month), set())
                redone[day[:7]] = skip
            for key, (i, count) in zip(ADDED, columns, strict=True):
                if flags[i] and key not in skip and (value := number if count else attendance):
                    by_day[(key, day)] = by_day.get((key, day), 0) + value
    delta: dict[Key, Any] = {}
    for (key, day), value in by_day.items():
        for grain, span in (("d", day), ("m", day[:7]), ("y", day[:4])):
            k = (station, key, grain, span)
            delta[k] = delta.get(k, 0) + value
    return delta
