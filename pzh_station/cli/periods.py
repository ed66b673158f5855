"""submit / period-status: submitting a month or a year to the county (报送) and the state of
each period (issue 14)."""

from __future__ import annotations

import argparse
import json

from pzh_core.domain.errors import ValidationError
from pzh_core.domain.rules import TABLE_LABELS
from pzh_station.cli.common import fail, services_for
from pzh_station.services.periods import PeriodService, incomplete_lines


def cmd_submit(args: argparse.Namespace) -> int:
    services = services_for(args)
    try:
        svc = PeriodService(services)
        if args.withdraw:
            state = svc.withdraw(args.period)
            print(f"已撤回{state.label}的报送。")
            return 0
        lines = incomplete_lines(svc.incomplete(args.period))
        if lines:
            print("以下内容尚不完整（仍按现有数据报送）：")
            for line in lines:
                print(f"  - {line}")
        if args.check:
            print("未报送（--check 只检查）。" if lines else "没有不完整的内容。")
            return 0
        state = svc.submit(args.period)
    except ValidationError as exc:
        return fail("错误：" + "；".join(exc.errors.values()))
    finally:
        services.close()
    row = state.row
    print(
        f"已报送{state.label}：{row.get('submitted_by')}，{row.get('submitted_at')}（下次同步时送达县文化馆）"
    )
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    services = services_for(args)
    try:
        svc = PeriodService(services)
        year = args.year or services.today().year
        states = svc.year_states(year)
        late = svc.late_changes()
    except ValidationError as exc:
        return fail("错误：" + "；".join(exc.errors.values()))
    finally:
        services.close()
    if args.json:
        out = [
            {
                "period": s.period,
                "status": s.status,
                "status_label": s.status_label,
                "locked": s.lock.reason if s.lock else "",
                "lock_message": s.lock.message if s.lock else "",
                "submitted_by": s.row.get("submitted_by", ""),
                "submitted_at": s.row.get("submitted_at", ""),
                "decided_by": s.row.get("decided_by", ""),
                "decided_at": s.row.get("decided_at", ""),
                "reason": s.row.get("reason", ""),
            }
            for s in states
        ]
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    for s in states:
        who = ""
        if s.row.get("decided_by") and s.status in ("approved", "returned", "unlocked"):
            who = f"（{s.row['decided_by']} {s.row.get('decided_at', '')}）"
        elif s.status == "submitted":
            who = f"（{s.row.get('submitted_by', '')} {s.row.get('submitted_at', '')}）"
        reason = f" 原因：{s.row['reason']}" if s.row.get("reason") else ""
        lock = f" —— {s.lock.message}" if s.lock and s.lock.reason == "deadline" else ""
        print(f"{s.label}\t{s.status_label}{who}{reason}{lock}")
    decided = [r for r in late if r.get("decision") in ("accepted", "rejected")]
    pending = [r for r in late if r.get("decision") == "pending"]
    if pending:
        print(f"有 {len(pending)} 条审核后的修改等待县文化馆处理。")
    for r in decided:
        verdict = "已接受" if r["decision"] == "accepted" else "未接受"
        note = f"：{r['note']}" if r.get("note") else ""
        what = "，".join(f"{k} → {v}" for k, v in r["fields"].items())
        table = TABLE_LABELS.get(r["tbl"], r["tbl"])
        print(f"审核后的修改（{table}：{what}）县文化馆{verdict}{note}")
    return 0


def register(cli) -> None:  # noqa: ANN001
    p = cli.command(
        "submit", "把一个月或一年的数据报送县文化馆审核（先列出不完整的内容）", cmd_submit
    )
    p.add_argument("--period", required=True, help="时段：年月如 2026-11，或年份如 2026")
    p.add_argument("--operator", help="报送人（当前录入人）")
    p.add_argument("--check", action="store_true", help="只列出不完整的内容，不报送")
    p.add_argument("--withdraw", action="store_true", help="撤回尚未审核的报送")
    p = cli.command("period-status", "各月和全年的报送、审核状态", cmd_status)
    p.add_argument("--year", type=int, help="年份（默认今年）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
