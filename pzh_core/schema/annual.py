"""The annual return (issue 13): the station's annual facts, its amateur art teams, and the city
settings (the indicator definitions) that the server writes and every desk receives.

The client's migration m0007_annual creates the same tables.
"""

from pzh_core.domain.annual_facts import SPECS

_FACT_TYPES = {"int": "int", "real": "real", "money": "real", "text": "text"}

TABLES = {
    # One row per station and year: id = det_id("annual_facts", station_id, str(year)), so two
    # PCs entering the same year converge on one row (per-field merge).
    "annual_facts": {
        "year": "int",
        # items filled "where known" (floor-area parts) may be null: unknown, not 0
        **{s.name: "opt_real" if s.unknown_ok else _FACT_TYPES[s.kind] for s in SPECS},
        "confirmed": "bool",
        "confirmed_by": "text",
        "confirmed_on": "date",
        "carried_from": "int",  # the year the values were copied from; 0 = typed for this year
    },
    # 业余文艺团队 (group of the registry people); members are people ids.
    "art_teams": {
        "name": "text",
        "art_form": "text",  # code from art_forms.json
        "leader_id": "text",  # a person of the registry, or ""
        "members": "list",  # people ids
        "founded": "date",
        "status": "text",  # active | dissolved
        "dissolved_on": "date",
        "notes": "text",
        "created_by": "text",
    },
    # Settings written only by the city server (docs/architecture.md, decision 3). The feed is
    # per station, so the server writes one copy per station within the setting's scope:
    # id = det_id("city_setting", key, scope, station_id).
    "city_settings": {
        "key": "text",
        "scope": "text",  # city | a county label | a station id
        "value": "json",
    },
}

# Tables only the server writes: a desk's change to them is refused.
SERVER_ONLY = frozenset({"city_settings"})
