"""``pzh-sync-server admin`` commands of issue 15: ``import-bundle`` (a station PC's USB bundle,
applied like a sync; writes the signed return bundle), ``enrollment-file`` (a code and the
server's key for a PC without network), ``photo-limit`` (a station's stored photo bytes) and
``photo-budget`` (the city setting ``photo_day_mb``: the MB a station may send per day, for the
city, a county or a station; delivered to the desks as ``city_settings`` rows, decision 3)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from pzh_core import photos
from sync.server.storage import Storage

COMMANDS = ("import-bundle", "enrollment-file", "photo-limit", "photo-budget")


def add_parsers(
    asub: argparse._SubParsersAction, add_data_dir: Callable[[argparse.ArgumentParser], None]
) -> None:
    p = asub.add_parser(
        "import-bundle",
        help="apply a station PC's USB bundle like a sync; writes the return bundle",
    )
    p.add_argument("file", help="the bundle (.pzhbundle) from the station PC")
    p.add_argument("-o", "--output", help="the return bundle to write (default: beside the input)")
    add_data_dir(p)
    p = asub.add_parser(
        "enrollment-file", help="issue a code and write an enrollment file for a PC without network"
    )
    p.add_argument("--station", required=True, help="station id")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--expires-days", type=int, default=90)
    p.add_argument("--server-url", default="", help="the address PCs use when they get a network")
    add_data_dir(p)
    p = asub.add_parser("photo-limit", help="the photo bytes a station may keep on the server")
    p.add_argument("--station", required=True, help="station id")
    p.add_argument("--station-mb", type=float, help="stored MB allowed (omit: server default)")
    add_data_dir(p)
    p = asub.add_parser(
        "photo-budget",
        help="MB of photos a station may send per day (city setting photo_day_mb)",
    )
    p.add_argument("--day-mb", type=float, required=True, help="MB per day over the network")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--county", help="for the stations of one county (default: the city)")
    where.add_argument("--station", help="for one station")
    add_data_dir(p)


def set_day_budget(
    storage: Storage, mb: float, *, county: str | None = None, station_id: str | None = None
) -> int:
    """Write the setting into every station of its scope (the feed is per station); returns
    how many stations got it.

    :raises ValueError: a negative or absurd number (Chinese message).
    """
    from sync.server.definitions import setting_id

    if not 0 <= mb <= 100_000:
        raise ValueError("每天的照片流量应在 0 到 100000 MB 之间。")
    stations = storage.list_stations()
    if station_id:
        scope, targets = station_id, [s.id for s in stations if s.id == station_id]
        if not targets:
            raise ValueError(f"没有这个文化站：{station_id}")
    elif county:
        scope, targets = county, [s.id for s in stations if s.county == county]
    else:
        scope, targets = "city", [s.id for s in stations]
    value = {"v": int(mb) if float(mb).is_integer() else mb}
    for sid in targets:
        storage.server_write(
            sid,
            "city_settings",
            setting_id(photos.DAY_SETTING, scope, sid),
            {"key": photos.DAY_SETTING, "scope": scope, "value": value, "deleted": False},
        )
    return len(targets)


def run(args: argparse.Namespace, data_dir: Path, database: str | Path) -> int:
    from pzh_core import hlc
    from sync.server import admin, bundles
    from sync.server.bundle_keys import BundleKeys
    from sync.server.photo_api import open_store
    from sync.server.sql_storage import open_storage

    storage = open_storage(database)
    photo_store = open_store(storage, data_dir, hlc.wall_ms)
    try:
        cmd = args.admin_command
        if cmd == "import-bundle":
            keys = BundleKeys(storage.engine, data_dir, now_ms=hlc.wall_ms)
            src = Path(args.file)
            result = bundles.import_bundle(storage, photo_store, keys, src)
            out = Path(args.output) if args.output else src.with_name(src.stem + "-回执.pzhbundle")
            out.write_bytes(result.answer)
            print(
                f"已导入：新修改 {result.applied} 条（已有 {result.skipped} 条），"
                f"照片 {result.photos_stored} 个；"
                f"回执包含 {result.answer_changes} 条本站修改。"
            )
            for message in result.photos_refused:
                print(f"未收下的照片：{message}")
            print(out)
        elif cmd == "enrollment-file":
            keys = BundleKeys(storage.engine, data_dir, now_ms=hlc.wall_ms)
            code = admin.issue_code(storage, args.station, expires_days=args.expires_days)
            data = bundles.enrollment_file(storage, keys, code.code, args.station, args.server_url)
            Path(args.output).write_bytes(data)
            print(f"已写出登记文件（邀请码 {code.code}，一次有效）：")
            print(args.output)
        elif cmd == "photo-limit":
            if storage.get_station(args.station) is None:
                raise admin.AdminError(f"没有这个文化站：{args.station}")
            mb = 1024 * 1024
            wanted = args.station_mb
            photo_store.set_station_limit(
                args.station, int(wanted * mb) if wanted is not None else None
            )
            stored, day = photo_store.limits(args.station)
            print(f"照片上限：存储 {stored / mb:.0f} MB，每天 {day / mb:.0f} MB")
        elif cmd == "photo-budget":
            try:
                n = set_day_budget(
                    storage, args.day_mb, county=args.county, station_id=args.station
                )
            except ValueError as exc:
                raise admin.AdminError(str(exc)) from exc
            print(f"每天照片流量 {args.day_mb:g} MB：已写入 {n} 个文化站（下次同步时送达）。")
    except (bundles.ImportRefused, admin.AdminError) as exc:
        print(f"错误：{getattr(exc, 'message', exc)}", file=sys.stderr)
        return 2
    finally:
        photo_store.close()
        storage.close()
    return 0
