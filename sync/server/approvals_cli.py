"""``pzh-sync-server admin approve|return|unlock|accept|periods|late-changes|decide-late|
set-deadline``: the county's and the city's decisions on a station's period from the command
line (the same use-cases as the web pages, :mod:`sync.server.approvals`)."""

from __future__ import annotations

import sys
from typing import Any

from pzh_core import approval
from pzh_core.china_tz import china_today
from sync.server import approvals
from sync.server.approvals import Actor, ApprovalError
from sync.server.storage import Storage

COMMANDS = (
    "approve",
    "return",
    "unlock",
    "accept",
    "periods",
    "late-changes",
    "decide-late",
    "set-deadline",
)


def add_parser(asub: Any, add_data_dir: Any) -> None:
    for name, text in (
        ("approve", "approve a station's submitted period (审核通过), with a snapshot of figures"),
        ("return", "return a station's submitted period (退回), with a reason"),
        ("unlock", "unlock an approved period (解锁), with a reason"),
        ("accept", "the city accepts a county's approval (市级确认)"),
    ):
        p = asub.add_parser(name, help=text)
        p.add_argument("--station", required=True, help="station id")
        p.add_argument("--period", required=True, help="2026-11 (a month) or 2026 (a year)")
        p.add_argument("--reason", default="", help="why (required for return and unlock)")
        p.add_argument("--by", default="", help="who decides (recorded; default: 市服务器管理员)")
        add_data_dir(p)
    p = asub.add_parser(
        "periods", help="every station's periods of a year, and who has not submitted"
    )
    p.add_argument("--county", default="", help="only this county's stations (label, e.g. 仁和区)")
    p.add_argument("--year", type=int, default=0, help="the year (default: this year)")
    add_data_dir(p)
    p = asub.add_parser("late-changes", help="changes pushed to locked periods, for a decision")
    p.add_argument("--county", default="", help="only this county's stations")
    add_data_dir(p)
    p = asub.add_parser("decide-late", help="accept or reject a change made after approval")
    p.add_argument("id", help="the late change's id (from late-changes)")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--accept", action="store_true")
    group.add_argument("--reject", action="store_true")
    p.add_argument("--note", default="")
    p.add_argument("--by", default="")
    add_data_dir(p)
    p = asub.add_parser("set-deadline", help="a county's edit deadline: days after a period's end")
    p.add_argument("--county", required=True)
    p.add_argument("--days", type=int, required=True, help="0 = no deadline")
    add_data_dir(p)


def run(args: Any, storage: Storage) -> int:
    """Run one of :data:`COMMANDS`; returns the exit code."""
    cmd = args.admin_command
    actor = Actor(getattr(args, "by", "") or "市服务器管理员", "city")
    try:
        if cmd in approvals.ACTIONS:
            fields = approvals.decide(
                storage, args.station, args.period, cmd, actor, reason=args.reason
            )
            label = approvals.ACTION_LABELS[cmd]
            print(
                f"已{label}：{args.station} "
                f"{approval.period_label(approval.parse_period(args.period))}"
            )
            if fields.get("approved_figures"):
                print(
                    "审核时的数字："
                    + "，".join(f"{k}={v}" for k, v in fields["approved_figures"].items())
                )
        elif cmd == "periods":
            _print_periods(storage, args.county, args.year)
        elif cmd == "late-changes":
            _print_late(storage, args.county)
        elif cmd == "decide-late":
            approvals.decide_late(storage, args.id, bool(args.accept), actor, note=args.note)
            print("已接受这条修改。" if args.accept else "已拒绝这条修改。")
        elif cmd == "set-deadline":
            n = approvals.set_deadline(storage, args.county, args.days)
            print(
                f"已设置{args.county}的修改期限：期末后{args.days}天"
                f"（{n} 个文化站，下次同步时送达）"
            )
    except ApprovalError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    return 0


def _stations(storage: Storage, county: str) -> list[Any]:
    return [s for s in storage.list_stations() if not county or s.county == county]


def _print_periods(storage: Storage, county: str, year: int) -> None:
    today = china_today(storage.now())
    year = year or today.year
    stations = _stations(storage, county)
    cells = approvals.grid(storage, stations, year)
    print("文化站\t县区\t" + "\t".join(f"{m}月" for m in range(1, 13)) + "\t全年")
    for st in stations:
        row = cells.get(st.id, {})
        marks = [
            approval.STATUS_LABELS[row.get(p, "")]
            for p in [f"{year}-{m:02d}" for m in range(1, 13)] + [str(year)]
        ]
        print(f"{st.name}\t{st.county}\t" + "\t".join(marks))
    for r in approvals.not_submitted(stations, cells, year, today):
        since = approval.period_label(r["since"])
        print(f"未报送：{r['station'].name} 自{since}起（{r['months']}个月）")


def _print_late(storage: Storage, county: str) -> None:
    ids = {s.id: s for s in _stations(storage, county)}
    for r in storage.list_late_changes(list(ids)):
        st = ids[r["station_id"]]
        print(f"{r['id']}\t{st.name}\t{r['tbl']}\t{r['fields']}\t{r['decision']}\t{r['message']}")
