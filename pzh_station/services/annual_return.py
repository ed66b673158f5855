"""The annual return a station files (文化站年报表): its figures under the city's definition
file, refused while the annual facts are not confirmed (a draft can still be printed), written
as .xlsx or an A4 PDF laid out like the base form."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from pzh_core import annual_return, return_sheet, settings_defaults
from pzh_core.domain.errors import ValidationError
from pzh_core.i18n import tr
from pzh_core.period import Period
from pzh_station.services.annual_facts import AnnualFactsService
from pzh_station.services.context import Services
from pzh_station.store import StoreError
from pzh_station.store import annual as q
from pzh_station.store.figures import indicator_db

C = "AnnualReturn"


class ReturnService:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.store = services.store

    def _station(self) -> dict[str, Any]:
        sid = self.store.station_id
        if not sid:
            raise StoreError("no_station", tr(C, "尚未设置文化站信息，请先完成首次设置。"))
        return self.store.get("stations", sid) or {"id": sid}

    def figures(
        self, year: int, *, month: int | None = None, as_of: dt.date | None = None
    ) -> annual_return.ReturnFigures:
        """The return's figures of this station (a year, or one month of it)."""
        period = Period(year, month, as_of or dt.date.today())
        return annual_return.compute(indicator_db(self.store), [self._station()["id"]], period)

    def summary(self, year: int, *, month: int | None = None, as_of: dt.date | None = None):
        """The figures as a JSON-ready dict (``report summary --json`` includes it)."""
        fig = self.figures(year, month=month, as_of=as_of)
        view = AnnualFactsService(self.services).view(year)
        return {
            "definitions": fig.definitions.to_json(),
            "facts_status": "完整" if view.fileable else "；".join(view.missing),
            **fig.total,
        }

    def sheet(
        self, year: int, *, as_of: dt.date | None = None, draft: bool = False
    ) -> return_sheet.Sheet:
        """The return sheet of ``year``.

        :param draft: allow unconfirmed annual facts (the title then says 草稿).
        :raises ValidationError: ``{"facts": ...}`` when the facts are not confirmed.
        """
        station = self._station()
        view = AnnualFactsService(self.services).view(year)
        if not view.fileable and not draft:
            raise ValidationError(
                {
                    "facts": tr(
                        C,
                        "{}年的年度基本情况尚未确认，年报不能报送。请在“年度基本情况”中核对并确认。",
                    ).format(year)
                }
            )
        fig = self.figures(year, as_of=as_of)
        rows = q.setting_rows(self.store, "return_form_number")
        form_number = settings_defaults.effective(
            "return_form_number", rows, station_id=station["id"], county=station.get("county", "")
        )
        title = tr(C, "{} {}年文化站年报").format(station.get("name", ""), year)
        if not view.fileable:
            title += tr(C, "（草稿：年度基本情况未确认）")
        return return_sheet.Sheet(
            title=title,
            unit_block=return_sheet.unit_block(
                name=station.get("name", ""),
                code=view.facts.unit_code,
                county=station.get("county", ""),
                year=year,
                form_number=form_number,
                as_of=fig.period.cutoff,
            ),
            columns=[tr(C, "本年数值")],
            values=[fig.total],
            notes=return_sheet.notes(fig.definitions, [view.facts.population_source]),
        )

    def write(
        self, path: str | Path, year: int, *, as_of: dt.date | None = None, draft: bool = False
    ) -> Path:
        """Write the return as .xlsx or A4 .pdf (by the file's suffix)."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".xlsx", ".pdf"):
            raise ValidationError({"path": tr(C, "年报只能保存为 .xlsx 或 .pdf 文件。")})
        sheet = self.sheet(year, as_of=as_of, draft=draft)
        if suffix == ".pdf":
            from pzh_station.io.return_pdf import write_pdf

            return write_pdf(path, sheet)
        return return_sheet.write_xlsx(path, sheet)
