"""Reference data (counties, activity kinds, target groups, brands …) from ``resources/refdata``.

Widgets, imports and reports all read the lists from here; no category list is written twice.
Each list item has a stable ``code`` (stored in the database) and a Chinese ``label`` (shown).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from pzh_core.resources import resources_dir


@cache
def load(name: str) -> Any:
    """The parsed JSON of ``resources/refdata/<name>.json``."""
    path = resources_dir() / "refdata" / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8"))


def items(name: str) -> list[dict[str, Any]]:
    return list(load(name))


@cache
def codes(name: str) -> frozenset[str]:
    """The codes of a list (the validators' membership checks)."""
    return frozenset(item["code"] for item in load(name))


def labels(name: str) -> dict[str, str]:
    """``{code: label}`` of a list."""
    return {item["code"]: item["label"] for item in load(name)}


def label(name: str, code: str | None) -> str:
    if not code:
        return ""
    return labels(name).get(code, code)


def code_for(name: str, text: str | None) -> str | None:
    """The code of a list item given its code or its Chinese label (for imports); None if
    unknown."""
    if text is None:
        return None
    text = text.strip()
    for item in load(name):
        if text in (item["code"], item["label"]):
            return item["code"]
    return None


def special_groups() -> set[str]:
    """Codes of the target groups the plan counts as special groups (特殊群体)."""
    return {item["code"] for item in load("target_groups") if item.get("special")}


def counties() -> list[str]:
    """County labels; the station profile stores the label (it is also what the server shows)."""
    return [item["label"] for item in load("counties")]
