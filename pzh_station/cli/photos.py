"""``pzh-station photos …`` and ``pzh-station bundle …`` (issue 15).

``photos attach`` attaches files to a record; ``photos status`` shows 照片待上传 N;
``photos upload`` sends the queued photos now. ``bundle export -o FILE`` writes what the server
does not have yet (changes and photos) to a signed file for a USB stick; ``bundle import FILE``
applies the server's signed answer; ``bundle enroll FILE`` takes an enrollment file (a PC with no
network). Exit codes: 0 done; 2 bad input; 3 the server or the network failed.
"""

from __future__ import annotations

import argparse

from pzh_core.bundle import BundleError
from pzh_core.photos import PhotoError
from pzh_station.cli.common import fail, services_for
from pzh_station.services.photos import PhotoService
from pzh_station.sync_client import SyncError, SyncState
from pzh_station.sync_client import bundle as usb
from pzh_station.sync_client.config import SyncSettings
from pzh_station.sync_client.photo_transfer import PhotoUploader
from pzh_station.sync_client.transport import Transport

FAILED = 3
OWNERS = {"activity": "activities", "session": "sessions", "service": "service_records"}


def cmd_attach(args: argparse.Namespace) -> int:
    services = services_for(args)
    try:
        table = OWNERS[args.kind]
        if services.store.get(table, args.id) is None:
            return fail(f"错误：没有这条记录：{args.id}")
        try:
            ids = PhotoService(services).attach(table, args.id, args.files)
        except PhotoError as exc:
            return fail(f"错误：{exc.message}（没有附加任何文件）")
        print(f"已附加 {len(ids)} 个文件。")
    finally:
        services.close()
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    services = services_for(args)
    try:
        print(f"照片待上传：{PhotoService(services).pending_uploads()} 张")
    finally:
        services.close()
    return 0


def cmd_upload(args: argparse.Namespace) -> int:
    services = services_for(args)
    try:
        st = SyncState.load(services.store)
        if not st.enrolled:
            return fail("错误：本机尚未注册到同步服务器。")
        conf = SyncSettings.load(services.data_dir)
        t = Transport(st.server_url, token=st.token, ca_bundle=conf.ca_bundle)
        try:
            usb.register_key(services.store, t)
            result = PhotoUploader(services.store, t).run()
        except SyncError as exc:
            return fail(f"上传照片失败：{exc.message}（已上传的部分下次接着传）", FAILED)
        finally:
            t.close()
        print(
            f"已上传 {result.files_done} 个文件（{result.bytes_sent / 1024:.0f} KB），"
            f"照片待上传 {result.pending} 张。"
        )
        if result.stopped == "budget":
            print("今天的照片流量已用完，明天继续。")
        for message in result.refused:
            print(f"未被接受：{message}")
    finally:
        services.close()
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    services = services_for(args)
    try:
        try:
            out = usb.export(services.store, args.output)
        except BundleError as exc:
            return fail(f"错误：{exc.message}")
        print(
            f"已导出同步包：{out.changes} 条修改，{out.photos} 个照片文件，"
            f"{out.size / 1024:.0f} KB。"
        )
        print(out.path)
    finally:
        services.close()
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    services = services_for(args)
    try:
        try:
            result = usb.import_answer(services.store, args.file)
        except BundleError as exc:
            return fail(f"错误：{exc.message}")
        print(
            f"已导入回执：{result.changes} 条本站修改，{result.photos_done} 个照片已到达市服务器。"
        )
        if result.enrolled:
            print("本机已在市服务器登记。")
        if result.set_aside:
            print(
                f"有 {result.set_aside} 条修改未被市服务器接受，已单独列出"
                "（pzh-station sync-status 查看原因）。"
            )
    finally:
        services.close()
    return 0


def cmd_enroll(args: argparse.Namespace) -> int:
    services = services_for(args)
    try:
        try:
            name = usb.enroll_from_file(services.store, args.file)
        except BundleError as exc:
            return fail(f"错误：{exc.message}")
        print(f"已读取登记文件：本机属于 {name}。请导出同步包交县（区）文化馆导入，完成登记。")
    finally:
        services.close()
    return 0


def register(cli) -> None:  # noqa: ANN001
    p = cli.command("attach", "给记录附加照片或扫描件（jpg/png/pdf）", cmd_attach, group="photos")
    p.add_argument(
        "kind",
        choices=sorted(OWNERS),
        help="activity 活动 / session 培训课次 / service 志愿服务记录",
    )
    p.add_argument("id", help="记录编号")
    p.add_argument("files", nargs="+", help="照片或扫描件")
    cli.command("status", "照片待上传的数量", cmd_status, group="photos")
    cli.command("upload", "立即上传待上传的照片（断点续传）", cmd_upload, group="photos")
    p = cli.command(
        "export", "导出U盘同步包：市服务器还没有的修改和照片", cmd_export, group="bundle"
    )
    p.add_argument("-o", "--output", required=True, help="同步包文件，如 E:\\大田镇-1201.pzhbundle")
    p = cli.command("import", "导入市服务器的回执包", cmd_import, group="bundle")
    p.add_argument("file")
    p = cli.command(
        "enroll", "用县（区）文化馆发的登记文件登记本机（无网络时）", cmd_enroll, group="bundle"
    )
    p.add_argument("file")
