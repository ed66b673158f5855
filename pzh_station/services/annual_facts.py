"""The station's annual facts (年度基本情况): show a year (stored, or carried over from the last
year entered as an unconfirmed starting point), save typed values, confirm them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from typing import Any

from pzh_core.domain import annual_facts as rules
from pzh_core.domain.annual_facts import AnnualFacts
from pzh_core.domain.errors import ValidationError
from pzh_core.i18n import tr
from pzh_station.services.context import Services
from pzh_station.store import StoreError
from pzh_station.store import annual as q


@dataclass
class FactsView:
    """The facts of a year as the page and the return see them."""

    facts: AnnualFacts
    stored: bool  # False: a starting point not saved yet (carried over or from the profile)
    origin: str  # where unsaved values came from, in Chinese ("" when stored and typed)
    missing: list[str] = field(default_factory=list)  # what keeps the return from being filed

    @property
    def fileable(self) -> bool:
        return self.stored and self.facts.confirmed


class AnnualFactsService:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.store = services.store

    def _station(self) -> str:
        sid = self.store.station_id
        if not sid:
            raise StoreError(
                "no_station", tr("AnnualFacts", "尚未设置文化站信息，请先完成首次设置。")
            )
        return sid

    def view(self, year: int) -> FactsView:
        """The facts of ``year``: the stored row, else last year's carried over (unconfirmed),
        else a first guess from the station profile (population, registered staff)."""
        sid = self._station()
        row = q.facts_row(self.store, sid, year)
        if row is not None:
            facts = AnnualFacts.from_row(row)
            origin = (
                tr("AnnualFacts", "由{}年带入").format(facts.carried_from)
                if facts.carried_from and not facts.confirmed
                else ""
            )
            return FactsView(facts, True, origin, rules.missing_items(facts))
        previous = q.latest_facts_before(self.store, sid, year)
        if previous is not None:
            facts = rules.carry_over(AnnualFacts.from_row(previous), year)
            origin = tr("AnnualFacts", "由{}年带入，尚未保存").format(facts.carried_from)
        else:
            facts = self._from_profile(sid, year)
            origin = tr("AnnualFacts", "尚未填写；部分数值取自文化站信息，请核对")
        return FactsView(facts, False, origin, rules.missing_items(facts))

    def _from_profile(self, sid: str, year: int) -> AnnualFacts:
        profile = self.store.get("stations", sid) or {}
        staff = max(int(profile.get("full_time_staff") or 0), q.active_staff_count(self.store))
        population = int(profile.get("population") or 0)
        return AnnualFacts(
            year=year,
            staff_total=staff,
            staff_full_time=int(profile.get("full_time_staff") or 0),
            population=population,
            population_source=tr("AnnualFacts", "首次设置时填写的服务人口，请核对")
            if population
            else "",
        )

    def save(
        self,
        year: int,
        values: dict[str, Any],
        *,
        confirm: bool = False,
        today: dt.date | None = None,
    ) -> FactsView:
        """Save typed values for ``year`` (other items keep what the page showed).

        :param values: ``{field: text or number}`` of :data:`rules.SPECS` fields.
        :param confirm: also confirm the facts (the return can then be filed); a save without
            it leaves the facts unconfirmed, so every change is looked at again.
        :raises ValidationError: with ``{field: message}``; nothing is written.
        """
        today = today or self.services.today()  # the PC's clock corrected by the server's
        current = self.view(year)
        facts, errors = rules.parse_input(values, current.facts)
        errors = {**rules.validate(facts, today=today), **errors}
        if errors:
            raise ValidationError(errors)
        data = facts.fields()
        data.update(
            year=year,
            confirmed=confirm,
            confirmed_by=self.services.operator if confirm else "",
            confirmed_on=today.isoformat() if confirm else "",
        )
        sid = self._station()
        self.store.write("annual_facts", q.facts_id(sid, year), data)
        return self.view(year)

    def confirm(self, year: int, *, today: dt.date | None = None) -> FactsView:
        """Confirm the facts of ``year`` as shown (carried-over values included)."""
        return self.save(year, {}, confirm=True, today=today)

    def years(self) -> list[int]:
        return q.facts_years(self.store, self._station())

    # -- a PC that joined a station with facts of its own (issue 12, situation 8) --------
    def choices(self) -> dict[int, list[tuple[str, Any, Any]]]:
        """Years whose facts typed here before joining differ from the server's, waiting for
        the user: ``{year: [(item label, typed here, server's)]}`` (the server's are shown)."""
        labels = {s.name: s.label for s in rules.SPECS}
        return {
            year: [(labels.get(f, f), mine, theirs) for f, (mine, theirs) in differs.items()]
            for year, differs in sorted(q.facts_choices(self.store).items())
        }

    def choose(self, year: int, *, keep_mine: bool) -> FactsView:
        """Keep the facts typed here (they then need confirming again) or the server's."""
        q.choose_facts(self.store, year, keep_mine=keep_mine)
        return self.view(year)


def facts_json(view: FactsView) -> dict[str, Any]:
    """The facts as one JSON-ready dict (CLI ``facts show --json``)."""
    data = {f.name: getattr(view.facts, f.name) for f in fields(AnnualFacts) if f.name != "id"}
    data.update(stored=view.stored, origin=view.origin, missing=view.missing)
    return data
