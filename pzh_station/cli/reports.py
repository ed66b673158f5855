"""report annual, report monthly, report summary."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

from pzh_core.period import Period
from pzh_station.cli.common import fail, services_for
from pzh_station.services.reports import ReportService


def _as_of(args: argparse.Namespace) -> dt.date | None:
    if not getattr(args, "as_of", None):
        return None
    return dt.date.fromisoformat(args.as_of)


def cmd_annual(args: argparse.Namespace) -> int:
    out = Path(args.output or f"{args.year}年文化站年报.xlsx")
    if out.suffix.lower() != ".xlsx":
        return fail("错误：年报只能保存为 .xlsx 文件。")
    services = services_for(args)
    try:
        ReportService(services).write_annual(out, args.year, as_of=_as_of(args))
    finally:
        services.close()
    print(f"已生成 {args.year} 年年报：{out}")
    return 0


def cmd_return(args: argparse.Namespace) -> int:
    from pzh_station.services.annual_return import ReturnService

    out = Path(args.output or f"{args.year}年文化站年报表.xlsx")
    if out.suffix.lower() not in (".xlsx", ".pdf"):
        return fail("错误：年报表只能保存为 .xlsx 或 .pdf 文件。")
    services = services_for(args)
    try:
        ReturnService(services).write(out, args.year, as_of=_as_of(args), draft=args.draft)
    finally:
        services.close()
    print(f"已生成 {args.year} 年年报表{'（草稿）' if args.draft else ''}：{out}")
    return 0


def cmd_monthly(args: argparse.Namespace) -> int:
    try:
        period = Period.parse_month(args.month)
    except ValueError:
        return fail(f"错误：月份“{args.month}”应写作 YYYY-MM，例如 2025-03。")
    out = Path(args.output or f"{period.year}年{period.month}月工作月报.xlsx")
    services = services_for(args)
    try:
        ReportService(services).write_monthly(
            out, period.year, period.month or 1, as_of=_as_of(args)
        )
    finally:
        services.close()
    print(f"已生成 {period.label} 月报：{out}")
    return 0


def cmd_summary(args: argparse.Namespace) -> int:
    month = None
    if args.month:
        try:
            month = Period.parse_month(f"{args.year}-{args.month}").month
        except ValueError:
            return fail("错误：月份应为 1–12。")
    services = services_for(args)
    try:
        data = ReportService(services).summary(args.year, month=month, as_of=_as_of(args))
    finally:
        services.close()
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        from pzh_core.indicators import INDICATORS
        from pzh_station.services.reports import format_value

        print(
            f"{data['station']} {args.year}年"
            + (f"{month}月" if month else "")
            + f"（截至 {data['as_of']}）"
        )
        for key, indicator in INDICATORS.items():
            print(f"  {indicator.label}：{format_value(key, data[key])} {indicator.unit}")
    return 0


def _year(text: str) -> int:
    try:
        year = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"年份“{text}”不是数字") from None
    if not 1900 <= year <= 2200:
        raise argparse.ArgumentTypeError(f"年份“{text}”超出范围")
    return year


def _date(text: str) -> str:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期“{text}”应写作 YYYY-MM-DD") from None
    return text


def register(cli) -> None:  # noqa: ANN001
    as_of_help = "统计截至日期 YYYY-MM-DD（默认今天；之后的课次不计，目标按此折算）"
    p = cli.command(
        "annual",
        "生成文化站年报（.xlsx，第二张表列出每个数字背后的记录）",
        cmd_annual,
        group="report",
    )
    p.add_argument("--year", type=_year, required=True, help="统计年度，例如 2025")
    p.add_argument("-o", "--output", help="输出的 .xlsx 文件")
    p.add_argument("--as-of", type=_date, help=as_of_help)
    p = cli.command(
        "return",
        "生成可报送的年报表（按基层表式样：单位信息、各项指标、签章栏；.xlsx 或 A4 .pdf）",
        cmd_return,
        group="report",
    )
    p.add_argument("--year", type=_year, required=True, help="统计年度，例如 2025")
    p.add_argument("-o", "--output", help="输出文件（.xlsx 或 .pdf）")
    p.add_argument("--as-of", type=_date, help=as_of_help)
    p.add_argument(
        "--draft", action="store_true", help="年度基本情况未确认时也生成（标为草稿，不能报送）"
    )
    p = cli.command(
        "monthly", "生成工作月报（.xlsx 或 A4 .pdf，按文件扩展名）", cmd_monthly, group="report"
    )
    p.add_argument("--month", required=True, help="月份 YYYY-MM，例如 2025-03")
    p.add_argument("-o", "--output", help="输出文件（.xlsx 或 .pdf）")
    p.add_argument("--as-of", type=_date, help=as_of_help)
    p = cli.command("summary", "输出全年（或某月）的各项指标", cmd_summary, group="report")
    p.add_argument("--year", type=_year, required=True, help="统计年度")
    p.add_argument("--month", help="只统计该月（1–12）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出（供脚本和检查使用）")
    p.add_argument("--as-of", type=_date, help=as_of_help)
