"""import roster, export roster, export attendance, print sign-in / roster PDFs."""

from __future__ import annotations

import argparse
from pathlib import Path

from pzh_station.cli.common import fail, services_for
from pzh_station.services.roster_import import RosterImporter
from pzh_station.services.training import ClassFilter, TrainingService
from pzh_station.services.training_export import TrainingExport


def cmd_import_roster(args: argparse.Namespace) -> int:
    services = services_for(args)
    try:
        importer = RosterImporter(services)
        result = importer.read_import(Path(args.file))
        for row in result.rows:
            if row.problems or args.verbose:
                print(row.describe())
        print(result.summary())
        if result.bad and not args.skip_bad:
            return fail(
                "有问题的行未修正，未导入任何记录。修正后重试，或加 --skip-bad 只导入无误的行。", 1
            )
        exists = TrainingService(services).find_class(args.class_name) is not None
        importer.write_import(result, class_name=args.class_name, skip_bad=args.skip_bad)
        if not exists:
            print(f"已新建培训班“{args.class_name}”。")
        for w in result.warnings:
            print(f"提醒：{w}")
        print(
            f"已报名 {result.written} 人（其中新登记 {result.created_people} 人）"
            f"到“{args.class_name}”。"
        )
    finally:
        services.close()
    return 0


def _class_ids(services, args: argparse.Namespace) -> list[str] | None:  # noqa: ANN001
    training = TrainingService(services)
    if getattr(args, "all", False):
        return [
            c["id"]
            for c in sorted(
                training.class_rows(ClassFilter(year=args.year or "")),
                key=lambda c: (c["start_date"], c["name"]),
            )
        ]
    if not args.class_name:
        return None
    found = training.find_class(args.class_name)
    return [found.id] if found else None


def cmd_export_roster(args: argparse.Namespace) -> int:
    services = services_for(args)
    try:
        ids = _class_ids(services, args)
        if not ids:
            return fail(f"错误：没有名为“{args.class_name}”的培训班。")
        out = Path(args.output or f"{args.class_name}-花名册.{args.format}")
        n = TrainingExport(services).export_roster(out, ids[0], fmt=args.format)
    finally:
        services.close()
    print(f"已导出 {n} 名学员到 {out}")
    return 0


def cmd_export_attendance(args: argparse.Namespace) -> int:
    services = services_for(args)
    try:
        ids = _class_ids(services, args)
        if not ids:
            if args.all:
                return fail("错误：没有培训班可导出。")
            return fail(
                f"错误：没有名为“{args.class_name}”的培训班。"
                if args.class_name
                else "错误：请用 --class 指定培训班，或用 --all。"
            )
        if args.format == "csv" and len(ids) > 1:
            return fail("错误：CSV 只能导出一个培训班，多个班请用 --format xlsx。")
        out = Path(args.output or f"{args.class_name or '培训班'}-签到统计.{args.format}")
        n = TrainingExport(services).export_attendance(out, ids, fmt=args.format)
    finally:
        services.close()
    print(f"已导出 {len(ids)} 个培训班、{n} 名学员的签到记录到 {out}")
    return 0


def cmd_export_completers(args: argparse.Namespace) -> int:
    services = services_for(args)
    try:
        ids = _class_ids(services, args)
        if not ids:
            return fail(f"错误：没有名为“{args.class_name}”的培训班。")
        out = Path(args.output or f"{args.class_name}-结业名单.{args.format}")
        n = TrainingExport(services).export_completers(out, ids[0], fmt=args.format)
    finally:
        services.close()
    print(f"已导出 {n} 名结业学员到 {out}")
    return 0


def cmd_print(args: argparse.Namespace) -> int:
    services = services_for(args)
    try:
        training = TrainingService(services)
        found = training.find_class(args.class_name)
        if found is None:
            return fail(f"错误：没有名为“{args.class_name}”的培训班。")
        export = TrainingExport(services)
        if args.what == "roster":
            out = Path(args.output or f"{args.class_name}-花名册.pdf")
            export.write_roster_sheet(out, found.id)
        else:
            sessions = [s for s in training.sessions(found.id) if not s["cancelled"]]
            chosen = [s for s in sessions if s["date"] == args.date] if args.date else sessions[-1:]
            if not chosen:
                return fail(f"错误：“{args.class_name}”在 {args.date or '任何日期'} 没有课次。")
            out = Path(args.output or f"{args.class_name}-{chosen[0]['date']}-签到表.pdf")
            export.write_sign_in_sheet(
                out, chosen[0]["id"], blank_rows=args.blank_rows, show_phones=args.show_phones
            )
    finally:
        services.close()
    print(f"已生成 {out}")
    return 0


def register(cli) -> None:  # noqa: ANN001
    p = cli.command(
        "roster",
        "导入培训班花名册（.xlsx/.csv，按列名对应；班不存在时新建）",
        cmd_import_roster,
        group="import",
    )
    p.add_argument("--class", dest="class_name", required=True, help="培训班名称")
    p.add_argument("file", help="花名册文件")
    p.add_argument(
        "--skip-bad", action="store_true", help="只导入无误的行（默认：有任何问题则全部不导入）"
    )
    p.add_argument("--verbose", action="store_true", help="逐行列出处理结果")
    p.add_argument("--operator", default="", help="录入人")
    p = cli.command("roster", "导出培训班花名册", cmd_export_roster, group="export")
    p.add_argument("--class", dest="class_name", required=True, help="培训班名称")
    p.add_argument(
        "--format", choices=["csv", "xlsx"], default="xlsx", help="文件格式（默认 xlsx）"
    )
    p.add_argument("-o", "--output", help="输出文件")
    p = cli.command(
        "attendance",
        "导出签到统计（每班一张工作表，课次为列）",
        cmd_export_attendance,
        group="export",
    )
    p.add_argument("--class", dest="class_name", help="培训班名称")
    p.add_argument("--all", action="store_true", help="导出全部培训班（仅 xlsx）")
    p.add_argument("--year", help="与 --all 一起用：只导出该年的培训班，如 2026")
    p.add_argument(
        "--format", choices=["csv", "xlsx"], default="xlsx", help="文件格式（默认 xlsx）"
    )
    p.add_argument("-o", "--output", help="输出文件")
    p = cli.command(
        "completers",
        "导出培训班结业名单（出勤达到结业比例的学员，用于结业证书）",
        cmd_export_completers,
        group="export",
    )
    p.add_argument("--class", dest="class_name", required=True, help="培训班名称")
    p.add_argument(
        "--format", choices=["csv", "xlsx"], default="xlsx", help="文件格式（默认 xlsx）"
    )
    p.add_argument("-o", "--output", help="输出文件")
    p = cli.command("training-pdf", "生成培训班纸质表格（A4 PDF）：签到表或花名册", cmd_print)
    p.add_argument("what", choices=["sign-in", "roster"], help="sign-in 签到表，roster 花名册")
    p.add_argument(
        "--show-phones",
        action="store_true",
        help="签到表上印出完整电话号码（默认隐藏中间四位，如 138****5678）",
    )
    p.add_argument("--class", dest="class_name", required=True, help="培训班名称")
    p.add_argument("--date", help="签到表的课次日期（默认：最近一次课）")
    p.add_argument("--blank-rows", type=int, default=8, help="签到表留给插班学员的空行数（默认 8）")
    p.add_argument("-o", "--output", help="输出文件")
