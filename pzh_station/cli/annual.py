"""facts show / facts set / facts confirm: the station's annual facts (年度基本情况)."""

from __future__ import annotations

import argparse
import json

from pzh_core.domain import annual_facts as rules
from pzh_core.domain.errors import ValidationError
from pzh_station.cli.common import fail, services_for
from pzh_station.cli.reports import _year
from pzh_station.services.annual_facts import AnnualFactsService, FactsView, facts_json


def _plain(label: str) -> str:
    return label.replace("#", "").replace("其中：", "").strip()


def field_for(name: str) -> str | None:
    """An item by its field name or its label (with or without ``#`` / ``其中：``)."""
    if name in rules.SPEC:
        return name
    for spec in rules.SPECS:
        if name in (spec.label, _plain(spec.label)):
            return spec.name
    return None


def _print(view: FactsView) -> None:
    f = view.facts
    state = "已确认" if f.confirmed else "未确认"
    print(f"{f.year}年 年度基本情况（{state}{'；' + view.origin if view.origin else ''}）")
    for spec in rules.SPECS:
        value = getattr(f, spec.name)
        text = f"{value} {spec.unit}" if value not in ("", None) else "—"
        print(f"  {spec.label}：{text}".rstrip())
    for item in view.missing:
        print(f"  ！{item}")


def _errors(exc: ValidationError) -> int:
    for name, message in exc.errors.items():
        label = rules.SPEC[name].label if name in rules.SPEC else name
        print(f"{label}：{message}")
    return fail("错误：有数据不正确，未保存。")


def cmd_show(args: argparse.Namespace) -> int:
    services = services_for(args)
    try:
        view = AnnualFactsService(services).view(args.year)
        pending = choice_lines(AnnualFactsService(services))
    finally:
        services.close()
    if args.json:
        print(json.dumps(facts_json(view), ensure_ascii=False, indent=2))
    else:
        _print(view)
        for line in pending:
            print(line)
    return 0


def cmd_set(args: argparse.Namespace) -> int:
    values: dict[str, str] = {}
    for item in args.items:
        name, sep, value = item.partition("=")
        field = field_for(name.strip())
        if not sep or field is None:
            return fail(f"错误：“{item}”应写作 项目=数值，项目如 staff_total 或 年末从业人员。")
        values[field] = value
    services = services_for(args)
    try:
        view = AnnualFactsService(services).save(args.year, values, confirm=args.confirm)
    except ValidationError as exc:
        return _errors(exc)
    finally:
        services.close()
    _print(view)
    return 0


def cmd_confirm(args: argparse.Namespace) -> int:
    services = services_for(args)
    try:
        view = AnnualFactsService(services).confirm(args.year)
    except ValidationError as exc:
        return _errors(exc)
    finally:
        services.close()
    _print(view)
    return 0


def choice_lines(svc: AnnualFactsService) -> list[str]:
    """The years waiting for the user's choice between the facts typed here and the server's."""
    lines = []
    for year, items in svc.choices().items():
        diff = "；".join(f"{label}：本机 {mine}，服务器 {theirs}" for label, mine, theirs in items)
        lines.append(
            f"本机加入本站前填写的 {year} 年度基本情况与市服务器上的不同（{diff}），"
            "现显示服务器上的。"
            f"请选择：pzh-station facts choose --year {year} --keep mine|server"
        )
    return lines


def cmd_choose(args: argparse.Namespace) -> int:
    services = services_for(args)
    try:
        svc = AnnualFactsService(services)
        if args.year not in svc.choices():
            return fail(f"{args.year} 年的年度基本情况没有待选择的不同。", 2)
        view = svc.choose(args.year, keep_mine=args.keep == "mine")
    finally:
        services.close()
    print("已保留本机填写的（需重新确认）。" if args.keep == "mine" else "已采用服务器上的。")
    _print(view)
    return 0


def register(cli) -> None:  # noqa: ANN001
    p = cli.command(
        "show", "显示某年的年度基本情况（未填写时显示由上年带入的数值）", cmd_show, group="facts"
    )
    p.add_argument("--year", type=_year, required=True, help="年度，例如 2025")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p = cli.command("set", "填写年度基本情况的若干项（保存后为“未确认”）", cmd_set, group="facts")
    p.add_argument("--year", type=_year, required=True, help="年度")
    p.add_argument("items", nargs="+", help="项目=数值，如 staff_total=4 或 年末从业人员=4")
    p.add_argument("--confirm", action="store_true", help="同时确认（确认后年报才能报送）")
    p.add_argument("--operator", help="确认人（默认空）")
    p = cli.command(
        "choose",
        "本机加入本站前填写的年度基本情况与服务器上的不同时，选择保留哪一份",
        cmd_choose,
        group="facts",
    )
    p.add_argument("--year", type=_year, required=True, help="年度")
    p.add_argument(
        "--keep", choices=["mine", "server"], required=True, help="mine：本机的；server：服务器上的"
    )
    p = cli.command("confirm", "确认某年的年度基本情况", cmd_confirm, group="facts")
    p.add_argument("--year", type=_year, required=True, help="年度")
    p.add_argument("--operator", help="确认人")
