"""The web pages' figures kept pre-aggregated: ``srv_figures`` (migration 5) holds, per station
and indicator, the sum of each day, month and year of what the records add
(:mod:`pzh_core.indicators.daily`, the figures' own conditions grouped by day).

- **Kept in step**: :func:`after_write` runs in the transaction of every pushed batch and every
  server write; it adds what new activities add on their days, recomputes the DAYS every other
  row touched for the indicators kept by day and adds their difference (:func:`redo_days`),
  and recomputes the months or years of the others (a stock such as ``volunteers_active``
  over all time), writing only the rows that changed; a row whose write changes nothing a
  figure reads is passed over (:mod:`.figure_spans` says which are which, and why).
- **Read**: :func:`year_values` gives a year's figures as of any day from a few rows per
  station: the year's row, less the months after the cutoff's month and the days after the
  cutoff in it (records dated ahead: planned sessions).
- **Rebuilt and verified**: :func:`rebuild` (``pzh-sync-server admin rebuild-figures``, after a
  definition changes) recomputes everything; :func:`verify` compares the figures read from here
  with the full recomputation by the definitions, for every station.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from pzh_core import indicators
from pzh_core.indicators.daily import DAILY, FAR, month_days, stock_days, year_days
from pzh_core.period import Period
from pzh_core.queries import Db
from sync.server.db.conn import Conn
from sync.server.db.figure_spans import (
    ADDS_NEW,
    BY_YEAR,
    DATED,
    FLOW,
    NO_DAY,
    STOCK,
    YEAR,
    DaysOf,
    Key,
    Spans,
    added,
    db_of,
    moves_figures,
    touched,
    year_of,
)


def _rows_of(days: Mapping[tuple[str, str], Any], key: str) -> dict[Key, Any]:
    """Day, month and year rows (``(station, key, grain, span)``) of ``{(station, day): value}``."""
    out: dict[Key, Any] = {}
    for (sid, day), value in days.items():
        day = day or NO_DAY
        for grain, span in (("d", day), ("m", day[:7]), ("y", day[:4])):
            k = (sid, key, grain, span)
            out[k] = out.get(k, 0) + value
    return {k: v for k, v in out.items() if v}


_UPSERT = (  # head and tail of Conn.insert_many
    "INSERT INTO srv_figures (station_id, key, grain, span, value)",
    " ON CONFLICT (station_id, key, grain, span) DO UPDATE SET value = excluded.value",
)
_DELETE = "DELETE FROM srv_figures WHERE station_id = ? AND key = ? AND grain = ? AND span = ?"


def _store(c: Conn, station: str, keys: Iterable[str], lo: str, hi: str, new: dict[Key, Any]):
    """Make the station's rows of ``keys`` with a span in [lo, hi) equal ``new``."""
    keys = sorted(keys)
    marks = ",".join("?" * len(keys))
    old = {
        (station, r[0], r[1], r[2]): r[3]
        for r in c.all(
            "SELECT key, grain, span, value FROM srv_figures WHERE station_id = ?"
            f" AND key IN ({marks}) AND span >= ? AND span < ?",
            (station, *keys, lo, hi),
        )
    }
    c.executemany(_DELETE, [k for k in old if k not in new])
    c.insert_many(_UPSERT[0], [(*k, v) for k, v in new.items() if old.get(k) != v], _UPSERT[1])


def refresh(c: Conn, station: str, spans: Mapping[tuple[int, int], set[str]], stocks: set[str]):
    """Recompute the station's ``{(year, month): keys}`` (month 0: the whole year; a month's
    year row is then the sum of its month rows) and its ``stocks``."""
    db = db_of(c)
    whole = {y: keys for (y, m), keys in spans.items() if m == 0}
    sum_up: dict[int, set[str]] = {}
    for (year, month), keys in sorted(spans.items()):
        if month == 0:
            new: dict[Key, Any] = {}
            for key in keys:
                new.update(_rows_of(year_days(db, key, [station], year), key))
            _store(c, station, keys, str(year), str(year + 1), new)
            continue
        keys = keys - whole.get(year, set())
        if not keys:
            continue
        new = {}
        for key in keys:
            days = month_days(db, key, [station], year, month)
            new.update({k: v for k, v in _rows_of(days, key).items() if k[2] != "y"})
        span = f"{year}-{month:02d}"
        _store(c, station, keys, span, span + "~", new)
        sum_up.setdefault(year, set()).update(keys)
    for year, keys in sum_up.items():
        _sum_up(c, station, sorted(keys), {str(year)}, "m")
    for key in stocks:
        _store(c, station, [key], "", "~", _rows_of(stock_days(db, key, [station]), key))


def _add(c: Conn, station: str, delta: dict[Key, Any]) -> None:
    """Add ``delta`` to the station's figure rows (a row that comes to 0 goes, as in _rows_of)."""
    keys, spans = sorted({k[1] for k in delta}), sorted({k[3] for k in delta})
    old = {
        (station, r[0], r[1], r[2]): r[3]
        for r in c.all(
            "SELECT key, grain, span, value FROM srv_figures WHERE station_id = ?"
            f" AND key IN ({','.join('?' * len(keys))}) AND span IN ({','.join('?' * len(spans))})",
            (station, *keys, *spans),
        )
    }
    new = {k: old.get(k, 0) + v for k, v in delta.items()}
    c.executemany(_DELETE, [k for k, v in new.items() if not v and k in old])
    c.insert_many(_UPSERT[0], [(*k, v) for k, v in new.items() if v], _UPSERT[1])


def after_write(c: Conn, station: str, rows: Mapping[tuple[str, str], Any]) -> None:
    """Keep the station's figures in step with ``rows`` just written (same transaction): new
    activities added (:func:`figure_spans.added`), the days of the figures kept by day
    recomputed and their difference added (:func:`redo_days`), the spans every other row
    touches recomputed; rows that change nothing a figure reads are passed over."""
    new: list[str] = []  # new activities: their amounts added
    dates: set[str | None] = set()  # their days (a new row's values are all it has)
    other: dict[tuple[str, str], Any] = {}  # every other row that moves a figure
    for k, state in rows.items():
        if not state.values:
            continue
        if k[0] in ADDS_NEW and not state.exists:
            new.append(k[1])
            dates.add(state.values.get("date"))
        elif moves_figures(k[0], state):
            other[k] = state
    tables = {table for table, _ in other}  # (new activities move no stock: ADDS_NEW)
    stocks = {k for k in STOCK if tables & set(DAILY[k].tables)}
    spans, days = touched(c, station, other) if other else ({}, {})
    delta = added(c, station, new, dates, spans) if new else {}
    refresh(c, station, spans, stocks)  # (no row of the keys added or kept by day)
    redo_days(c, station, days, spans, delta)


def redo_days(c: Conn, station: str, days: DaysOf, spans: Spans, delta: dict[Key, Any]) -> None:
    """Recompute ``{key: days}`` of the keys kept by day (``on_days``: a day's value is that
    day's records' alone), except in ``spans`` (recomputed whole): a count adds each day's
    difference to its month and year rows, with ``delta`` (what new activities add, not yet
    written: one write for both); hours (floats) write their days, then their months and years
    are summed again from them (no rounding error piles up)."""
    wanted: dict[str, dict[int, list[str]]] = {}  # key -> year -> days
    years = {day: year_of(day) for found in days.values() for day in found}
    for key, found in days.items():
        for day in sorted(found):
            year = years[day]
            if year is not None and key not in spans.get((year, 0), ()):
                wanted.setdefault(key, {}).setdefault(year, []).append(day)
    if not wanted:
        if delta:
            _add(c, station, delta)
        return
    keys = sorted(wanted)
    listed = sorted({d for by in wanted.values() for on in by.values() for d in on})
    old = {
        (r[0], r[1]): r[2]
        for r in c.all(
            "SELECT key, span, value FROM srv_figures WHERE station_id = ? AND grain = 'd'"
            f" AND key IN ({_marks(keys)}) AND span IN ({_marks(listed)})",
            (station, *keys, *listed),
        )
    }
    db = db_of(c)
    floats: dict[Key, Any] = {}
    for key, by_year in wanted.items():
        on_days = DAILY[key].on_days
        assert on_days is not None
        for year, on in by_year.items():
            new = on_days(db, [station], Period(year, None, FAR), on)
            for day in on:
                was = old.get((key, day), 0) + delta.get((station, key, "d", day), 0)
                now = new.get((station, day), 0)
                if now == was:
                    continue
                if not DAILY[key].integer:
                    floats[(station, key, "d", day)] = now
                    continue
                for grain, span in (("d", day), ("m", day[:7]), ("y", day[:4])):
                    k = (station, key, grain, span)
                    delta[k] = delta.get(k, 0) + now - was
    if delta:
        _add(c, station, delta)
    if floats:
        _set_days(c, station, floats)


def _marks(values: Iterable[Any]) -> str:
    return ",".join("?" * len(list(values)))


def _set_days(c: Conn, station: str, days: dict[Key, Any]) -> None:
    """Write these day rows (0: gone), then sum their months and years again from them."""
    c.executemany(_DELETE, [k for k, v in days.items() if not v])
    c.insert_many(_UPSERT[0], [(*k, v) for k, v in days.items() if v], _UPSERT[1])
    keys = sorted({k[1] for k in days})
    _sum_up(c, station, keys, {k[3][:7] for k in days}, "d")
    _sum_up(c, station, keys, {k[3][:4] for k in days}, "m")


def _sum_up(c: Conn, station: str, keys: list[str], spans: set[str], below: str) -> None:
    """Make the station's rows of ``keys`` for ``spans`` (months when ``below`` is ``d``, years
    when ``m``; all of one length) the sums of their rows of grain ``below``."""
    n, grain = (7, "m") if below == "d" else (4, "y")
    sums = c.all(
        f"SELECT key, substr(span, 1, {n}), SUM(value) FROM srv_figures WHERE station_id = ?"
        f" AND grain = ? AND key IN ({_marks(keys)}) AND span >= ? AND span < ?"
        f" GROUP BY key, substr(span, 1, {n})",
        (station, below, *keys, min(spans), max(spans) + "~"),
    )
    new = {(station, k, grain, span): v for k, span, v in sums if span in spans and v}
    listed = sorted(spans)
    old = {
        (station, r[0], grain, r[1]): r[2]
        for r in c.all(
            "SELECT key, span, value FROM srv_figures WHERE station_id = ? AND grain = ?"
            f" AND key IN ({_marks(keys)}) AND span IN ({_marks(listed)})",
            (station, grain, *keys, *listed),
        )
    }
    c.executemany(_DELETE, [k for k in old if k not in new])
    c.insert_many(_UPSERT[0], [(*k, v) for k, v in new.items() if old.get(k) != v], _UPSERT[1])


# -- reading -------------------------------------------------------------------------------------
def year_query(period: Period, keys: Iterable[str] = DAILY) -> tuple[str, list[Any]]:
    """The SQL whose rows ``(station_id, key, value)`` add up, per station and key, to the
    figures of ``keys`` for a year period (every station: callers filter or group them): the
    year's row (a stock: every year's up to the cutoff's), less the months after the cutoff's
    month and the days after the cutoff in it."""
    if period.month is not None:
        raise ValueError("the aggregates answer year periods")
    wanted = set(keys)
    cutoff = period.cutoff
    cy, cm = cutoff[:4], cutoff[:7]
    month_end = Period(int(cy), int(cm[5:]), dt.date.max).end
    # A year not begun by its cutoff has no flows yet; the cutoff is then in an earlier year.
    flows = tuple(k for k in FLOW if k in wanted) if cutoff >= period.start else ()
    stocks = tuple(k for k in STOCK if k in wanted)
    moving = flows + stocks
    year_keys = flows + tuple(k for k in YEAR if k in wanted)

    def marks(keys: tuple[str, ...]) -> str:
        return ",".join("?" * len(keys)) or "NULL"

    sql = f"""
    SELECT station_id, key, value FROM srv_figures
        WHERE grain = 'y' AND key IN ({marks(year_keys)}) AND span = ?
    UNION ALL SELECT station_id, key, value FROM srv_figures
        WHERE grain = 'y' AND key IN ({marks(stocks)}) AND span <= ?
    UNION ALL SELECT station_id, key, -value FROM srv_figures
        WHERE grain = 'm' AND key IN ({marks(moving)}) AND span > ? AND span <= ?
    UNION ALL SELECT station_id, key, -value FROM srv_figures
        WHERE grain = 'd' AND key IN ({marks(moving)}) AND span > ? AND span <= ?"""
    params = [*year_keys, str(period.year), *stocks, cy, *moving, cm, f"{cy}-12"]
    params += [*moving, cutoff, month_end]
    return sql, params


def year_values(db: Db, stations: Iterable[str], period: Period) -> dict[str, dict[str, Any]]:
    """``{key: {station: value}}`` of every :data:`DAILY` figure for a year period, read from the
    aggregates (:func:`year_query`; the same values as ``indicators.compute(...,
    by_station=True)``)."""
    ids = set(stations)
    sql, params = year_query(period)
    out: dict[str, dict[str, Any]] = {k: dict.fromkeys(ids, 0) for k in DAILY}
    for sid, key, value in db.tuples(sql, params):
        if sid in ids:
            out[key][sid] += value
    return {k: {sid: fixed(k, v) for sid, v in by.items()} for k, by in out.items()}


def fixed(key: str, value: Any) -> Any:
    """A sum of a figure as its definition gives it: a whole number for a count."""
    return round(value) if DAILY[key].integer else float(value)


# -- rebuilding and verifying --------------------------------------------------------------------
def rebuild(c: Conn) -> int:
    """Recompute every station's figures (after a definition changes): all stations at once,
    a year and an indicator at a time. Returns the rows written."""
    db = db_of(c)
    stations = [r[0] for r in c.all("SELECT id FROM srv_stations ORDER BY id")]
    years: set[int] = set()
    for table, field in DATED.items():
        found = c.all(f"SELECT DISTINCT substr({field}, 1, 4) FROM {table}")
        years |= {y for (d,) in found if (y := year_of(d)) is not None}
    found = c.all("SELECT DISTINCT year FROM annual_facts")
    years |= {y for (d,) in found if (y := year_of(d)) is not None}
    c.execute("DELETE FROM srv_figures")
    written = 0
    for key in DAILY:
        rows: dict[Key, Any] = {}
        if key in STOCK:
            rows = _rows_of(stock_days(db, key, stations), key) if stations else {}
        for year in sorted(years) if key in BY_YEAR and stations else ():
            rows.update(_rows_of(year_days(db, key, stations, year), key))
        c.insert_many(_UPSERT[0], [(*k, v) for k, v in rows.items()], _UPSERT[1])
        written += len(rows)
    return written


def differences(
    db: Db, stations: list[str], period: Period, *, tolerance: float = 1e-6
) -> list[tuple[str, str, Any, Any]]:
    """``(key, station, aggregated, recomputed)`` wherever the aggregates differ from the full
    recomputation by the definitions (hours to ``tolerance``: sums of floats in another order)."""
    read = year_values(db, stations, period)
    full = indicators.compute(db, stations, period, list(DAILY), by_station=True)
    out = []
    for key in DAILY:
        for sid in stations:
            a, b = read[key].get(sid, 0), full[key].get(sid, 0)
            if a != b and not (isinstance(b, float) and abs(a - b) <= tolerance):
                out.append((key, sid, a, b))
    return out


def verify(c: Conn, db: Db, today: dt.date) -> dict[int, list[tuple[str, str, Any, Any]]]:
    """:func:`differences` for every year with records, seen on ``today``: ``{year: [...]}``."""
    stations = [r[0] for r in c.all("SELECT id FROM srv_stations ORDER BY id")]
    spans = c.all("SELECT DISTINCT span FROM srv_figures WHERE grain = 'y'")
    years = {y for (span,) in spans if (y := year_of(span)) is not None} | {today.year}
    return {y: differences(db, stations, Period(y, None, today)) for y in sorted(years)}
