"""import activities, export activities."""

from __future__ import annotations

import argparse
from pathlib import Path

from pzh_station.cli.common import refuse_partial_import, services_for
from pzh_station.services.activities import ActivityService


def cmd_import(args: argparse.Namespace) -> int:
    services = services_for(args)
    try:
        svc = ActivityService(services)
        result = svc.read_import(Path(args.file))
        refused = refuse_partial_import(result, skip_bad=args.skip_bad)
        if refused is not None:
            return refused
        svc.write_import(result, skip_bad=args.skip_bad)
        print(
            f"已导入 {result.written} 条活动（共 {result.total} 行，跳过"
            f" {len(result.bad_lines)} 行）。"
        )
    finally:
        services.close()
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    out = Path(args.output or f"活动台账.{args.format}")
    services = services_for(args)
    try:
        n = ActivityService(services).export(out, fmt=args.format)
    finally:
        services.close()
    print(f"已导出 {n} 条活动到 {out}")
    return 0


def register(cli) -> None:  # noqa: ANN001
    p = cli.command(
        "activities", "导入活动台账（.xlsx/.csv，按中文或英文列名对应）", cmd_import, group="import"
    )
    p.add_argument("file", help="要导入的文件")
    p.add_argument(
        "--skip-bad", action="store_true", help="只导入无误的行（默认：有任何问题则全部不导入）"
    )
    p.add_argument("--operator", default="", help="录入人")
    p = cli.command("activities", "导出活动台账", cmd_export, group="export")
    p.add_argument("--format", choices=["csv", "xlsx"], default="xlsx")
    p.add_argument("-o", "--output", help="输出文件")
