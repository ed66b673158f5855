"""Station profile (name, county, population, staff) and first run."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from pzh_core.domain import station as station_rules
from pzh_core.domain.errors import ValidationError
from pzh_core.i18n import tr
from pzh_core.text import clean
from pzh_station.services.context import Services
from pzh_station.store import station as station_store

MAX_POPULATION = station_rules.MAX_POPULATION


@dataclass
class StationProfile:
    name: str = ""
    county: str = ""
    population: int = 0
    amateur_teams: int = 0
    full_time_staff: int = 0
    staff: list[str] = field(default_factory=list)
    id: str | None = None
    pins: set[str] = field(default_factory=set)  # the staff who must type their PIN


def validate_profile(p: StationProfile) -> dict[str, str]:
    """The profile's rules are the core's (the server checks pushed changes with the same)."""
    errors = station_rules.validate_station_row(
        {
            "name": p.name,
            "county": p.county,
            "population": p.population,
            "amateur_teams": p.amateur_teams,
            "full_time_staff": p.full_time_staff,
        }
    )
    for name in p.staff:
        problem = station_rules.staff_name_error(name)
        if problem:
            errors["staff"] = problem
            break
    return errors


class StationService:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.store = services.store

    def is_set_up(self) -> bool:
        return bool(self.store.station_id)

    def profile(self) -> StationProfile | None:
        sid = self.store.station_id
        if not sid:
            return None
        row = self.store.get("stations", sid) or {}
        staff = station_store.active_staff_names(self.store)
        return StationProfile(
            id=sid,
            name=row.get("name", ""),
            county=row.get("county", ""),
            population=row.get("population", 0),
            amateur_teams=row.get("amateur_teams", 0),
            full_time_staff=row.get("full_time_staff", 0),
            staff=staff,
            pins={n for n, r in station_store.staff_by_name(self.store).items() if r["pin_hash"]},
        )

    def set_pin(self, name: str, pin: str) -> None:
        """Set (or with ``pin=""`` clear) an operator's PIN; only its hash is stored (and synced,
        so every PC of the station asks for the same PIN). :raises ValidationError:"""
        row = station_store.staff_by_name(self.store).get(name)
        if row is None or not row["active"] or row["deleted"]:
            raise ValidationError({"name": tr("Station", "没有这位工作人员")})
        if pin:
            problem = station_rules.pin_error(pin)
            if problem:
                raise ValidationError({"pin": problem})
        self.store.write(
            "staff", row["id"], {"pin_hash": station_rules.hash_pin(pin) if pin else ""}
        )

    def check_pin(self, name: str, pin: str) -> bool:
        """Whether ``pin`` is this operator's PIN (True when the operator has none)."""
        row = station_store.staff_by_name(self.store).get(name)
        if row is None:
            return False
        return not row["pin_hash"] or station_rules.pin_matches(pin, row["pin_hash"])

    def save_profile(self, p: StationProfile) -> StationProfile:
        """Create the station on first run, or update its profile. Staff names are kept in sync
        with ``p.staff`` (missing ones are set inactive, never deleted: records name them)."""
        p.name = clean(p.name)
        errors = validate_profile(p)
        staff = [s for s in (clean(s, "name") for s in p.staff) if s]
        if len(set(staff)) != len(staff):
            errors["staff"] = tr("Station", "工作人员姓名重复")
        if errors:
            raise ValidationError(errors)
        store = self.store
        with store.transaction():
            sid = store.station_id
            if not sid:
                sid = str(uuid.uuid4())
                store.set_meta("station_id", sid)
            fields: dict[str, Any] = {
                "name": p.name.strip(),
                "county": p.county,
                "population": p.population,
                "amateur_teams": p.amateur_teams,
                "full_time_staff": p.full_time_staff,
            }
            store.write("stations", sid, fields)
            existing = station_store.staff_by_name(store)
            for name in staff:
                row = existing.get(name)
                if row is None:
                    store.write("staff", None, {"name": name, "role": "", "active": True})
                elif not row["active"] or row["deleted"]:
                    store.write("staff", row["id"], {"active": True, "deleted": False})
            for name, row in existing.items():
                if name not in staff and row["active"]:
                    store.write("staff", row["id"], {"active": False})
        return self.profile()  # type: ignore[return-value]
