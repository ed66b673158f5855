"""Activity log use-cases: add, edit, duplicate, trash and restore, list, import, export."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pzh_core import tabular
from pzh_core.domain import refdata
from pzh_core.domain.activity import Activity, validate
from pzh_core.domain.errors import ValidationError
from pzh_core.i18n import tr
from pzh_core.tabular import RowProblem
from pzh_station.services.context import Services
from pzh_station.store import activities as q
from pzh_station.store import teams as teams_q
from pzh_station.store.activities import ActivityFilter

#: ``progress(done, total, what)``: reports long work; may raise to cancel it
Progress = Callable[[int, int, str], None]

# Import/export columns: field -> header names (first is the Chinese header we write).
COLUMNS: dict[str, list[str]] = {
    "title": ["活动名称", "标题", "活动主题", "名称", "title"],
    "date": ["日期", "活动日期", "举办日期", "时间", "date"],
    "start_time": ["开始时间", "start_time", "start"],
    "end_time": ["结束时间", "end_time", "end"],
    "place": ["地点", "活动地点", "举办地点", "place"],
    "kind": ["活动类型", "类型", "类别", "kind"],
    "delivery": ["服务方式", "方式", "delivery"],
    "organiser": ["主办单位", "组织者", "主办", "organiser", "organizer"],
    "partners": ["合作单位", "合作方", "社会力量", "partners"],
    "attendance": ["参与人次", "参加人次", "人次", "人数", "attendance"],
    "target_groups": ["服务对象", "对象", "target_groups"],
    "brand": ["活动品牌", "品牌", "brand"],
    "team": ["演出团队", "文艺团队", "业余文艺团队", "team"],  # a team of the registry, by name
    "notes": ["备注", "说明", "notes"],
}


@dataclass
class ImportResult:
    """What an import found and did. ``written`` is 0 when nothing was written."""

    total: int
    good: list[Activity] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    written: int = 0

    @property
    def bad_lines(self) -> set[int]:
        return {p.line for p in self.problems}


Problem = Callable[[str, str], None]  # (field, Chinese message) of an import row


def _import_when(act: Activity, raw: dict[str, str], problem: Problem) -> None:
    """The date and times of an imported row (any of the ways people type them)."""
    date = tabular.parse_date(raw.get("date", ""))
    if date is None:
        problem("date", tr("Import", "无法识别的日期“{}”").format(raw.get("date", "")))
    act.date = date or ""
    for name in ("start_time", "end_time"):
        t = tabular.parse_time(raw.get(name, ""))
        if t is None:
            problem(name, tr("Import", "无法识别的时间“{}”").format(raw[name]))
        setattr(act, name, t or "")


def _import_kind(act: Activity, raw: dict[str, str], problem: Problem) -> None:
    """Kind and delivery of an imported row: codes or their labels."""
    kind = raw.get("kind", "")
    act.kind = refdata.code_for("activity_kinds", kind) or ("other" if not kind else "")
    if kind and not act.kind:
        problem("kind", tr("Import", "未知的活动类型“{}”").format(kind))
    delivery = raw.get("delivery", "")
    act.delivery = refdata.code_for("delivery_modes", delivery) or (
        "station" if not delivery else ""
    )
    if delivery and not act.delivery:
        problem("delivery", tr("Import", "未知的服务方式“{}”").format(delivery))


def _import_audience(
    act: Activity, raw: dict[str, str], problem: Callable[[str, str], None]
) -> None:
    """Target groups and brand of an imported row: codes or their labels."""
    groups = []
    for g in tabular.split_list(raw.get("target_groups", "")):
        code = refdata.code_for("target_groups", g)
        if code is None:
            problem("target_groups", tr("Import", "未知的服务对象“{}”").format(g))
        else:
            groups.append(code)
    act.target_groups = groups
    brand = raw.get("brand", "")
    act.brand = refdata.code_for("brands", brand) or ""
    if brand and not act.brand:
        problem("brand", tr("Import", "未知的活动品牌“{}”").format(brand))


class ActivityService:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.store = services.store

    # -- single records ------------------------------------------------------------------
    def get(self, activity_id: str) -> Activity | None:
        row = self.store.get("activities", activity_id)
        return Activity.from_row(row) if row else None

    def save(self, activity: Activity, *, today: dt.date | None = None) -> str:
        """Add (``activity.id`` is None) or update an activity.

        :raises ValidationError: with ``{field: Chinese message}``; nothing is written.
        :returns: the activity id.
        """
        errors = validate(activity.normalise(), today=today or self.services.today())
        if activity.team_id and activity.team_id not in teams_q.live_ids(self.store):
            errors["team_id"] = tr("Activity", "没有这个文艺团队")
        if errors:
            raise ValidationError(errors)
        fields = activity.fields()
        if activity.id is None:
            fields["created_by"] = activity.created_by or self.services.operator
            return self.store.write("activities", None, fields)
        old = self.store.get("activities", activity.id)
        if old is None:
            raise ValidationError({"title": tr("Activity", "这条活动已不存在")})
        fields.pop("created_by", None)  # who entered it stays as it was
        changed = {k: v for k, v in fields.items() if old.get(k) != v}
        if changed:
            self.store.write("activities", activity.id, changed)
        return activity.id

    def duplicate(self, activity_id: str) -> Activity:
        """A copy to edit and save as a new record (not saved yet), dated today."""
        original = self.get(activity_id)
        if original is None:
            raise KeyError(activity_id)
        return replace(
            original, id=None, date=dt.date.today().isoformat(), attendance=0, created_by=""
        )

    def delete(self, activity_id: str) -> None:
        """Move to the trash (a tombstone; sync carries it)."""
        self.store.delete("activities", activity_id)

    def restore(self, activity_id: str) -> None:
        self.store.restore("activities", activity_id)

    # -- lists ---------------------------------------------------------------------------
    def ids(self, f: ActivityFilter) -> list[str]:
        return q.ids(self.store, f)

    def rows(self, row_ids: list[str]) -> dict[str, dict[str, Any]]:
        return q.rows_by_id(self.store, row_ids)

    def count(self, *, trash: bool = False) -> int:
        return q.count(self.store, trash=trash)

    # -- import / export -----------------------------------------------------------------
    def read_import(
        self, path: str | Path, *, today: dt.date | None = None, progress: Progress | None = None
    ) -> ImportResult:
        """Read and check a file; writes nothing. :raises tabular.TableError:

        :param progress: called as ``progress(rows done, rows, what)`` every 100 rows; it may
            raise to cancel (nothing has been written).
        """
        table = tabular.read_table(path, COLUMNS, required=("title", "date"))
        result = ImportResult(total=len(table.rows))
        header = {f: table.mapped.get(f, COLUMNS[f][0]) for f in COLUMNS}
        for done, (line, raw) in enumerate(table.rows):
            if progress is not None and done % 100 == 0:
                progress(done, result.total, tr("Import", "正在检查"))
            act, problems = self._import_row(line, raw, header, today)
            if problems:
                result.problems += problems
            else:
                result.good.append(act)
        return result

    def _import_row(
        self, line: int, raw: dict[str, str], header: dict[str, str], today: dt.date | None
    ) -> tuple[Activity, list[RowProblem]]:
        """One row of an import file as an activity, and what is wrong with it."""
        problems: list[RowProblem] = []

        def problem(name: str, message: str) -> None:
            problems.append(RowProblem(line, header.get(name, name), message))

        act = Activity(created_by=self.services.operator)
        act.title = raw.get("title", "")
        _import_when(act, raw, problem)
        for name in ("place", "organiser", "partners", "notes"):
            setattr(act, name, raw.get(name, ""))
        _import_kind(act, raw, problem)
        att = raw.get("attendance", "") or "0"
        try:
            act.attendance = int(float(att))
        except ValueError:
            problem("attendance", tr("Import", "参与人次不是数字“{}”").format(att))
        _import_audience(act, raw, problem)
        team = raw.get("team", "").strip()
        if team:
            act.team_id, message = self._team_by_name(team, act.date)
            if message:
                problem("team", message)
        if not problems:
            for fname, msg in validate(act.normalise(), today=today).items():
                problem(fname, msg)
        return act, problems

    def _team_by_name(self, name: str, day: str) -> tuple[str, str]:
        """The registry's team called ``name`` that an activity on ``day`` can name:
        ``(team id, "")``, or ``("", the Chinese reason)``."""
        name = "".join(name.split())
        found = [
            i for i, n in teams_q.active_choices(self.store, day) if "".join(n.split()) == name
        ]
        if len(found) == 1:
            return found[0], ""
        if found:
            return "", tr("Import", "有多个名为“{}”的文艺团队，请在桌面程序中选择").format(name)
        return "", tr("Import", "文艺团队登记中没有“{}”（或活动日期前已解散），请先登记").format(
            name
        )

    def write_import(
        self, result: ImportResult, *, skip_bad: bool = False, progress: Progress | None = None
    ) -> ImportResult:
        """Write the good rows of a checked import in one transaction.

        Without ``skip_bad``, any problem means nothing is written (all or nothing).
        :param progress: as for :meth:`read_import`; raising from it rolls the whole write back.
        """
        if result.problems and not skip_bad:
            return result
        with self.store.transaction():
            for done, act in enumerate(result.good):
                if progress is not None and done % 100 == 0:
                    progress(done, len(result.good), tr("Import", "正在写入"))
                self.store.write("activities", None, act.fields())
        result.written = len(result.good)
        return result

    def export(
        self, path: str | Path, *, fmt: str | None = None, f: ActivityFilter | None = None
    ) -> int:
        """Write activities to .xlsx or .csv with Chinese headers and labels. :returns: rows
        written."""
        rows = q.all_rows(self.store, f or ActivityFilter(descending=False))
        kinds = refdata.labels("activity_kinds")
        modes = refdata.labels("delivery_modes")
        groups = refdata.labels("target_groups")
        brands = refdata.labels("brands")
        teams = {
            t["id"]: t["name"]
            for trash in (True, False)
            for t in teams_q.rows(self.store, trash=trash)
        }
        out = []
        for r in rows:
            out.append(
                [
                    r["title"],
                    r["date"],
                    r["start_time"],
                    r["end_time"],
                    r["place"],
                    kinds.get(r["kind"], r["kind"]),
                    modes.get(r["delivery"], r["delivery"]),
                    r["organiser"],
                    r["partners"],
                    r["attendance"],
                    "、".join(groups.get(g, g) for g in r["target_groups"]),
                    brands.get(r["brand"], r["brand"]),
                    teams.get(r["team_id"], ""),
                    r["notes"],
                ]
            )
        headers = [COLUMNS[f][0] for f in COLUMNS]
        tabular.write_table(path, headers, out, fmt=fmt, sheet=tr("Export", "活动台账"))
        return len(out)
