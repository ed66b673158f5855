"""``pzh-sync-server admin`` commands of issue 15: ``import-bundle`` (a station PC's USB bundle,
applied like a sync; writes the signed return bundle), ``enrollment-file`` (a code and the
server's key for a PC without network) and ``photo-limit`` (a station's photo storage and daily
budget)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

COMMANDS = ("import-bundle", "enrollment-file", "photo-limit")


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
    p = asub.add_parser("photo-limit", help="a station's photo storage limit and daily budget")
    p.add_argument("--station", required=True, help="station id")
    p.add_argument("--station-mb", type=float, help="stored MB allowed (omit: server default)")
    p.add_argument("--day-mb", type=float, help="MB per day over the network (omit: default)")
    add_data_dir(p)


def run(args: argparse.Namespace, data_dir: Path) -> int:
    from pzh_core import hlc
    from sync.server import admin, bundles
    from sync.server.app import DB_NAME
    from sync.server.photo_api import open_store
    from sync.server.sqlite_bundle_keys import BundleKeys
    from sync.server.sqlite_storage import SQLiteStorage

    storage = SQLiteStorage(data_dir / DB_NAME)
    photo_store = open_store(data_dir, hlc.wall_ms)
    keys = BundleKeys(data_dir, now_ms=hlc.wall_ms)
    try:
        cmd = args.admin_command
        if cmd == "import-bundle":
            src = Path(args.file)
            result = bundles.import_bundle(storage, photo_store, keys, src)
            out = Path(args.output) if args.output else src.with_name(src.stem + "-回执.pzhbundle")
            out.write_bytes(result.answer)
            print(
                f"已导入：新修改 {result.applied} 条（已有 {result.skipped} 条），照片 {result.photos_stored} 个；"
                f"回执包含 {result.answer_changes} 条本站修改。"
            )
            for message in result.photos_refused:
                print(f"未收下的照片：{message}")
            print(out)
        elif cmd == "enrollment-file":
            code = admin.issue_code(storage, args.station, expires_days=args.expires_days)
            data = bundles.enrollment_file(storage, keys, code.code, args.station, args.server_url)
            Path(args.output).write_bytes(data)
            print(f"已写出登记文件（邀请码 {code.code}，一次有效）：")
            print(args.output)
        elif cmd == "photo-limit":
            if storage.get_station(args.station) is None:
                raise admin.AdminError(f"没有这个文化站：{args.station}")
            mb = 1024 * 1024
            photo_store.set_limits(
                args.station,
                station_bytes=int(args.station_mb * mb) if args.station_mb is not None else None,
                day_bytes=int(args.day_mb * mb) if args.day_mb is not None else None,
            )
            stored, day = photo_store.limits(args.station)
            print(f"照片上限：存储 {stored / mb:.0f} MB，每天 {day / mb:.0f} MB")
    except (bundles.ImportRefused, admin.AdminError) as exc:
        print(f"错误：{getattr(exc, 'message', exc)}", file=sys.stderr)
        return 2
    finally:
        keys.close()
        photo_store.close()
        storage.close()
    return 0
