"""import volunteers, export volunteers, export volunteer-hours, volunteer certificate."""

from __future__ import annotations

import argparse
from pathlib import Path

from pzh_core.domain.errors import ValidationError
from pzh_core.domain.person import normalise_phone
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
            f"已导入 {result.written} 位志愿者（其中更新已有档案 {result.updated} 位；共"
            f" {result.total} 行，跳过 {len(result.bad_lines)} 行）。"
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


def _one_volunteer(svc: VolunteerService, who: str) -> dict | None:
    rows = [r for r in svc.rows(VolunteerFilter(text=who)) if who in (r["number"], r["name"])]
    return rows[0] if len(rows) == 1 else None


def cmd_certificate(args: argparse.Namespace) -> int:
    services = services_for(args)
    try:
        svc = VolunteerService(services)
        row = _one_volunteer(svc, args.who)
        if row is None:
            return fail("找不到这位志愿者（同名时请用志愿者编号）", 2)
        req = svc.certificate_defaults(row["id"])
        if args.year:
            req.period_from = max(req.period_from, f"{args.year:04d}-01-01")
            req.period_to = min(req.period_to, f"{args.year:04d}-12-31")
        for name, dest in (
            ("period_from", "period_from"),
            ("period_to", "period_to"),
            ("head", "head"),
            ("handler", "handler_name"),
            ("phone", "phone"),
            ("unit", "unit"),
        ):
            if getattr(args, dest):
                setattr(req, name, getattr(args, dest))
        out = Path(args.output or f"志愿服务证明-{row['number']}.pdf")
        try:
            number, _ = svc.write_certificate(req, out)
        except ValidationError as exc:
            return fail("；".join(exc.errors.values()), 2)
    finally:
        services.close()
    print(f"已出具证明 {number}：{out}")
    return 0


def cmd_register(args: argparse.Namespace) -> int:
    services = services_for(args)
    try:
        rows = VolunteerService(services).register()
    finally:
        services.close()
    print("证明编号\t出具日期\t志愿者编号\t姓名\t服务期间\t时长(小时)\t经办人")
    for r in rows:
        print(
            f"{r['number']}\t{r['issued_on']}\t{r['volunteer_number']}\t{r['name']}\t"
            f"{r['period_from']}至{r['period_to']}\t{r['hours']:g}\t{r['handler']}"
        )
    print(f"共 {len(rows)} 份证明。")
    return 0


def cmd_erase(args: argparse.Namespace) -> int:
    if not args.yes:
        return fail("注销个人信息不能撤销：确认本人已申请后，请加 --yes 再运行", 2)
    services = services_for(args)
    try:
        svc = VolunteerService(services)
        row = _one_volunteer(svc, args.who)
        if row is not None:
            person_id, who = row["person_id"], f"志愿者 {row['number']}"
        else:  # a trainee (or anyone of the people registry), by exact name or phone
            digits = normalise_phone(args.who)
            found = [
                p
                for p in svc.people.search(args.who)
                if args.who == p["name"] or (digits and digits == p["phone"])
            ]
            if len(found) != 1:
                return fail(
                    "找不到此人" if not found else "有多人符合，请用电话号码或志愿者编号", 2
                )
            person_id, who = found[0]["id"], "此人"
        svc.erase_person(person_id)
    finally:
        services.close()
    print(f"已注销{who}的个人信息（记录、时长和统计数字保留），同步后各电脑一致。")
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
        "volunteer-certificate",
        "出具志愿服务证明（A4 PDF，编号记入证明登记簿）",
        cmd_certificate,
        group="export",
    )
    p.add_argument("who", help="志愿者编号或姓名")
    p.add_argument("--year", type=int, help="只证明某一年的服务（默认：加入以来）")
    p.add_argument("--from", dest="period_from", help="服务开始日期 YYYY-MM-DD")
    p.add_argument("--to", dest="period_to", help="服务结束日期 YYYY-MM-DD")
    p.add_argument("--unit", help="出具单位（默认：本站名称）")
    p.add_argument("--head", help="单位负责人（默认：上一份证明的）")
    p.add_argument(
        "--handler", dest="handler_name", help="经办人（默认：--operator 或上一份证明的）"
    )
    p.add_argument("--phone", help="联系电话（默认：上一份证明的）")
    p.add_argument("-o", "--output", help="输出文件")
    cli.command(
        "volunteer-certificates", "列出志愿服务证明登记簿（已出具的全部证明）", cmd_register
    )
    p = cli.command(
        "erase-person",
        "按本人申请注销个人信息（姓名、证件号码、电话、出生年份；记录和时长保留）",
        cmd_erase,
    )
    p.add_argument("who", help="志愿者编号或姓名，或学员的姓名或电话")
    p.add_argument("--yes", action="store_true", help="确认本人已申请注销（不能撤销）")
