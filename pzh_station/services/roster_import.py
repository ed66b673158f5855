"""Importing a roster (花名册) from .xlsx/.csv into a class.

Two steps, so nothing is written until the user has seen the preview and confirmed:
:meth:`RosterImporter.read` checks the file and decides, row by row, whether it is a new person,
someone already in the registry (same name and phone, or same name and birth year in the same
village) or a repeat of an earlier row of the same file; :meth:`RosterImporter.write` then adds
the new people and enrols everyone in one transaction (all or nothing).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from pzh_core import tabular
from pzh_core.domain.person import Person, normalise_phone, same_person, validate_person
from pzh_core.domain.training import TrainingClass
from pzh_core.i18n import tr
from pzh_station.services.activities import Progress
from pzh_station.services.context import Services
from pzh_station.services.people import PeopleService
from pzh_station.services.training import TrainingService
from pzh_station.store import people as people_q

# field -> header names it may have (the first is the Chinese header we write).
COLUMNS: dict[str, list[str]] = {
    "name": ["姓名", "学员姓名", "名字", "学员", "name"],
    "gender": ["性别", "gender", "sex"],
    "birth_year": ["出生年份", "出生年月", "出生日期", "出生年", "生日", "birth_year", "birth"],
    "age": ["年龄", "age"],
    "phone": [
        "联系电话",
        "电话",
        "手机",
        "手机号",
        "手机号码",
        "电话号码",
        "联系方式",
        "phone",
        "mobile",
    ],
    "village": [
        "村(社区)",
        "村（社区）",
        "村/社区",
        "所在村",
        "村组",
        "社区",
        "村",
        "住址",
        "家庭住址",
        "地址",
        "village",
    ],
    "ethnicity": ["民族", "ethnicity"],
    "notes": ["备注", "说明", "notes"],
}

GENDER_WORDS = {
    "男": "男",
    "女": "女",
    "m": "男",
    "f": "女",
    "male": "男",
    "female": "女",
    "男性": "男",
    "女性": "女",
}


@dataclass
class RosterRow:
    """One data row of the file and what will happen to it.

    ``action``: ``new`` (a person will be added), ``existing`` (already in the registry:
    ``person_id``), ``repeat`` (same person as row ``repeat_of`` of this file: skipped), or
    ``bad`` (see ``problems``).
    """

    line: int
    person: Person
    action: str = "new"
    person_id: str | None = None
    repeat_of: int | None = None
    problems: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """The per-row report line, in Chinese."""
        c = "Import"
        if self.problems:
            return tr(c, "第{}行：{}").format(self.line, "；".join(self.problems))
        if self.action == "existing":
            return tr(c, "第{}行：{} 已在人员登记册中，将直接报名").format(
                self.line, self.person.name
            )
        if self.action == "repeat":
            return tr(c, "第{}行：{} 与第{}行重复，跳过").format(
                self.line, self.person.name, self.repeat_of
            )
        return tr(c, "第{}行：{} 新登记并报名").format(self.line, self.person.name)


@dataclass
class RosterImport:
    """The checked file. ``written`` stays 0 until :meth:`RosterImporter.write` succeeds."""

    path: Path
    rows: list[RosterRow]
    mapped: dict[str, str]
    unmapped: list[str]
    written: int = 0
    created_people: int = 0
    class_id: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def bad(self) -> list[RosterRow]:
        return [r for r in self.rows if r.problems]

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action and not r.problems)

    def summary(self) -> str:
        c = "Import"
        return tr(c, "共 {} 行：新登记 {} 人，已在登记册 {} 人，重复 {} 行，有问题 {} 行").format(
            len(self.rows),
            self.count("new"),
            self.count("existing"),
            self.count("repeat"),
            len(self.bad),
        )


def parse_birth_year(birth: str, age: str, *, today: dt.date) -> tuple[int, str]:
    """``(year, problem)`` from a birth cell (1965, 1965-03-02, 1965年3月, 19650302) or an age."""
    birth = tabular.normalise_text(birth)
    if birth:
        m = re.match(r"^(\d{4})(?:\D|$|\d{4}$)", birth)
        if m and 1900 <= int(m[1]) <= today.year:
            return int(m[1]), ""
        return 0, tr("Import", "无法识别的出生年份“{}”").format(birth)
    age = tabular.normalise_text(age).rstrip("岁")
    if age:
        if age.isdigit() and 0 < int(age) < 120:
            return today.year - int(age), ""
        return 0, tr("Import", "无法识别的年龄“{}”").format(age)
    return 0, ""


def _repeats(earlier: Person, person: Person) -> bool:
    """The same person twice in one file: same details, or the registry's same-person rule."""
    return same_person(earlier, person) or (earlier.fields() | {"created_by": ""}) == (
        person.fields() | {"created_by": ""}
    )


class RosterImporter:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.people = PeopleService(services)
        self.training = TrainingService(services)

    def read_import(
        self, path: str | Path, *, today: dt.date | None = None, progress: Progress | None = None
    ) -> RosterImport:
        """Read and check a roster file; writes nothing.

        :param progress: called as ``progress(rows done, rows, what)`` every 100 rows; it may
            raise to cancel (nothing has been written).
        :raises tabular.TableError: the file cannot be used at all (not a spreadsheet, too big,
            an old .xls, no 姓名 column …), with a Chinese message.
        """
        today = today or dt.date.today()
        _check_excel_name(Path(path))
        table = tabular.read_table(path, COLUMNS, required=("name",))
        header = {f: table.mapped.get(f, COLUMNS[f][0]) for f in COLUMNS}
        rows: list[RosterRow] = []
        seen: dict[str, list[RosterRow]] = {}
        registry_cache: dict[str, list[dict]] = {}
        for done, (line, raw) in enumerate(table.rows):
            if progress is not None and done % 100 == 0:
                progress(done, len(table.rows), tr("Import", "正在检查"))
            row = self._read_row(line, raw, header, today)
            rows.append(row)
            if row.action == "bad":
                continue
            name = row.person.name
            earlier = next((r for r in seen.get(name, []) if _repeats(r.person, row.person)), None)
            if earlier is not None:
                row.action, row.repeat_of = "repeat", earlier.line
                continue
            if name not in registry_cache:
                registry_cache[name] = people_q.same_name(self.services.store, name)
            match = next((r for r in registry_cache[name] if same_person(row.person, r)), None)
            if match is not None:
                row.action, row.person_id = "existing", match["id"]
            seen.setdefault(name, []).append(row)
        return RosterImport(Path(path), rows, table.mapped, table.unmapped)

    def _read_row(
        self, line: int, raw: dict[str, str], header: dict[str, str], today: dt.date
    ) -> RosterRow:
        """One row of a roster file as a person, checked (``action`` "bad" with its problems)."""
        name = raw.get("name", "")
        name = "".join(name.split()) if re.search(r"[\u4e00-\u9fff]", name) else name
        if not name:
            # A row with other cells but no name (a total line, a note) is reported, not guessed.
            empty = tr("Import", "{}为空").format(header["name"])
            return RosterRow(line, Person(), action="bad", problems=[empty])
        problems: list[str] = []
        gender_text = raw.get("gender", "").lower()
        gender = GENDER_WORDS.get(gender_text, "")
        if gender_text and not gender:
            problems.append(
                tr("Import", "{}应为 男 或 女（“{}”）").format(header["gender"], raw.get("gender"))
            )
        year, problem = parse_birth_year(raw.get("birth_year", ""), raw.get("age", ""), today=today)
        if problem:
            problems.append(problem)
        person = Person(
            name=name,
            gender=gender,
            birth_year=year,
            phone=normalise_phone(raw.get("phone", "")),
            village=raw.get("village", ""),
            ethnicity=raw.get("ethnicity", ""),
            notes=raw.get("notes", ""),
            created_by=self.services.operator,
        )
        if not problems:
            for fname, msg in validate_person(person, today=today).items():
                problems.append(f"{header.get(fname, fname)}：{msg}")
        return RosterRow(line, person, action="bad" if problems else "new", problems=problems)

    def write_import(
        self,
        result: RosterImport,
        *,
        class_id: str | None = None,
        class_name: str = "",
        skip_bad: bool = False,
        today: dt.date | None = None,
        progress: Progress | None = None,
    ) -> RosterImport:
        """Add the new people and enrol everyone, in one transaction.

        :param class_id: the class to enrol into; or ``class_name`` to find it by name and create
            it (art form 其他, planned) when it does not exist.
        :param skip_bad: write the good rows even when some rows have problems. Without it any
            problem means nothing is written.
        :param progress: as for :meth:`read_import`; raising from it rolls the whole write back.
        :returns: ``result`` with ``written`` (people enrolled) and ``created_people`` set.
        """
        if result.bad and not skip_bad:
            return result
        today = today or dt.date.today()
        with self.services.store.transaction():
            if class_id is None:
                found = self.training.find_class(class_name)
                class_id = (
                    found.id
                    if found and found.id
                    else self.training.save_class(
                        TrainingClass(name=class_name, start_date=today.isoformat())
                    )
                )
            enrolled = created = 0
            for done, row in enumerate(result.rows):
                if progress is not None and done % 100 == 0:
                    progress(done, len(result.rows), tr("Import", "正在写入"))
                if row.problems or row.action == "repeat":
                    continue
                pid = row.person_id
                if pid is None:
                    pid = self.people.save(row.person)
                    created += 1
                res = self.training.enroll(class_id, pid, today=today, check_capacity=False)
                enrolled += 0 if res.already else 1
            _, warning = self.training.capacity_warning(class_id)
        result.class_id = class_id
        result.written, result.created_people = enrolled, created
        if warning:
            result.warnings.append(warning)
        return result


def _check_excel_name(path: Path) -> None:
    """A file named .xlsx whose content is neither a zip (xlsx) nor an old .xls is something
    renamed (a Word file, a text, a picture): say so, rather than "no header found"."""
    if path.suffix.lower() not in (".xlsx", ".xlsm") or not path.is_file():
        return
    with path.open("rb") as fh:
        head = fh.read(8)
    if not head.startswith(b"PK\x03\x04") and not head.startswith(b"\xd0\xcf\x11\xe0"):
        raise tabular.TableError(
            tr(
                "Import",
                "文件扩展名是 {}，但内容不是有效的Excel表格（可能只是改了扩展名）。请用 Excel"
                " 或 WPS 打开确认后另存为 .xlsx。",
            ).format(path.suffix)
        )
