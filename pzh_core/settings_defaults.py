"""Every city setting, defined once: its key, the scopes it may be set for, its default and its
meaning (docs/architecture.md, decision 3).

The city server writes settings as synced ``city_settings`` rows; the desk's effective value is
station > county > city > the default here (:func:`effective`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pzh_core.domain import refdata


@dataclass(frozen=True)
class Setting:
    key: str
    scopes: tuple[str, ...]  # which of "city", "county", "station" it may be set for
    meaning: str

    @property
    def default(self) -> Any:
        return DEFAULTS[self.key]()


DEFAULTS = {
    # The 口径 of the annual return's figures: one definition for the whole city, so city totals
    # never mix definitions (pzh_core.definitions validates it).
    "indicator_definitions": lambda: dict(refdata.load("indicator_definitions")),
    # The 表号 printed in the return's unit block, filled in by a county.
    "return_form_number": lambda: "",
    # Days after a period's end during which its records may still change (issue 14); 0 = no
    # deadline. The county sets it for its stations; the desk refuses at the field, the server
    # sets a later change aside (code ``locked``).
    "edit_deadline_days": lambda: 0,
    # Megabytes of photos one station may send over the network per day (issue 15); the server
    # enforces it, the desk stops before the server has to refuse. USB bundles do not count.
    "photo_day_mb": lambda: 200,
}

SETTINGS: dict[str, Setting] = {
    s.key: s
    for s in (
        Setting(
            "indicator_definitions",
            ("city",),
            "年报指标口径：培训人次的计法、哪些活动类型计入组织文艺活动次数（全市统一）",
        ),
        Setting("return_form_number", ("city", "county"), "年报表号（由县区填写）"),
        Setting(
            "edit_deadline_days",
            ("city", "county"),
            "数据修改期限：期末后多少天内可修改（0 表示不限）",
        ),
        Setting(
            "photo_day_mb",
            ("city", "county", "station"),
            "每个文化站每天通过网络上传照片的流量上限（MB；U盘同步包不计）",
        ),
    )
}


def effective(
    key: str, rows: Iterable[Mapping[str, Any]], *, station_id: str = "", county: str = ""
) -> Any:
    """The value that applies: station > county > city > default.

    :param rows: ``city_settings`` rows (``key``, ``scope``, ``value``); others are ignored.
    """
    setting = SETTINGS[key]
    by_scope: dict[str, Any] = {}
    for r in rows:
        if r.get("key") == key and not r.get("deleted"):
            by_scope.setdefault(r.get("scope", ""), r.get("value"))
    order = [("station", station_id), ("county", county), ("city", "city")]
    for level, scope in order:
        if level in setting.scopes and scope and scope in by_scope:
            value = by_scope[scope]
            return value.get("v") if isinstance(value, dict) and set(value) == {"v"} else value
    return setting.default
