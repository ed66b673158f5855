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
        print(f"  {spec.label}：{value if value not in ('', None) else '—'} {spec.unit}".rstrip())
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
    finally:
        services.close()
    if args.json:
        print(json.dumps(facts_json(view), ensure_ascii=False, indent=2))
    else:
        _print(view)
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
    p = cli.command("confirm", "确认某年的年度基本情况", cmd_confirm, group="facts")
    p.add_argument("--year", type=_year, required=True, help="年度")
    p.add_argument("--operator", help="确认人")
