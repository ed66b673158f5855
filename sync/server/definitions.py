"""The city's definition file (口径) of the annual return: kept in the server's data dir as
``indicator-definitions.json`` (the shipped default until one is set), and written as the city
setting ``indicator_definitions`` into every station's replica by the server itself (decision 2:
the server writes as a device), so each desk receives it in its sync answer.

The feed is per station, so the setting is written once per station (id
``det_id("city_setting", key, "city", station_id)``); a station created later gets its copy
when it is created. One file, one definition for the whole city: city totals never mix 口径.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pzh_core import definitions as defs
from pzh_core.queries import annual as annual_q
from pzh_core.schema import det_id
from sync.server.storage import Storage

FILE_NAME = "indicator-definitions.json"
KEY = "indicator_definitions"


def file_path(data_dir: str | Path) -> Path:
    return Path(data_dir) / FILE_NAME


def current(data_dir: str | Path) -> defs.Definitions:
    """The definition the city uses: the data dir's file, else the shipped default."""
    path = file_path(data_dir)
    if not path.exists():
        return defs.default()
    return defs.parse(json.loads(path.read_text(encoding="utf-8")))


def set_file(data_dir: str | Path, source: str | Path) -> defs.Definitions:
    """Check a definition file and make it the city's (written atomically).

    :raises DefinitionError: with a Chinese message when the file cannot be used.
    """
    try:
        data = json.loads(Path(source).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise defs.DefinitionError(f"无法读取口径文件：{exc}") from exc
    parsed = defs.parse(data)
    target = file_path(data_dir)
    tmp = target.with_name(target.name + ".part")
    tmp.write_text(json.dumps(parsed.to_json(), ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(target)
    return parsed


def row_id(station_id: str) -> str:
    return setting_id(KEY, "city", station_id)


def publish(storage: Storage, data_dir: str | Path, *, station_ids: list[str] | None = None) -> int:
    """Write the city's definition into the stations' replicas where their copy differs. While
    the city uses the shipped default and a station has no copy, nothing is written: its desks
    ship the same default (a city that wants to pin its definition sets a file).

    :returns: how many stations got a new copy.
    """
    value: dict[str, Any] = current(data_dir).to_json()
    is_default = value == defs.default().to_json()
    ids = station_ids if station_ids is not None else [s.id for s in storage.list_stations()]
    written = 0
    db = storage.indicator_db()
    for sid in ids:
        rid = row_id(sid)
        have = annual_q.setting_copy(db, rid) if db is not None else None
        if have and not have["deleted"] and json.loads(have["value"] or "{}") == value:
            continue
        if not have and is_default:
            continue
        storage.server_write(
            sid,
            "city_settings",
            rid,
            {"key": KEY, "scope": "city", "value": value, "deleted": False},
        )
        written += 1
    return written


# -- the 表号 a county fills in (a county-scope setting) ------------------------------------------
FORM_NUMBER = "return_form_number"
MAX_FORM_NUMBER = 50


def setting_id(key: str, scope: str, station_id: str) -> str:
    return det_id("city_setting", key, scope, station_id)


def set_form_number(storage: Storage, county: str, text: str) -> int:
    """Write a county's 表号 into each of its stations (their desks print it on the return).

    :raises ValueError: with a Chinese message when the text is too long.
    """
    text = " ".join((text or "").split())
    if len(text) > MAX_FORM_NUMBER:
        raise ValueError(f"表号过长（最多{MAX_FORM_NUMBER}字）。")
    stations = [s.id for s in storage.list_stations() if s.county == county]
    for sid in stations:
        storage.server_write(
            sid,
            "city_settings",
            setting_id(FORM_NUMBER, county, sid),
            {"key": FORM_NUMBER, "scope": county, "value": {"v": text}, "deleted": False},
        )
    return len(stations)


def inherit(storage: Storage, station_id: str, county: str) -> int:
    """Give a new station the settings the city and its county set before it existed (photo
    budget, edit deadline, 表号, …: each is one copy per station, decision 3), as its own
    copies, so its desks get them with their first sync. The definition file is
    :func:`publish`'s. Returns how many were written."""
    db = storage.primary_db()
    if db is None:
        return 0
    written = 0
    for s in annual_q.settings_in_scopes(db, ["city", county]):
        if s["key"] == KEY:
            continue
        storage.server_write(
            station_id,
            "city_settings",
            setting_id(s["key"], s["scope"], station_id),
            {"key": s["key"], "scope": s["scope"], "value": s["value"], "deleted": False},
        )
        written += 1
    return written


def form_number(storage: Storage, county: str) -> str:
    """The 表号 a county set ("" when none)."""
    db = storage.indicator_db()
    for s in storage.list_stations():
        if s.county == county and db is not None:
            have = annual_q.setting_copy(db, setting_id(FORM_NUMBER, county, s.id))
            if have and not have["deleted"]:
                return str(json.loads(have["value"] or "{}").get("v", ""))
    return ""


# -- command line: pzh-sync-server admin show-definitions | set-definitions FILE ------------------
def add_parser(asub: Any, add_data_dir: Any) -> None:
    p = asub.add_parser("show-definitions", help="print the city's definition file (年报口径)")
    add_data_dir(p)
    p = asub.add_parser(
        "set-definitions",
        help="check a definition file, make it the city's and send it to every station",
    )
    p.add_argument("file", help="the definition file (JSON, see docs/indicators.md)")
    add_data_dir(p)


def run(args: Any, storage: Storage, data_dir: Path) -> int:
    """Run ``show-definitions`` / ``set-definitions``; returns the exit code."""
    import sys

    if args.admin_command == "set-definitions":
        try:
            set_file(data_dir, args.file)
        except defs.DefinitionError as exc:
            print(f"错误：{exc}", file=sys.stderr)
            return 2
        n = publish(storage, data_dir)
        print(f"已启用口径文件，已写入 {n} 个文化站（下次同步时送达）。")
    d = current(data_dir)
    print(d.describe())
    print(json.dumps(d.to_json(), ensure_ascii=False, indent=2))
    return 0
