"""``pzh-station enroll`` and ``pzh-station sync``: the sync agent, headless.

Exit codes: 0 done; 2 bad input or a local problem; 3 the sync failed (the reason, in Chinese,
on stderr, with what to do).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager

from pzh_station import paths
from pzh_station.cli.annual import choice_lines
from pzh_station.cli.common import fail, services_for
from pzh_station.services.annual_facts import AnnualFactsService
from pzh_station.services.sync_status import SyncStatusService
from pzh_station.store.lock import InstanceLock
from pzh_station.sync_client import SyncClient, SyncError, SyncResult, SyncState
from pzh_station.sync_client.config import SyncSettings, remember_server

SYNC_FAILED = 3


@contextmanager
def sole_writer(args: argparse.Namespace) -> Iterator[None]:
    """The app's instance lock for the command's duration: while the desk app runs, its database
    worker is the station file's only writer (sync there with "立即同步"), and the app does not
    start while the command writes."""
    lock = InstanceLock(paths.data_dir(getattr(args, "data_dir", None)))
    lock.acquire()  # StoreError "in_use" with a Chinese message when the app runs
    try:
        yield
    finally:
        lock.release()


def cmd_enroll(args: argparse.Namespace) -> int:
    with sole_writer(args):
        return _enroll(args)


def _enroll(args: argparse.Namespace) -> int:
    services = services_for(args)
    try:
        conf = SyncSettings.load(services.data_dir)
        server = args.server or conf.server_url
        code = args.code or conf.enrollment_code
        if not server:
            return fail("错误：请用 --server 指定同步服务器地址。")
        if not code:
            return fail("错误：请用 --code 指定注册码（向管理员索取）。")
        client = SyncClient(services.store, ca_bundle=conf.ca_bundle)
        try:
            result = client.enroll(server, code)
        except SyncError as exc:
            return fail(f"注册失败：{exc.message}", SYNC_FAILED)
        remember_server(services.data_dir, SyncState.load(services.store).server_url)
        print(f"注册成功：本机已加入 {result.station_name or result.station_id}。")
        labels = {"name": "文化站名称", "county": "所属县（区）"}
        for key, (mine, theirs) in result.adopted.items():
            print(
                f"本机填写的{labels.get(key, key)}“{mine}”与服务器上的不同，已采用服务器上"
                f"的“{theirs}”"
                "（如需更改，请在“设置”中修改）。"
            )
        if result.kept_changes:
            print(f"本机之前记录的 {result.kept_changes} 条修改将在下次同步时上传。")
        print(result.device_id)
    finally:
        services.close()
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    with sole_writer(args):
        return _sync(args)


def _sync(args: argparse.Namespace) -> int:
    services = services_for(args)
    try:
        conf = SyncSettings.load(services.data_dir)
        client = SyncClient(services.store, ca_bundle=conf.ca_bundle)
        try:
            result = client.sync()
        except SyncError as exc:
            pending = SyncState.load(services.store).pending
            return fail(
                f"同步失败：{exc.message}\n待上传的修改：{pending} 条（已安全保存在本机）。",
                SYNC_FAILED,
            )
        for line in result_lines(result):
            print(line)
        for line in choice_lines(AnnualFactsService(services)):
            print(line)
    finally:
        services.close()
    return 0


def result_lines(result: SyncResult) -> list[str]:
    """What one sync did, in Chinese: 同步完成 only when this PC's data equals the server's."""
    counts = (
        f"上传 {result.pushed} 条，下载 {result.pulled} 条，"
        f"请求 {result.requests} 次，待上传 {result.pending} 条。"
    )
    lines = []
    if result.rekeyed_from:
        lines.append(
            "本机的数据文件与上次同步时的不是同一份（从备份恢复过，或复制了数据文件夹）："
            "已换用新的设备身份，并从服务器取回了全部数据。"
        )
    if result.verified:
        lines.append("同步完成：本机数据与服务器一致。" + counts)
    else:
        differs = "、".join(c for check in result.checks for c in check.tables)
        lines.append(
            "同步已结束，但未能确认本机数据与服务器一致"
            + (f"（不一致的表：{differs}）" if differs else "")
            + "。稍后会再次核对；如果一直如此，请联系县文化馆信息员。"
            + counts
        )
    if result.set_aside:
        lines.append(
            f"有 {result.set_aside} 条修改未被市服务器接受，已单独列出"
            "（pzh-station sync-status 查看原因）。"
        )
    return lines


def cmd_status(args: argparse.Namespace) -> int:
    services = services_for(args)
    try:
        st = SyncState.load(services.store)
        refused = SyncStatusService(services).set_aside()
    finally:
        services.close()
    if not st.enrolled:
        print("本机尚未注册到同步服务器。")
    else:
        print(f"服务器：{st.server_url}")
        print(f"上次成功同步：{st.last_success or '从未'}")
        if st.verified:
            print("与服务器核对：一致（同步完成）")
        else:
            print(
                "与服务器核对：尚未确认一致"
                + (f"（不一致的表：{st.digest_differs}）" if st.digest_differs else "")
            )
    print(f"待上传的修改：{st.pending} 条")
    if refused:
        print(f"有 {len(refused)} 条修改未被市服务器接受：")
        for item in refused:
            print("  - " + item.text)
    if st.last_error:
        print(f"上次错误：{st.last_error}")
    return 0


def register(cli) -> None:  # noqa: ANN001
    p = cli.command("enroll", "用注册码把本机注册到市同步服务器", cmd_enroll)
    p.add_argument(
        "--server", help="同步服务器地址，如 https://sync.example.cn（默认：安装时预设的地址）"
    )
    p.add_argument("--code", help="管理员发放的一次性注册码（默认：安装时预设的注册码）")
    cli.command("sync", "立即与市同步服务器完整同步一次（失败时返回 3 并说明原因）", cmd_sync)
    cli.command(
        "sync-status", "显示同步状态：服务器、上次成功同步、待上传的修改、上次错误", cmd_status
    )
