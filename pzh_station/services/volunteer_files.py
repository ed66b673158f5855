"""The volunteer archive's files: service-hours certificates, archive import and export, and
the export of service records with the yearly hours summary."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pzh_core import tabular
from pzh_core.domain import refdata
from pzh_core.domain.person import Person
from pzh_core.domain.volunteer import (
    STATUSES,
    Volunteer,
    star_label,
    star_level,
    validate_volunteer,
)
from pzh_core.i18n import tr
from pzh_core.schema import det_id
from pzh_core.tabular import RowProblem
from pzh_station.services.activities import Progress
from pzh_station.services.volunteer_archive import VolunteerArchive, _today
from pzh_station.store import volunteers as q
from pzh_station.store.volunteers import RecordFilter

# Import/export columns of the archive: field -> header names (first is the Chinese header we
# write).
COLUMNS: dict[str, list[str]] = {
    "number": ["志愿者编号", "编号", "number"],
    "name": ["姓名", "名字", "name"],
    "gender": ["性别", "gender"],
    "birth_year": ["出生年份", "出生年", "birth_year"],
    "phone": ["电话", "联系电话", "手机", "手机号", "phone"],
    "village": ["村(社区)", "村社区", "村", "社区", "village"],
    "ethnicity": ["民族", "ethnicity"],
    "join_date": ["加入日期", "注册日期", "入队日期", "join_date"],
    "skills": ["服务技能", "技能", "特长", "skills"],
    "team": ["所属团队", "团队", "队伍", "team"],
    "status": ["状态", "status"],
    "training": ["培训情况", "接受培训", "training"],
    "awards": ["获奖情况", "表彰", "awards"],
    "notes": ["备注", "notes"],
}


@dataclass
class ImportResult:
    total: int
    good: list[tuple[Person, Volunteer]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    written: int = 0
    updated: int = 0

    @property
    def bad_lines(self) -> set[int]:
        return {p.line for p in self.problems}


class _ImportRow:
    """One row of an archive file being read: its person and volunteer, and its problems."""

    def __init__(self, line: int, raw: dict[str, str], header: dict[str, str]) -> None:
        self.line, self.raw, self.header = line, raw, header
        self.problems: list[RowProblem] = []

    def problem(self, field_name: str, message: str) -> None:
        self.problems.append(RowProblem(self.line, self.header[field_name], message))

    def person(self, operator: str) -> Person:
        from pzh_core.domain.person import normalise_phone

        raw = self.raw
        person = Person(
            name=raw.get("name", "").strip(),
            gender=raw.get("gender", ""),
            phone=normalise_phone(raw.get("phone", "")),
            village=raw.get("village", ""),
            ethnicity=raw.get("ethnicity", ""),
            created_by=operator,
        )
        by = raw.get("birth_year", "")
        if by:
            try:
                person.birth_year = int(float(by))
            except ValueError:
                self.problem("birth_year", tr("Import", "出生年份不是数字“{}”").format(by))
        return person

    def volunteer(self, operator: str, today: dt.date | None) -> Volunteer:
        raw = self.raw
        vol = Volunteer(
            number=raw.get("number", ""),
            team=raw.get("team", ""),
            training=raw.get("training", ""),
            awards=raw.get("awards", ""),
            notes=raw.get("notes", ""),
            created_by=operator,
        )
        join = raw.get("join_date", "")
        parsed = tabular.parse_date(join) if join else _today(today).isoformat()
        if parsed is None:
            self.problem("join_date", tr("Import", "无法识别的日期“{}”").format(join))
        vol.join_date = parsed or ""
        for s in tabular.split_list(raw.get("skills", "")):
            code = refdata.code_for("volunteer_skills", s)
            if code is None:
                self.problem("skills", tr("Import", "未知的服务技能“{}”").format(s))
            else:
                vol.skills.append(code)
        status = raw.get("status", "")
        vol.status = (
            next((k for k, v in STATUSES.items() if status in (k, v)), "") if status else "active"
        )
        if not vol.status:
            self.problem("status", tr("Import", "状态应为 在册、暂停 或 退出"))
        return vol


class VolunteerFiles(VolunteerArchive):
    # -- import / export ---------------------------------------------------------------
    def read_import(
        self, path: str | Path, *, today: dt.date | None = None, progress: Progress | None = None
    ) -> ImportResult:
        """Read and check an archive file; writes nothing. :raises tabular.TableError:

        A row is matched to a volunteer by its number, else to a person of the registry by
        name and phone; otherwise a new person is added.
        :param progress: called as ``progress(rows done, rows, what)`` every 100 rows; it may
            raise to cancel (nothing has been written).
        """
        from pzh_core.domain.person import validate_person

        table = tabular.read_table(path, COLUMNS, required=("name",))
        result = ImportResult(total=len(table.rows))
        header = {f: table.mapped.get(f, COLUMNS[f][0]) for f in COLUMNS}
        numbers: dict[str, int] = {}
        for done, (line, raw) in enumerate(table.rows):
            if progress is not None and done % 100 == 0:
                progress(done, result.total, tr("Import", "正在检查"))
            row = _ImportRow(line, raw, header)
            person = row.person(self.services.operator)
            vol = row.volunteer(self.services.operator, today)
            if vol.number:
                if vol.number in numbers:
                    row.problem(
                        "number", tr("Import", "编号与第{}行重复").format(numbers[vol.number])
                    )
                numbers[vol.number] = line
            self._match(person, vol)
            if vol.id:
                self._keep_archive_values(vol, raw)
            if not row.problems:
                vol_check = Volunteer(**{**vol.__dict__, "person_id": vol.person_id or "pending"})
                for fname, msg in {
                    **validate_person(person, today=today),
                    **validate_volunteer(vol_check, today=today),
                }.items():
                    row.problems.append(RowProblem(line, header.get(fname, fname), msg))
            if row.problems:
                result.problems += row.problems
            else:
                result.good.append((person, vol))
        return result

    def _match(self, person: Person, vol: Volunteer) -> None:
        """Who is it? An existing volunteer by number, else a person by name + phone."""
        existing = q.find_by_number(self.store, vol.number) if vol.number else None
        if existing:
            old = self.get(existing)
            vol.id, vol.person_id = existing, old.person_id if old else ""
            person.id = vol.person_id
        elif person.name and person.phone:
            match = [
                p
                for p in self.people.search(person.phone)
                if p["name"] == person.name and p["phone"] == person.phone
            ]
            if match:
                person.id = match[0]["id"]
                vid = det_id("volunteer", person.id)
                old_row = self.store.get("volunteers", vid)
                if old_row and not old_row["deleted"]:
                    vol.id = vid

    def _keep_archive_values(self, vol: Volunteer, raw: dict[str, str]) -> None:
        """Updating an existing volunteer: cells the file leaves empty keep what the archive
        says."""
        old_vol = self.get(vol.id) if vol.id else None
        if old_vol is None:
            return
        for name in ("number", "team", "training", "awards", "notes", "skills"):
            if not getattr(vol, name):
                setattr(vol, name, getattr(old_vol, name))
        if not raw.get("join_date", ""):
            vol.join_date = old_vol.join_date
        if not raw.get("status", ""):
            vol.status = old_vol.status
        vol.created_by = old_vol.created_by

    def write_import(
        self,
        result: ImportResult,
        *,
        skip_bad: bool = False,
        today: dt.date | None = None,
        progress: Progress | None = None,
    ) -> ImportResult:
        """Write the good rows in one transaction; without ``skip_bad`` any problem writes
        nothing. ``progress`` as for :meth:`read_import`; raising from it rolls it all back."""
        if result.problems and not skip_bad:
            return result
        with self.store.transaction():
            for done, (person, vol) in enumerate(result.good):
                if progress is not None and done % 100 == 0:
                    progress(done, len(result.good), tr("Import", "正在写入"))
                if person.id:
                    current = self.people.get(person.id)
                    # Keep registry values the file leaves empty.
                    if current:
                        for name in ("gender", "phone", "village", "ethnicity", "birth_year"):
                            if not getattr(person, name):
                                setattr(person, name, getattr(current, name))
                        person.created_by = current.created_by
                if vol.id:
                    result.updated += 1
                self.save(vol, person, today=today)
        result.written = len(result.good)
        return result

    def export(self, path: str | Path, *, fmt: str | None = None) -> int:
        """Write the archive (with verified hours) to .xlsx or .csv. :returns: rows written."""
        skills = refdata.labels("volunteer_skills")
        totals = q.verified_totals(self.store)
        out = []
        for r in q.all_volunteers(self.store):
            total = totals.get(r["id"], 0.0)
            out.append(
                [
                    r["number"],
                    r["name"],
                    r["gender"],
                    r["birth_year"] or "",
                    r["phone"],
                    r["village"],
                    r["ethnicity"],
                    r["join_date"],
                    "、".join(skills.get(s, s) for s in r["skills"]),
                    r["team"],
                    STATUSES.get(r["status"], r["status"]),
                    r["training"],
                    r["awards"],
                    r["notes"],
                    total,
                    star_label(star_level(total)),
                ]
            )
        headers = [COLUMNS[f][0] for f in COLUMNS] + [
            tr("Export", "累计服务时长(已审核)"),
            tr("Export", "星级"),
        ]
        tabular.write_table(path, headers, out, fmt=fmt, sheet=tr("Export", "志愿者档案"))
        return len(out)

    def export_hours(
        self, path: str | Path, *, fmt: str | None = None, year: int | None = None
    ) -> int:
        """Write service records (of ``year`` or all) — and in .xlsx a sheet of verified totals
        per volunteer — to .xlsx or .csv. :returns: records written."""
        f = RecordFilter()
        if year:
            f.date_from, f.date_to = f"{year:04d}-01-01", f"{year:04d}-12-31"
        from pzh_core.domain.volunteer import RECORD_STATES

        rows = q.record_rows(self.store, f, ascending=True)
        headers = [
            tr("Export", h)
            for h in (
                "日期",
                "志愿者编号",
                "姓名",
                "服务时长(小时)",
                "服务内容",
                "关联活动",
                "关联培训班",
                "记录人",
                "状态",
                "审核人",
                "审核日期",
                "驳回原因",
            )
        ]
        records = [
            [
                r["date"],
                r["number"],
                r["name"],
                r["hours"],
                r["description"],
                r["activity_title"],
                r["class_name"],
                r["recorded_by"],
                RECORD_STATES.get(r["status"], r["status"]),
                r["verified_by"],
                r["verified_on"],
                r["reject_reason"],
            ]
            for r in rows
        ]
        fmt = fmt or Path(path).suffix.lstrip(".").lower()
        if fmt == "csv":
            tabular.write_table(path, headers, records, fmt="csv")
            return len(records)
        summary_year = year or dt.date.today().year
        tabular.write_sheets(
            path,
            [
                (tr("Export", "服务记录"), headers, records),
                self._hours_summary_sheet(summary_year),
            ],
        )
        return len(records)

    def _hours_summary_sheet(self, year: int) -> tuple[str, list[str], list[list[Any]]]:
        """The sheet of verified hours per volunteer and month of ``year``."""
        month_heads = [f"{m}月" for m in range(1, 13)]
        headers = [
            tr("Export", "志愿者编号"),
            tr("Export", "姓名"),
            *month_heads,
            tr("Export", "全年(已审核)"),
            tr("Export", "累计(已审核)"),
            tr("Export", "星级"),
        ]
        rows = [
            [
                r["number"],
                r["name"],
                *r["months"],
                r["year_total"],
                r["total"],
                star_label(r["stars"]),
            ]
            for r in self.hours_summary(year)
        ]
        return tr("Export", "{}年时长汇总").format(year), headers, rows
