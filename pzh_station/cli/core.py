"""init, check, backup, restore, demo-data."""

from __future__ import annotations

import argparse
from pathlib import Path

from pzh_station import paths
from pzh_station.cli.common import services_for
from pzh_station.services import demo, maintenance
from pzh_station.services.station import StationProfile, StationService


def cmd_init(args: argparse.Namespace) -> int:
    services = services_for(args)
    try:
        station = StationService(services)
        current = station.profile() or StationProfile()
        current.name = args.station
        current.county = args.county
        if args.population is not None:
            current.population = args.population
        if args.staff:
            current.staff = [s for s in args.staff.split(",") if s.strip()]
        profile = station.save_profile(current)
        print(f"已设置文化站：{profile.name}（{profile.county}），数据文件夹：{services.data_dir}")
        print(profile.id)
    finally:
        services.close()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    services = services_for(args)
    try:
        made = demo.fill(services)
    finally:
        services.close()
    print(
        "已生成演示数据：" + "，".join(f"{demo.LABELS.get(k, k)} {v} 条" for k, v in made.items())
    )
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    directory = paths.data_dir(args.data_dir)
    problems = maintenance.check(directory)
    if problems:
        for p in problems:
            print(f"问题：{p}")
        return 1
    print("检查通过：数据文件完好。")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    directory = paths.data_dir(args.data_dir)
    out = maintenance.backup_now(directory, Path(args.output) if args.output else None)
    print(f"已备份到：{out}")
    print(out)
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    directory = paths.data_dir(args.data_dir)
    safety = maintenance.restore(directory, Path(args.file))
    print("已从备份恢复。" + (f"恢复前的数据另存为：{safety}" if safety else ""))
    return 0


def register(cli) -> None:  # noqa: ANN001
    p = cli.command("init", "设置本机的文化站（首次使用）", cmd_init)
    p.add_argument("--station", required=True, help="文化站名称")
    p.add_argument("--county", required=True, help="所属县（区），如 仁和区")
    p.add_argument("--population", type=int, help="服务人口（用于人均指标）")
    p.add_argument("--staff", help="工作人员姓名，用逗号分隔")
    cli.command("demo-data", "生成一年的演示数据", cmd_demo)
    cli.command("check", "检查数据文件完整性（有问题时返回非零）", cmd_check)
    p = cli.command("backup", "立即备份数据文件", cmd_backup)
    p.add_argument("-o", "--output", help="备份文件路径（默认：数据文件夹/backups/）")
    p = cli.command("restore", "从备份文件恢复（程序须已关闭）", cmd_restore)
    p.add_argument("file", help="备份文件")
