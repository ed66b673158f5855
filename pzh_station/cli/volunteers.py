"""import volunteers, export volunteers, export volunteer-hours, volunteer certificate."""

from __future__ import annotations

import argparse
from pathlib import Path

from pzh_station.cli.common import fail, refuse_partial_import, services_for
from pzh_station.services.volunteers import VolunteerService
from pzh_station.store.volunteers import VolunteerFilter


def cmd_import(args: argparse.Namespace) -> int:
    services = services_for(args)
    try:
        svc = VolunteerService(services)
        result = svc.read_import(Path(args.file))
        refused = refuse_partial_import(result, skip_bad=args.skip_bad)
        if refused is not None:
            return refused
        svc.write_import(result, skip_bad=args.skip_bad)
        print(
            f"已导入 {result.written} 位志愿者（其中更新已有档案 {result.updated} 位；共 {result.total} 行，跳过 {len(result.bad_lines)} 行）。"
        )
    finally:
        services.close()
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    out = Path(args.output or f"志愿者档案.{args.format}")
    services = services_for(args)
    try:
        n = VolunteerService(services).export(out, fmt=args.format)
    finally:
        services.close()
    print(f"已导出 {n} 位志愿者到 {out}")
    return 0


def cmd_export_hours(args: argparse.Namespace) -> int:
    name = f"志愿服务时长{'-' + str(args.year) if args.year else ''}.{args.format}"
    out = Path(args.output or name)
    services = services_for(args)
    try:
        n = VolunteerService(services).export_hours(out, fmt=args.format, year=args.year)
    finally:
        services.close()
    print(f"已导出 {n} 条服务记录到 {out}")
    return 0


def cmd_certificate(args: argparse.Namespace) -> int:
    services = services_for(args)
    try:
        svc = VolunteerService(services)
        rows = [
            r
            for r in svc.rows(VolunteerFilter(text=args.who))
            if args.who in (r["number"], r["name"])
        ]
        if len(rows) != 1:
            return fail("找不到这位志愿者" if not rows else "有多位同名志愿者，请用志愿者编号", 2)
        out = Path(args.output or f"志愿服务时长证明-{rows[0]['name']}.pdf")
        svc.write_certificate(rows[0]["id"], out, year=args.year)
    finally:
        services.close()
    print(f"已生成证明：{out}")
    return 0


def register(cli) -> None:  # noqa: ANN001
    p = cli.command(
        "volunteers",
        "导入文化志愿者档案（.xlsx/.csv；按编号或姓名+电话对应已有人员）",
        cmd_import,
        group="import",
    )
    p.add_argument("file", help="要导入的文件")
    p.add_argument(
        "--skip-bad", action="store_true", help="只导入无误的行（默认：有任何问题则全部不导入）"
    )
    p.add_argument("--operator", default="", help="录入人")
    p = cli.command(
        "volunteers", "导出文化志愿者档案（含累计已审核时长、星级）", cmd_export, group="export"
    )
    p.add_argument("--format", choices=["csv", "xlsx"], default="xlsx", help="文件格式")
    p.add_argument("-o", "--output", help="输出文件")
    p = cli.command(
        "volunteer-hours",
        "导出志愿服务记录（.xlsx 另含按月汇总表）",
        cmd_export_hours,
        group="export",
    )
    p.add_argument("--format", choices=["csv", "xlsx"], default="xlsx", help="文件格式")
    p.add_argument("--year", type=int, help="只导出某一年的记录")
    p.add_argument("-o", "--output", help="输出文件")
    p = cli.command(
        "volunteer-certificate", "生成志愿服务时长证明（A4 PDF）", cmd_certificate, group="export"
    )
    p.add_argument("who", help="志愿者编号或姓名")
    p.add_argument("--year", type=int, help="只证明某一年的服务（默认：全部）")
    p.add_argument("-o", "--output", help="输出文件")
